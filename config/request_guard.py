"""Refuse a NUL character in the staff console's query strings: no form or link sends one, and PostgreSQL refuses
it in any text ("text fields cannot contain NUL"), so the admin's list filters and autocomplete, which read their
parameters raw into a query, answered 500. The site's own pages read theirs through forms, which refuse it with a
message (Django's ``ProhibitNullCharactersValidator``)."""

from django.conf import settings
from django.core.exceptions import SuspiciousOperation


class NulInAdminQueryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = "/" + settings.ADMIN_URL.lstrip("/")

    def __call__(self, request):
        if request.path_info.startswith(self.prefix) and any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            raise SuspiciousOperation("NUL character in the query string")  # Django answers 400
        return self.get_response(request)
