"""The Jinja2 environment of the site's hot fragments (``fragments/``): the results page's content, the hotel page's
content and the search form, rendered several times faster than through the Django template language.

Pages still extend ``templates/base.html`` (Django templates): a view renders its fragment here and hands it to
a Django template as one safe string, so the header, footer and every other page have one source. The fragments
use Django's own filters (``date``, ``pluralize``…) and the site's (``money``, ``stars``, ``price``), and escape
exactly as Django does (``finalize``), so the HTML is the same as the Django templates produced.
"""

import html
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.core.signals import setting_changed
from django.forms.widgets import Select
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from jinja2 import Environment, pass_context
from markupsafe import Markup

from hotels.templatetags.staybook import country, money, night, price_html, query_with_params, stars

# Counted phrases of the fragments, here so that `make messages` finds their plural forms (it reads ngettext in
# Python; in the fragments it reads only _("…")).
COUNTED = {
    "nights": lambda n: ngettext("%(n)s night", "%(n)s nights", n),
    "rooms": lambda n: ngettext("%(n)s room", "%(n)s rooms", n),
    "adults": lambda n: ngettext("%(n)s adult", "%(n)s adults", n),
    "children": lambda n: ngettext("%(n)s child", "%(n)s children", n),
    "stars": lambda n: ngettext("%(n)s star", "%(n)s stars", n),
    "hotels": lambda n: ngettext("%(n)s hotel", "%(n)s hotels", n),
    "up_to_adults": lambda n: ngettext("Up to %(n)s adult", "Up to %(n)s adults", n),
}


def counted(what: str, n) -> str:
    """``counted("nights", 3)`` → "3 nights", in the page's language."""
    number = int(n or 0)
    return _counted(translation.get_language(), what, number)


@lru_cache(maxsize=4096)
def _counted(_language: str, what: str, number: int) -> str:
    return COUNTED[what](number) % {"n": number}


def url(name: str, *args, **kwargs) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def _escaped(html: str) -> SafeString:
    """HTML put together by this module, every value in it escaped on the way in."""
    return SafeString(html)  # nosec B703 - built from escape()d values only


