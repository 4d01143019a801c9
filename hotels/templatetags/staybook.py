from django import template

from display.countries import country_name
from display.money import format_money, price_html

register = template.Library()


@register.filter
def money(amount, currency):
    """``1234.5|money:"EUR"`` → ``€1,234.50`` in English, ``1 234,50 €`` in French (``display.money``)."""
    return format_money(amount, currency)


@register.simple_tag(takes_context=True)
def price(context, amount, currency):
    """An amount in its own currency and, when the guest chose another display currency, the indicative
    conversion beside it: ``€208.00 <span>≈ $225.68</span>``."""
    return price_html(amount, currency, context.get("display_currency") or "")


@register.filter
def country(name):
    """``"Germany"|country`` → ``Deutschland`` on a German page (``display.countries``)."""
    return country_name(name)


@register.filter
def meal_plan(rate_plan: dict) -> str:
    """A sold rate's meal plan (``snapshot.rate_plan|meal_plan``) in the language being rendered, from its code:
    the snapshot's ``meal_plan_label`` was written in the guest's language, and the hotel reads it in its own. A
    snapshot without a known code keeps the label it was sold with."""
    from hotels.models import RatePlan

    code = (rate_plan or {}).get("meal_plan")
    if code in RatePlan.MealPlan.values:
        return str(RatePlan.MealPlan(code).label)
    return (rate_plan or {}).get("meal_plan_label", "")


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
    """A snapshot's ISO night ("2026-12-15") as a readable date: "Tue 15 Dec 2026" (in the page's language)."""
    from datetime import date

    from django.template.defaultfilters import date as date_filter
    from django.utils.translation import gettext

    try:
        return date_filter(date.fromisoformat(str(value)), gettext("D j M Y"))
    except ValueError:
        return value


@register.filter
def day(value):
    """A date or ISO date ("2026-12-15") in the page's locale, by Babel: "15 déc. 2026", "15.12.2026"."""
    from display.dates import format_day

    return format_day(value)


@register.filter
def policy_strict(policy) -> bool:
    """``{% if policy|policy_strict %}``: a non-refundable policy reads as a caution (``policy--strict``)."""
    from hotels.policy import policy_is_strict

    return policy_is_strict(policy)
