"""Template tags for the parts of ``templates/base.html`` that are the same on every page: rendered once per process
and per what they depend on, then reused.

The header and footer of every page are ~30 ``{% translate %}`` and ~13 ``{% url %}`` tags whose output depends on
nothing but the language and a few values (the display currency, whether the visitor is logged in, whether the
page is one of the menu's): two thirds of the CPU of a results page served from the result cache went into
rendering them again (docs/performance.md). ``{% memo a b %}…{% endmemo %}`` renders its content the first time
for each (active language, script prefix, URLconf, ``a``, ``b``) and returns the same text afterwards. What may go
inside: text that is a function of those only (translations, ``{% url %}`` without per-request arguments,
``{% static %}``, the values named). What may not: anything of the visitor's (e-mail, CSRF token, messages), the
request's path or query, the time. A variable the content sets (``{% url … as x %}``) is set again on each reuse,
since a page's own block may read it (base.html's ``login_url`` is seen by the guest booking page).
``tests/i18n/test_page_parts.py`` holds pages rendered with and without the memo equal.

The memo lives on the compiled template node, so it lasts as long as Django's cached template loader keeps the
template (the process; a template edited under ``runserver`` is compiled again with an empty memo).
"""

from functools import lru_cache

from django import template
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation

register = template.Library()

MEMO_LIMIT = 512  # keys are (language, currency, logged in, menu page): a few dozen in practice


class MemoNode(template.Node):
    # Not searched for blocks (`{% extends %}` walks the parent's whole tree on every render): memo() refuses one.
    child_nodelists = ()

    def __init__(self, nodelist, vary_on):
        self.nodelist = nodelist
        self.vary_on = vary_on
        self.memo: dict[tuple, str] = {}

    def render(self, context):
        key = (
            translation.get_language(),
            get_script_prefix(),
            get_urlconf(),
            *(value.resolve(context) for value in self.vary_on),
        )
        found = self.memo.get(key)
        if found is None:
            top = context.dicts[-1]
            before = dict(top)
            html = self.nodelist.render(context)
            # The variables the content set ({% url … as x %}), set again on each reuse, as rendering would.
            assigned = {name: value for name, value in top.items() if name not in before or before[name] is not value}
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            found = self.memo[key] = (html, assigned)
        html, assigned = found
        context.dicts[-1].update(assigned)
        return html


@register.tag
def memo(parser, token):
    """``{% memo value… %}…{% endmemo %}``: the content rendered once per language and values (module docstring)."""
    vary_on = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):  # a page's own block would never show
        raise template.TemplateSyntaxError("{% memo %} can't hold a {% block %}")
    return MemoNode(nodelist, vary_on)


@lru_cache(maxsize=256)
def _paths(names: str, _language: str, _prefix: str, urlconf) -> frozenset[str]:
    return frozenset(reverse(name, urlconf=urlconf) for name in names.split())


@register.filter
def among(path: str, names: str) -> str:
    """``request.path|among:"hotels:home accounts:login"``: the path when it is the address of one of these named
    pages (without arguments) in the active language, else "": what a menu's ``aria-current`` depends on, as a
    memo's key with few values."""
    urlconf = get_urlconf()
    return path if path in _paths(names, translation.get_language(), get_script_prefix(), urlconf) else ""