def _attrs(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html`` in Python."""
    return "".join(
        f" {name}" if value is True else f' {name}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def widget_html(bound_field) -> SafeString:
    """``str(bound_field)`` (the field's widget, as Django renders it) without Django's template engine, for the
    input and select widgets of the search and filter forms; any other widget is rendered by Django.
    ``tests/hotels/test_fast_forms.py`` holds both equal."""
    widget = bound_field.field.widget
    if bound_field.field.localize or widget.template_name not in _FAST_TEMPLATES:
        return str(bound_field)  # Django's SafeString
    attrs = bound_field.build_widget_attrs({}, widget)
    if bound_field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound_field.auto_id)
    context = widget.get_context(bound_field.html_name, bound_field.value(), attrs)["widget"]
    name = escape(context["name"])
    if isinstance(widget, Select):
        parts = [f'<select name="{name}"{_attrs(context["attrs"])}>']
        for group_name, options, _ in context["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{escape(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                    f"{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return _escaped("".join(parts))
    value = context["value"]
    shown = "" if value is None else f' value="{escape(str(value))}"'
    return _escaped(f'<input type="{escape(context["type"])}" name="{name}"{shown}{_attrs(context["attrs"])}>')


def label_html(bound_field) -> SafeString:
    """``bound_field.label_tag()`` without Django's template engine (no CSS class, the form's label suffix)."""
    field, contents = bound_field.field, bound_field.label
    suffix = field.label_suffix if field.label_suffix is not None else bound_field.form.label_suffix
    if suffix and contents and contents[-1] not in ":?.!":
        contents = f"{contents}{suffix}"
    id_ = field.widget.attrs.get("id") or bound_field.auto_id
    if not id_ or getattr(bound_field.form, "required_css_class", None):
        return bound_field.label_tag()
    for_id = field.widget.id_for_label(id_)
    attrs = f' for="{escape(for_id)}"' if for_id else ""
    return _escaped(f"<label{attrs}>{conditional_escape(contents)}</label>")


_FAST_TEMPLATES = {
    f"django/forms/widgets/{name}.html" for name in ("text", "date", "number", "hidden", "email", "select")
}


def escaped(value):
    """Django's ``conditional_escape(value)``, what every ``{{ }}`` of a fragment writes, with the two common cases
    (a plain ``str``, an ``int``) done directly: the general path cost a fifth of a results page's rendering."""
    kind = value.__class__
    if kind is str:  # django.utils.html.escape is html.escape: &#x27; for ', &quot; for "
        return Markup(html.escape(value))  # noqa: S704  # nosec B704
    if kind is int:  # digits and a sign only
        return Markup(value)  # noqa: S704  # nosec B704
    return conditional_escape(value)


# What the fragments write again and again (a hotel page's price breakdowns: the same few phrases and nights for
# every offer) is remembered per language. Each is a function of its arguments and the active language only, as
# long as the catalogues, formats and static files don't change: for the process, except when a test changes a
# setting.
def _phrases(newstyle_gettext):
    """The fragments' ``_("…")``: a phrase without variables is translated (and marked safe, as the i18n extension
    does) once per language; with variables, or outside autoescaping, it is the extension's own."""

    @pass_context
    def fixed_gettext(context, string, **variables):
        if variables or not context.eval_ctx.autoescape:
            return newstyle_gettext(context, string, **variables)
        return _phrase(translation.get_language(), string)

    return fixed_gettext


@lru_cache(maxsize=4096)
def _phrase(_language: str, string: str) -> Markup:
    return Markup(gettext(string)) % {}  # noqa: S704  # nosec B704 - the extension's own treatment of a phrase


def date_filter(value, arg=None):
    """Django's ``date`` filter; a ``date`` (the nights of a breakdown, not a timestamp) formatted once per format
    and language."""
    if value.__class__ is date:
        return _date_text(value, arg, translation.get_language())
    return defaultfilters.date(value, arg)


@lru_cache(maxsize=8192)
def _date_text(value: date, arg, _language: str) -> str:
    return defaultfilters.date(value, arg)


def money_text(amount, currency) -> str:
    """The ``money`` filter (``display.money``); an amount (a ``Decimal``) formatted once per currency and language."""
    if amount.__class__ is Decimal and currency:
        return _money_text(amount, currency, translation.get_language())
    return money(amount, currency)


@lru_cache(maxsize=65536)
def _money_text(amount: Decimal, currency: str, _language: str) -> str:
    return money(amount, currency)


# A static file's address is fixed for the process (the manifest is read once), and a results page asks for the
# placeholder photo of each card.
static_url = lru_cache(maxsize=256)(static)


def _settings_changed(**kwargs):
    for remembered in (static_url, _phrase, _counted, _date_text, _money_text):
        remembered.cache_clear()


setting_changed.connect(_settings_changed)


def environment(**options) -> Environment:
    # Django's escaping for every {{ }} (markupsafe would write &#39; where Django writes &#x27;); a file's last newline
    # kept as Django's templates keep it.
    options.setdefault("keep_trailing_newline", True)
    options.pop("autoescape", None)  # Django passes True; said here, where it matters
    extensions = [*options.pop("extensions", []), "jinja2.ext.i18n"]
    env = Environment(autoescape=True, finalize=escaped, extensions=extensions, **options)
    # Django's own catalogues (the active language of the request), as {{ _("...") }} and {% trans %}.
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.globals["gettext"] = env.globals["_"] = _phrases(env.globals["gettext"])
    env.globals.update(
        static=static_url,
        url=url,
        counted=counted,
        price=price_html,
        query_with=query_with_params,
        widget=widget_html,
        label=label_html,
    )
    env.filters.update(
        country=country,
        date=date_filter,
        time=defaultfilters.time,
        pluralize=defaultfilters.pluralize,
        truncatewords=defaultfilters.truncatewords,
        urlencode=defaultfilters.urlencode,
        money=money_text,
        stars=stars,
        night=night,
    )
    return env
