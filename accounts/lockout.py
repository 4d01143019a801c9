"""How django-axes names an account. Accounts are keyed by e-mail compared case-insensitively (``email__iexact``),
so the lockout must be too: otherwise ``Ada@…``, ``aDa@…`` and so on would each get their own failure budget."""

from django.conf import settings


def axes_username(request, credentials=None) -> str | None:
    """The ``AXES_USERNAME_CALLABLE``: the e-mail being tried, trimmed and lower-cased (as ``User.save`` stores it).

    Axes calls this with the ``authenticate()`` credentials when it has them, and with only the request when it
    records a success or checks a lockout from the middleware."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials and credentials.get(field) is not None:
        username = credentials[field]
    elif request is not None:
        username = getattr(request, "data", request.POST).get(field)
    else:
        username = None
    if not isinstance(username, str):
        return None
    return username.strip().lower() or None
