from .currency import display_currencies

SESSION_KEY = "display_currency"


def display_currency(request):
    """The guest's display currency ("" = each hotel's own) and the choices, for the header's selector."""
    return {
        "display_currency": request.session.get(SESSION_KEY, "") if hasattr(request, "session") else "",
        "display_currencies": display_currencies(),
    }
