from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cities import city_for_name
from .search import SORTS, known_cities
from .stay import PartyError, Stay, parse_party


class StayForm(forms.Form):
    """Dates and party. Check-in may be "yesterday" in UTC terms: somewhere in the world it is still that day;
    the booking service checks against the hotel's own calendar."""

    check_in = forms.DateField(label=_("Check-in"), widget=forms.DateInput(attrs={"type": "date"}))
    check_out = forms.DateField(
        label=_("Check-out"), widget=forms.DateInput(attrs={"type": "date", "data-min-date-of": "id_check_in"})
    )
    adults = forms.IntegerField(label=_("Adults"), min_value=1, max_value=30, initial=2)
    children = forms.IntegerField(label=_("Children"), min_value=0, max_value=10, initial=0, required=False)
    children_ages = forms.CharField(
        label=_("Children's ages"),
        max_length=40,
        required=False,
        help_text=_("Ages on the day of arrival, e.g. 4, 9"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": _("e.g. 4, 9"), "autocomplete": "off"}),
    )
    rooms = forms.IntegerField(label=_("Rooms"), min_value=1, max_value=settings.BOOKING_MAX_ROOMS, initial=1)

    # The website asks every child's age (prices depend on it); older partner API clients may send a count only.
    ages_required = True

    def clean_children(self):
        return self.cleaned_data.get("children") or 0

    def clean_children_ages(self):
        return parse_ages(self.cleaned_data.get("children_ages") or "")

    def clean(self):
        data = super().clean()
        check_in, check_out = data.get("check_in"), data.get("check_out")
        if check_in and check_out:
            earliest = timezone.now().date() - timedelta(days=1)
            if check_in < earliest:
                self.add_error("check_in", _("Check-in can't be in the past."))
            elif check_in > earliest + timedelta(days=settings.BOOKING_MAX_DAYS_AHEAD):
                self.add_error("check_in", _("We only sell stays up to 500 days ahead."))
            if check_out <= check_in:
                self.add_error("check_out", _("Check-out must be after check-in."))
            elif (check_out - check_in).days > settings.BOOKING_MAX_NIGHTS:
                self.add_error(
                    "check_out", _("Stays are limited to %(n)s nights.") % {"n": settings.BOOKING_MAX_NIGHTS}
                )
        adults, rooms = data.get("adults"), data.get("rooms")
        if adults and rooms and rooms > adults:
            self.add_error("rooms", _("Each room needs at least one adult."))
        ages = data.get("children_ages")
        if ages is not None and "children" in data:
            if ages and not data["children"]:
                data["children"] = len(ages)
            elif ages and len(ages) != data["children"]:
                self.add_error(
                    "children_ages", _("Give one age for each of the %(n)s children.") % {"n": data["children"]}
                )
            elif data["children"] and not ages and self.ages_required:
                self.add_error("children_ages", _("Give each child's age, e.g. 4, 9: children's prices depend on it."))
        return data

    @property
    def stay(self) -> Stay:
        return Stay.from_params(self.cleaned_data)


def parse_ages(text: str) -> list[int]:
    """ "4, 9" → [4, 9]; each age a whole number from 0 to 17, else a form error."""
    ages = []
    for part in text.replace(";", ",").replace(" ", ",").split(","):
        if not part:
            continue
        if not (part.isascii() and part.isdigit()) or int(part) > 17:
            raise forms.ValidationError(_("Ages are whole numbers from 0 to 17, separated by commas (e.g. 4, 9)."))
        ages.append(int(part))
    if len(ages) > 10:
        raise forms.ValidationError(_("At most 10 children per booking."))
    return ages


POOLED_FIELDS = ("adults", "children", "children_ages", "rooms")


class SearchForm(StayForm):
    """Destination, dates and the party: pooled (adults, children, rooms) or, when ``party`` is given, a room
    configuration ("2; 1 + 7": who stays in each room, ``hotels.stay.parse_party``) that decides the totals."""

    destination = forms.CharField(
        label=_("Destination"),
        max_length=100,
        widget=forms.TextInput(attrs={"list": "destinations", "placeholder": _("City"), "autocomplete": "off"}),
    )
    party = forms.CharField(
        label=_("Rooms and guests"),
        max_length=200,
        required=False,
        help_text=_('One room per ";": adults, then each child\'s age, e.g. 2; 1 + 7'),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 2; 1 + 7"), "autocomplete": "off"}),
    )
    field_order = ["destination", "check_in", "check_out", "adults", "children", "children_ages", "rooms", "party"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and (self.data.get("party") or "").strip():
            for name in POOLED_FIELDS:
                self.fields[name].required = False

    def clean_party(self):
        text = (self.cleaned_data.get("party") or "").strip()
        if not text:
            return ()
        try:
            return parse_party(text)
        except PartyError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        party = self.cleaned_data.get("party")
        if party:  # the configuration decides the party; what the pooled fields say (or got wrong) is ignored
            for name in POOLED_FIELDS:
                self.errors.pop(name, None)
            self.cleaned_data.update(
                adults=sum(room.adults for room in party),
                children=sum(room.children for room in party),
                children_ages=[age for room in party for age in room.ages],
                rooms=len(party),
            )
        elif self.is_bound and (self.data.get("party") or "").strip():
            for name in POOLED_FIELDS:  # the configuration has an error of its own: don't ask for the pooled fields
                self.errors.pop(name, None)
        return super().clean()

    def clean_destination(self):
        city = city_for_name(self.cleaned_data["destination"], known_cities())  # "München" → Munich
        if city is not None:
            return city
        raise forms.ValidationError(_("We have no hotels in that city yet. Try one of the suggestions."))


class ResultsFilterForm(forms.Form):
    """Sort and filters of the results page; bad values are dropped, never an error page."""

    sort = forms.ChoiceField(
        choices=[("price", _("Lowest price")), ("stars", _("Most stars")), ("name", _("Name"))], required=False
    )
    min_price = forms.DecimalField(label=_("Min total"), min_value=0, max_digits=12, decimal_places=2, required=False)
    max_price = forms.DecimalField(label=_("Max total"), min_value=0, max_digits=12, decimal_places=2, required=False)
    stars = forms.TypedMultipleChoiceField(
        choices=[(n, "★" * n) for n in range(5, 0, -1)], coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    amenities = forms.MultipleChoiceField(choices=(), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, amenity_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amenities"].choices = amenity_choices

    def clean(self):
        data = super().clean()
        lo, hi = data.get("min_price"), data.get("max_price")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("max_price", _("The maximum must be at least the minimum."))
        return data

    def filters(self) -> dict:
        self.is_valid()  # cleaned_data keeps the valid fields; the invalid ones are simply not applied
        data = self.cleaned_data
        return {
            "sort": data.get("sort") if data.get("sort") in SORTS else "price",
            "min_total": data.get("min_price"),
            "max_total": data.get("max_price"),
            "stars": data.get("stars") or None,
            "amenities": data.get("amenities") or None,
        }
