from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


@register.filter
def money(amount, currency):
    """``1234.5|money:"EUR"`` → ``€1,234.50``; currencies without a symbol read ``CHF 1,234.50``."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    text = f"{abs(value):,.2f}"
    sign = "−" if value < 0 else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency} {text}"


@register.simple_tag(takes_context=True)
def price(context, amount, currency):
    """An amount in its own currency and, when the guest chose another display currency, the indicative
    conversion beside it: ``€208.00 <span>≈ $225.68</span>``."""
    return price_html(amount, currency, context.get("display_currency") or "")


def price_html(amount, currency, shown=""):
    """:func:`price` for a display currency ``shown`` ("" = the hotel's own); the Jinja2 fragments call it."""
    from django.utils.html import format_html

    from payments.currency import convert, rates_date

    own = money(amount, currency)
    if not shown or shown == currency or amount in (None, ""):
        return own
    converted = convert(amount, currency, shown)
    if converted is None:
        return own
    day = rates_date()
    title = f"Indicative, at the rate of {day:%-d %B %Y}" if day else "Indicative"
    return format_html(
        '{} <span class="price__converted" title="{}">≈ {}<span class="visually-hidden"> ({})</span></span>',
        own,
        title,
        money(converted, shown),
        title.lower(),
    )


@register.filter
def stars(count):
    return "★" * int(count or 0)


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (pagination and sort links)."""
    return query_with_params(context["request"].GET, **changes)


def query_with_params(query_dict, **changes) -> str:
    """``query_dict`` (a request's GET) as "?a=1&b=2" with some parameters replaced, None removing one."""
    query = query_dict.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return "?" + query.urlencode()


@register.filter
def night(value):
    """A snapshot's ISO night ("2026-12-15") as a readable date: "Tue 15 Dec 2026"."""
    from datetime import date

    try:
        return f"{date.fromisoformat(str(value)):%a %-d %b %Y}"
    except ValueError:
        return value


@register.filter
def policy_strict(policy) -> bool:
    """``{% if policy|policy_strict %}``: a non-refundable policy reads as a caution (``policy--strict``)."""
    from hotels.policy import policy_is_strict

    return policy_is_strict(policy)
