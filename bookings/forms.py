from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from hotels.basket import BasketLine, BasketLineInvalid, room_fit_problem
from hotels.forms import StayForm
from hotels.models import RatePlan, RoomType
from hotels.offers import default_rate_plan
from hotels.stay import Stay


class BookingStartForm(StayForm):
    """The offer chosen on a hotel page: a rate plan (or, from older pages, a room type and its default plan)."""

    rate_plan = forms.ModelChoiceField(
        queryset=RatePlan.objects.filter(
            is_active=True, room_type__is_active=True, room_type__hotel__is_active=True
        ).select_related("room_type__hotel"),
        required=False,
    )
    room_type = forms.ModelChoiceField(
        queryset=RoomType.objects.filter(is_active=True, hotel__is_active=True).select_related("hotel"),
        required=False,
    )

    def clean(self):
        data = super().clean()
        plan, room_type = data.get("rate_plan"), data.get("room_type")
        if plan is None and room_type is not None:
            plan = default_rate_plan(room_type)
        if plan is None or (room_type is not None and plan.room_type_id != room_type.pk):
            raise forms.ValidationError("Choose a room and rate.")
        data["rate_plan"], data["room_type"] = plan, plan.room_type
        return data


class BasketStartForm(StayForm):
    """The rooms put together on a hotel page: the dates and one ``room`` value per room (``<plan>:<adults>:<ages>``,
    ``hotels.basket``), every room with its own party. The party fields of :class:`StayForm` are the rooms'."""

    adults = children = children_ages = rooms = None

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.room_values = data.getlist("room") if data is not None and hasattr(data, "getlist") else []

    def clean(self):
        data = super().clean()
        lines = []
        try:
            lines = [BasketLine.parse(value) for value in self.room_values]
        except BasketLineInvalid as exc:
            raise forms.ValidationError(exc.message) from exc
        if not lines:
            raise forms.ValidationError(_("Choose at least one room."))
        if len(lines) > settings.BOOKING_MAX_ROOMS:
            raise forms.ValidationError(
                _("You can book up to %(count)d rooms at once.") % {"count": settings.BOOKING_MAX_ROOMS}
            )
        plans = RatePlan.objects.filter(
            pk__in={line.rate_plan_id for line in lines}, is_active=True, room_type__is_active=True
        ).select_related("room_type__hotel")
        plans = {plan.pk: plan for plan in plans}
        if any(line.rate_plan_id not in plans for line in lines):
            raise forms.ValidationError(_("A rate you chose is not sold any more: please choose your rooms again."))
        hotels = {plans[line.rate_plan_id].room_type.hotel_id for line in lines}
        if len(hotels) != 1:
            raise forms.ValidationError(_("All the rooms of a booking must be in the same hotel."))
        for position, line in enumerate(lines, start=1):
            problem = room_fit_problem(plans[line.rate_plan_id].room_type, adults=line.adults, children=line.children)
            if problem:
                raise forms.ValidationError(_("Room %(n)d: %(problem)s") % {"n": position, "problem": problem})
        data["lines"], data["plans"] = lines, plans
        data["hotel"] = plans[lines[0].rate_plan_id].room_type.hotel
        return data

    @property
    def stay(self) -> Stay:
        data = self.cleaned_data
        return Stay(check_in=data["check_in"], check_out=data["check_out"], adults=1)


class RoomGuestsForm(forms.Form):
    """The name of the guest staying in each room (the lead guest's when left blank)."""

    def __init__(self, *args, rooms: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for i, label in enumerate(rooms):
            self.fields[f"room_{i}"] = forms.CharField(
                label=_("Guest in room %(n)d (%(room)s)") % {"n": i + 1, "room": label},
                max_length=200,
                required=False,
                help_text=_("Leave blank for the lead guest.") if i == 0 else "",
            )

    def names(self) -> list[str]:
        return [self.cleaned_data.get(f"room_{i}", "").strip() for i in range(len(self.fields))]


class GuestDetailsForm(forms.Form):
    first_name = forms.CharField(
        label="First name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label="Last name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    email = forms.EmailField(label="E-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(
        label="Phone",
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    special_requests = forms.CharField(
        label="Special requests",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Not guaranteed, but the hotel will do its best.",
    )

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and not all(c.isdigit() or c in "+ ()-." for c in phone):
            raise forms.ValidationError("Use digits, spaces and + ( ) - only.")
        return phone


class GuestSignupForm(GuestDetailsForm):
    """Guest details plus a password: a guest creates their account inside the booking flow."""

    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="You'll use it to see, download or cancel your booking.",
    )
    password2 = forms.CharField(
        label="Password again", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords don't match.")
        elif p1:
            try:
                password_validation.validate_password(p1)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class GuestLinkRequestForm(forms.Form):
    """A new "manage my booking" link for a booking made without an account."""

    reference = forms.CharField(
        label=_("Booking reference"), max_length=12, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    email = forms.EmailField(
        label=_("E-mail address used for the booking"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
