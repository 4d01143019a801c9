from datetime import date

import pytest

from hotels.forms import StayForm
from hotels.stay import Stay
from tests.factories import future


def test_a_stay_survives_its_query_string_through_the_search_form():
    stay = Stay(
        check_in=date(2031, 5, 1), check_out=date(2031, 5, 4), adults=3, children=2, rooms=2, children_ages=(4, 9)
    )
    assert stay.query() == ("check_in=2031-05-01&check_out=2031-05-04&adults=3&children=2&children_ages=4,9&rooms=2")
    form = StayForm(stay.params())
    form.is_valid()  # the dates may be too far ahead for the form's rules; the fields themselves parse
    assert Stay.from_params({**stay.params(), **form.cleaned_data}) == stay
    assert Stay.from_params(stay.params()) == stay


def test_a_booking_draft_saved_before_ages_were_a_string_still_reads():
    draft = {
        "check_in": "2031-05-01",
        "check_out": "2031-05-02",
        "adults": 2,
        "children": 1,
        "rooms": 1,
        "children_ages": [7],
    }
    assert Stay.from_params(draft).children_ages == (7,)


@pytest.mark.django_db
def test_a_room_configuration_survives_its_query_string_through_the_search_form():
    from hotels.forms import SearchForm
    from hotels.stay import RoomParty

    stay = Stay.of_rooms(
        check_in=future(150), check_out=future(153), party=[RoomParty(2), RoomParty(1, (7,)), (2, (4, 9))]
    )
    assert (stay.adults, stay.children, stay.children_ages, stay.rooms) == (5, 3, (7, 4, 9), 3)
    assert stay.query().endswith("&party=2;1%2B7;2%2B4,9")
    assert Stay.from_params(stay.params()) == stay
    form = SearchForm({**stay.params(), "destination": "x"})
    form.is_valid()
    assert Stay.from_params(form.cleaned_data) == stay
    # What a guest types reads the same, whatever the spacing; the pooled fields are then not needed.
    typed = SearchForm(
        {"check_in": future(150).isoformat(), "check_out": future(153).isoformat(), "party": " 2 ; 1 7 ; 2+4, 9 ;"}
    )
    typed.is_valid()
    assert "adults" not in typed.errors and "rooms" not in typed.errors
    assert typed.cleaned_data["party"] == stay.party
    # One room is the pooled party of one room: nothing but the totals travels (suppliers and older readers).
    one = Stay.from_params({"check_in": future(150), "check_out": future(153), "party": "2 + 7"})
    assert one == Stay(check_in=future(150), check_out=future(153), adults=2, children=1, children_ages=(7,))
    assert "party" not in one.params()
