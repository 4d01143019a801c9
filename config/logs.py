"""Structured logs: one line per request and per task, JSON in production, with the booking reference where
there is one. Nothing here logs bodies, so card numbers, passwords, API keys and e-mail bodies never reach a log."""

import json
import logging
import re
import time

request_logger = logging.getLogger("staybook.request")
REFERENCE = re.compile(r"HB-[23456789A-Z]{6}")
SECRET_QUERY = re.compile(r"(?i)(?<![^&])(t|code|token|key|password|session_id|signature)=[^&]*")
# URL parts that are secrets (a password-reset link's token): such a request is logged by its route instead.
SECRET_PATH_KWARGS = {"token", "uidb64"}


def loggable_path(request) -> str:
    """The request's path, or its route (``/accounts/reset/<uidb64>/<token>/``) when the path holds a secret."""
    match = getattr(request, "resolver_match", None)
    if match is not None and SECRET_PATH_KWARGS & set(match.kwargs):
        return "/" + match.route.lstrip("^").rstrip("$")
    return request.path


class JsonFormatter(logging.Formatter):
    FIELDS = ("method", "path", "status", "duration_ms", "booking", "user", "task", "task_id", "outcome")

    def format(self, record):
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({f: getattr(record, f) for f in self.FIELDS if hasattr(record, f)})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        path = loggable_path(request)
        query = SECRET_QUERY.sub(r"\1=…", request.META.get("QUERY_STRING", ""))[:300]
        match = REFERENCE.search(path)
        user = getattr(request, "user", None)
        request_logger.info(
            "%s %s %s",
            request.method,
            path,
            response.status_code,
            extra={
                "method": request.method,
                "path": path + (f"?{query}" if query else ""),
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "booking": match.group(0) if match else None,
                "user": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response
