"""The search and filter forms are written by ``config.jinja2.widget_html``/``label_html`` without Django's template
engine; whatever a guest types, the HTML must be exactly what Django's own form rendering writes."""

import pytest
from django.template import engines
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from config.jinja2 import label_html, widget_html
from hotels.forms import ResultsFilterForm, SearchForm, StayForm

typed = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.sampled_from(["2031-05-01", "4, 9", "12", "-3", "price", "stars", '"><script>', "a&b'c", "0.5"]),
)
pytestmark = pytest.mark.django_db  # the destination field checks the known cities

AMENITIES = [("wifi", "Free Wi-Fi"), ("pool", "Pool & spa"), ("q", '"Quoted"')]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from([SearchForm, StayForm, ResultsFilterForm]),
    st.dictionaries(
        st.sampled_from(
            [
                "destination",
                "check_in",
                "check_out",
                "adults",
                "children",
                "children_ages",
                "rooms",
                "sort",
                "min_price",
                "max_price",
                "stars",
                "amenities",
            ]
        ),
        typed,
    ),
    st.booleans(),
)
def test_fast_widgets_and_labels_write_what_django_writes(form_class, data, bound):
    data = {k: v for k, v in data.items() if v is not None}
    kwargs = {"amenity_choices": AMENITIES} if form_class is ResultsFilterForm else {}
    form = form_class(data if bound else None, **kwargs) if bound else form_class(initial=data, **kwargs)
    if bound:
        form.is_valid()  # errors change the widgets' attributes (aria-invalid)
    for field in form:
        assert widget_html(field) == str(field)
        assert label_html(field) == field.label_tag()


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.integers(),
        st.booleans(),
        st.none(),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.text(max_size=30).map(mark_safe),
        st.text(max_size=30).map(Markup),
        st.sampled_from(["<b>", "a&b", "'\"", "&amp;"]).map(gettext_lazy),
    )
)
def test_fragments_escape_every_value_as_django_does(value):
    """What a fragment's ``{{ value }}`` writes (``config.jinja2.escaped`` then Jinja's own escape) is Django's
    ``conditional_escape(value)``: a plain string's quotes as ``&#x27;`` and ``&quot;``, safe strings as they are."""
    template = engines["jinja2"].from_string("{{ value }}")
    assert template.render({"value": value}) == str(conditional_escape(value))
