"""Anonymous browsing limited per client IP: each results page asks every supplier, and a supplier's quota (and
its 429s) are shared by all our visitors, so one client must not be able to spend it. Logged-in visitors are
limited by the booking pages instead."""

from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import is_ratelimited


def anonymous_browsing_limited(view):
    """Answer 429 once an anonymous client IP passes ``SEARCH_RATE_ANONYMOUS`` on the search and hotel pages."""

    @wraps(view)
    def limited(request, *args, **kwargs):
        rate = settings.SEARCH_RATE_ANONYMOUS
        if (
            rate
            and not request.user.is_authenticated
            and is_ratelimited(request, group="hotels.browse", key="ip", rate=rate, increment=True)
        ):
            response = render(request, "429.html", status=429)
            response["Retry-After"] = "60"
            return response
        return view(request, *args, **kwargs)

    return limited
