"""Every answer under ``/api/`` has the API's error shape, whatever ``DEBUG`` says.

Django answers some errors before (or around) any DRF view: an unknown path (with ``DEBUG`` on, its technical 404
page), a bad Host header (400), a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, a crash outside a view, and
``APPEND_SLASH``'s redirect (with ``DEBUG`` on, a RuntimeError for a POST). Partners developing against a local
copy (``make run``) would get HTML then; this middleware, first in ``MIDDLEWARE``, gives them JSON instead."""

from django.http import JsonResponse
from django.urls import Resolver404, get_resolver
from django.utils.translation import gettext_lazy as _

from .errors import error_body

API_PREFIX = "/api/"
CODES = {
    400: ("bad_request", _("The request is malformed.")),
    401: ("not_authenticated", _("Send Authorization: Api-Key <key>.")),
    403: ("permission_denied", _("You may not do this.")),
    404: ("not_found", _("No such endpoint.")),
    405: ("method_not_allowed", _("This endpoint does not accept this method.")),
    413: ("payload_too_large", _("The body is too large.")),
    429: ("throttled", _("Too many requests; see Retry-After.")),
}


def _resolves(path: str) -> bool:
    try:
        get_resolver().resolve(path)
    except Resolver404:
        return False
    return True


def api_error(status: int, message: str | None = None) -> JsonResponse:
    code, default = CODES.get(
        status,
        ("server_error", _("Something went wrong on our side.")) if status >= 500 else ("error", _("Request refused.")),
    )
    return JsonResponse(error_body(code, message or default), status=status)


class ApiErrorShapeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        path = request.path_info
        if not path.endswith("/") and not _resolves(path) and _resolves(path + "/"):
            # No APPEND_SLASH redirect: a client following it would turn a POST into a GET.
            return api_error(404, f"No such endpoint; did you mean {request.path}/ (with the slash)?")
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            retry_after = response.get("Retry-After")
            response = api_error(response.status_code)
            if retry_after:
                response["Retry-After"] = retry_after
        return response
