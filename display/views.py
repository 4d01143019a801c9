from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from .context_processors import SESSION_KEY
from .currency import display_currencies


@require_GET
def display_currency_set(request):
    """The header's currency selector (a GET form, no script): remember the choice in the session, back to the
    page. An unknown code means "each hotel's own currency"; ``next`` must be a path on this site."""
    code = request.GET.get("currency", "").upper()
    if code in display_currencies():
        request.session[SESSION_KEY] = code
    else:
        request.session.pop(SESSION_KEY, None)
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = "/"
    return HttpResponseRedirect(back)
