from datetime import date

from hotels.forms import StayForm
from hotels.stay import Stay


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
