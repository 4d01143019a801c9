"""Forms of the staff console's booking pages: a booking taken on the phone, by e-mail or at the desk, and the
changes staff make to one. They check what a person can mistype (a room for five in a room for two, no adults,
a price override without a reason); the booking services check everything again when the rooms are held."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from hotels.basket import BasketLine, BasketLineInvalid, room_fit_problem
from hotels.models import RatePlan

from .forms import GuestDetailsForm

OVERRIDE_PRICE = "bookings.override_booking_price"


class StaffStayForm(forms.Form):
    """The hotel (among the staff member's) and the dates."""

    hotel = forms.ModelChoiceField(queryset=None, label=_("Hotel"))
    check_in = forms.DateField(label=_("Check-in"), widget=forms.DateInput(attrs={"type": "date"}))
    check_out = forms.DateField(label=_("Check-out"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, hotels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hotel"].queryset = hotels

    def clean(self):
        data = super().clean()
        check_in, check_out = data.get("check_in"), data.get("check_out")
        if check_in and check_out and check_out <= check_in:
            self.add_error("check_out", _("Check-out must be after check-in."))
        elif check_in and check_out and (check_out - check_in).days > settings.BOOKING_MAX_NIGHTS:
            self.add_error("check_out", _("Stays are limited to %(n)d nights.") % {"n": settings.BOOKING_MAX_NIGHTS})
        return data


class StaffRoomLineForm(forms.Form):
    """One room: its rate (hence room type), party, guest and, for a manager, a price agreed with the guest."""

    rate_plan = forms.ModelChoiceField(queryset=RatePlan.objects.none(), label=_("Room and rate"), required=False)
    adults = forms.IntegerField(label=_("Adults"), min_value=0, max_value=30, required=False)
    children_ages = forms.CharField(
        label=_("Children's ages"), max_length=40, required=False, widget=forms.TextInput(attrs={"size": 8})
    )
    guest_name = forms.CharField(label=_("Guest in this room"), max_length=200, required=False)
    price = forms.DecimalField(
        label=_("Price override"), min_value=Decimal("0.00"), max_digits=12, decimal_places=2, required=False
    )
    price_reason = forms.CharField(label=_("Reason for the price"), max_length=200, required=False)

    def __init__(self, *args, plans=None, may_override=False, **kwargs):
        super().__init__(*args, **kwargs)
        if plans is not None:
            self.fields["rate_plan"].queryset = plans
            self.fields["rate_plan"].label_from_instance = lambda p: f"{p.room_type.name} — {p.name}"
        self.may_override = may_override  # the page shows the price fields to managers only; clean() refuses

    def clean(self):
        data = super().clean()
        plan = data.get("rate_plan")
        filled = any(data.get(f) not in (None, "") for f in ("adults", "children_ages", "guest_name", "price"))
        if plan is None:
            if filled:
                self.add_error("rate_plan", _("Choose the room and rate for this line, or clear the line."))
            return data
        adults = data.get("adults")
        if not adults:
            self.add_error("adults", _("Each room needs at least one adult."))
            return data
        try:
            data["line"] = BasketLine.build(rate_plan_id=plan.pk, adults=adults, ages=data.get("children_ages") or "")
        except BasketLineInvalid as exc:
            self.add_error("children_ages", exc.message)
            return data
        problem = room_fit_problem(plan.room_type, adults=adults, children=data["line"].children)
        if problem:
            self.add_error("adults", problem)
        if data.get("price") is not None:
            if not self.may_override:
                self.add_error(None, _("Only a manager of this hotel may change a room's price."))
            elif not (data.get("price_reason") or "").strip():
                self.add_error("price_reason", _("Say why this room is sold at another price."))
        return data


class BaseStaffRoomLineFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not any(form.cleaned_data.get("rate_plan") for form in self.forms):
            raise forms.ValidationError(_("Add at least one room."))


StaffRoomLineFormSet = forms.formset_factory(
    StaffRoomLineForm, formset=BaseStaffRoomLineFormSet, extra=3, max_num=settings.BOOKING_MAX_ROOMS, validate_max=True
)


class StaffGuestForm(GuestDetailsForm):
    """The lead guest, as on the website (no account: staff book for the guest)."""


class StaffPaymentForm(forms.Form):
    class Method:
        LINK = "link"
        CASH = "cash"
        BANK_TRANSFER = "bank_transfer"
        PAY_AT_HOTEL = "pay_at_hotel"

    method = forms.ChoiceField(
        label=_("Payment"),
        widget=forms.RadioSelect,
        choices=[
            (Method.LINK, _("E-mail the guest a payment link (the bank's secure page)")),
            (Method.CASH, _("Paid in cash")),
            (Method.BANK_TRANSFER, _("Paid by bank transfer")),
            (Method.PAY_AT_HOTEL, _("Pays at the hotel")),
        ],
        initial=Method.LINK,
    )
    reference = forms.CharField(
        label=_("Payment reference"),
        max_length=80,
        required=False,
        help_text=_("The receipt number, the transfer's reference or the note in the ledger."),
    )

    def clean(self):
        data = super().clean()
        if data.get("method") not in (None, self.Method.LINK) and not (data.get("reference") or "").strip():
            self.add_error("reference", _("Give the reference of an offline payment."))
        return data
