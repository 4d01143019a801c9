"""One error shape everywhere in the API: {"error": {"code", "message", "fields"}} with a stable code."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class APIError(exceptions.APIException):
    """An error with our code and message (and optional extra body fields, e.g. the current total)."""

    def __init__(self, status_code: int, code: str, message: str, *, fields=None, extra=None, headers=None):
        super().__init__(detail=message, code=code)
        self.status_code, self.code, self.message = status_code, code, message
        self.fields, self.extra, self.headers = fields or {}, extra or {}, headers or {}


def error_body(code: str, message: str, fields=None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def error_response(exc: APIError) -> Response:
    response = Response(error_body(exc.code, exc.message, exc.fields, **exc.extra), status=exc.status_code)
    for key, value in exc.headers.items():
        response[key] = value
    return response


DEFAULT_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "invalid_api_key",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "invalid_json",
}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as one level: {"guest.email": ["Enter a valid email address."]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list) and any(isinstance(d, dict | list) for d in detail):
        for index, value in enumerate(detail):
            flat.update(_flatten(value, f"{prefix}.{index}"))
    else:
        flat[prefix or "non_field_errors"] = [str(d) for d in (detail if isinstance(detail, list) else [detail])]
    return flat


def api_exception_handler(exc, context):
    if isinstance(exc, APIError):
        return error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled API error", exc_info=exc)
        return Response(
            error_body("server_error", _("Something went wrong on our side; nothing was booked twice.")),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        code = "unknown_field" if any(k.startswith("unknown:") for k in fields) else "validation_error"
        fields = {k.replace("unknown:", ""): v for k, v in fields.items()}
        response.data = error_body(
            code,
            _("Some fields are not valid.")
            if code == "validation_error"
            else _("The request has fields this API does not know."),
            fields,
        )
        return response
    code = next((c for cls, c in DEFAULT_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        response.status_code = 401
        response["WWW-Authenticate"] = "Api-Key"
    message = str(exc.detail) if not isinstance(exc.detail, dict | list) else _("Request refused.")
    response.data = error_body(code, message)
    return response


def json_404(request, exception=None):
    return JsonResponse(error_body("not_found", _("No such endpoint.")), status=404)


def json_500(request):
    return JsonResponse(error_body("server_error", _("Something went wrong on our side.")), status=500)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. sold_out, price_changed.")
    message = serializers.CharField(help_text="For people; may change.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Invalid input by field, nested fields dotted: {"guest.email": ["Enter a valid email address."]}',
    )
    total = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="price_changed only: the current total of the stay.",
    )
    currency = serializers.CharField(required=False, allow_null=True, help_text="price_changed only.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
