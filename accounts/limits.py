"""Limits shared by every place that does the same thing, so a second door doesn't get its own budget."""

from django_ratelimit.core import is_ratelimited

# Creating an account sends the welcome e-mail: per client IP, shared by the sign-up page and the booking flow's
# guest step (and anything else that calls accounts.services.user_create for a visitor).
ACCOUNT_CREATE_RATE = "10/h"


def account_create_limited(request) -> bool:
    """Count this POST against the client's account-creation budget; True once it is spent."""
    return is_ratelimited(
        request, group="accounts.create", key="ip", rate=ACCOUNT_CREATE_RATE, method="POST", increment=True
    )


def reset_address_key(group, request) -> str:
    """The password-reset form's per-address budget is keyed on the address as accounts store it (trimmed,
    lower-cased): ``Ada@x``, ``ADA@x`` and `` ada@x`` are one address with one budget."""
    return str(request.POST.get("email", "")).strip().lower()
