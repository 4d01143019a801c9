"""The guest's changes on the booking page: "Change dates", "Change rooms" and "Cancel this room".

Each page first shows what the change costs (old total, new total, difference; or the room's cancellation charge
and refund) and changes nothing; the guest confirms with the quoted amount, and the workflow (``booking_modify``,
``room_line_cancel``: the same services the admin and the partner API use, with the same rules) either does the
change as quoted, or says what changed (the price, a night sold meanwhile) without touching the booking. A
difference to pay is charged on the bank's secure page; one in the guest's favour is refunded to the card.
"""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from display.money import format_money
from hotels.basket import BasketLine, BasketLineInvalid, party_label, room_fit_problem
from hotels.models import RatePlan
from hotels.policy import policy_summary
from payments.return_tokens import payment_return_url
from payments.services import PaymentError, booking_payment_paid

from . import workflow
from .changes import LineChange
from .exceptions import BookingError, PriceChanged
from .models import Booking, BookingChange, RoomLine
from .services import Actor, line_cancel_quote
from .settlement import booking_paid_offline
from .views import _own_booking, login_or_guest_link

WEB = Booking.Source.WEBSITE  # the channel of a change made on the website


def _own(request, reference) -> Booking:
    """The guest's booking as the booking page finds it (their account's, or a guest link's), else 404."""
    return _own_booking(request, reference)


def _actor(request):
    return request.user if request.user.is_authenticated else None


def _quoted(value) -> Decimal | None:
    """An amount a page showed, posted back (``expected_total``, ``quoted_penalty``): None when none was posted. A
    value that is not a finite number ("abc", "sNaN", "Infinity") comes back as a quiet NaN, which equals no price:
    the visitor is shown the current one and asked to confirm again (a signalling NaN would raise when compared)."""
    if value in (None, ""):
        return None
    try:
        amount = Decimal(value)
    except ArithmeticError:
        return Decimal("NaN")
    return amount if amount.is_finite() else Decimal("NaN")


# --- cancel one room --------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_or_guest_link
def booking_cancel_room(request, reference, position):
    booking = _own(request, reference)
    line = get_object_or_404(RoomLine.objects.select_related("room_type"), booking=booking, position=position)
    if not line.is_active:
        messages.info(request, _("This room is already cancelled."))
        return redirect(booking)
    active = booking.lines.filter(status=RoomLine.Status.ACTIVE).count()
    if booking.status != Booking.Status.CONFIRMED or active < 2:
        messages.error(request, _("Only one room of a confirmed booking of several rooms can be cancelled alone."))
        return redirect(booking)
    penalty = line_cancel_quote(line=line)
    payment = booking_payment_paid(booking)
    refund = (
        workflow.room_cancel_refund_quote(booking=booking, line=line, penalty=penalty) if payment else Decimal("0.00")
    )
    paid_offline = payment is None and booking_paid_offline(booking)
    if paid_offline:  # paid at the desk: the hotel pays the room's price less its charge back there
        refund = line.total - penalty
    if request.method == "POST":
        quoted = _quoted(request.POST.get("quoted_penalty"))
        if quoted != penalty:
            messages.warning(
                request,
                _("The cancellation charge for this room is now %(amount)s. Please check and confirm again.")
                % {"amount": format_money(penalty, booking.currency)},
            )
        else:
            try:
                workflow.room_cancel(
                    booking=booking, line_id=line.pk, actor_kind=Actor.CUSTOMER, actor=_actor(request), channel=WEB
                )
            except (BookingError, PaymentError) as exc:
                messages.error(request, exc.message)
                return redirect(booking)
            text = _("Room %(n)d is cancelled.") % {"n": line.position}
            if refund > 0 and paid_offline:
                text += " " + _("The hotel will pay you back %(amount)s.") % {
                    "amount": format_money(refund, booking.currency),
                }
            elif refund > 0:
                text += " " + _("%(amount)s is being refunded to your card.") % {
                    "amount": format_money(refund, booking.currency),
                }
            messages.success(request, text)
            return redirect(booking)
    return render(
        request,
        "bookings/cancel_room.html",
        {
            "booking": booking,
            "line": line,
            "party": party_label(line.adults, line.children_ages),
            "penalty": penalty,
            "refund": max(refund, Decimal("0.00")),
            "paid_offline": paid_offline,
            "policy": policy_summary(line.cancellation_policy),
        },
    )


# --- change dates or rooms -----------------------------------------------------------------------------------------


class ChangeDatesForm(forms.Form):
    check_in = forms.DateField(label=gettext_lazy("New check-in"), widget=forms.DateInput(attrs={"type": "date"}))
    check_out = forms.DateField(label=gettext_lazy("New check-out"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, booking, **kwargs):
        super().__init__(*args, **kwargs)
        self.booking = booking

    def clean(self):
        data = super().clean()
        check_in, check_out = data.get("check_in"), data.get("check_out")
        today = timezone.now().astimezone(self.booking.hotel.tzinfo).date()
        if check_in and check_in < today:
            self.add_error("check_in", _("The new dates can't be in the past."))
        if check_in and check_out and check_out <= check_in:
            self.add_error("check_out", _("Check-out must be after check-in."))
        if check_in == self.booking.check_in and check_out == self.booking.check_out:
            raise forms.ValidationError(_("These are the dates you have booked already."))
        return data


class ChangeRoomForm(forms.Form):
    """One room of the booking as it should be: its rate (hence its type), party and guest."""

    rate_plan = forms.ModelChoiceField(queryset=RatePlan.objects.none(), label=gettext_lazy("Room and rate"))
    adults = forms.IntegerField(label=gettext_lazy("Adults"), min_value=0, max_value=30)
    children_ages = forms.CharField(label=gettext_lazy("Children's ages"), max_length=40, required=False)
    guest_name = forms.CharField(label=gettext_lazy("Guest in this room"), max_length=200, required=False)

    def __init__(self, *args, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rate_plan"].queryset = plans
        self.fields["rate_plan"].label_from_instance = lambda p: f"{p.room_type.name} — {p.name}"

    def clean(self):
        data = super().clean()
        plan, adults = data.get("rate_plan"), data.get("adults")
        if plan is None or adults is None:
            return data
        if adults < 1:
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
        return data


ChangeRoomFormSet = forms.formset_factory(ChangeRoomForm, extra=0)


class AddRoomForm(ChangeRoomForm):
    """A room to add to the booking (same stay): left empty, nothing is added."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rate_plan"].required = False
        self.fields["rate_plan"].empty_label = _("No room to add")
        self.fields["adults"].required = False

    def clean(self):
        data = forms.Form.clean(self)
        plan = data.get("rate_plan")
        if plan is None:
            if data.get("adults") or data.get("children_ages") or data.get("guest_name"):
                self.add_error("rate_plan", _("Choose the room and rate to add, or leave the new room empty."))
            return data
        if not data.get("adults"):
            self.add_error("adults", _("Each room needs at least one adult."))
            return data
        return super().clean()

    def room_change(self) -> LineChange | None:
        data = self.cleaned_data
        if data.get("rate_plan") is None:
            return None
        return LineChange(
            room_type=data["rate_plan"].room_type,
            rate_plan=data["rate_plan"],
            adults=data["line"].adults,
            children_ages=data["line"].children_ages,
            guest_name=(data.get("guest_name") or "").strip() or None,
        )


def _change_allowed(request, booking) -> bool:
    if booking.status != Booking.Status.CONFIRMED or booking.check_in <= timezone.now().date():
        messages.error(request, _("This booking can no longer be changed online. Please contact the hotel."))
        return False
    return True


def _modify(request, booking, *, check_in=None, check_out=None, rooms=()):
    """Quote (and, on "confirm", make) a change: ``(quote, outcome)``, the outcome a response that ends the request,
    a message for the form, or None (show the quote)."""
    try:
        quote = workflow.booking_change_quote(booking=booking, check_in=check_in, check_out=check_out, changes=rooms)
    except BookingError as exc:
        return None, str(exc.message)  # a lazy message is text too, never a response
    if "confirm" not in request.POST:
        return quote, None
    try:
        change = workflow.booking_modify(
            booking=booking,
            check_in=check_in,
            check_out=check_out,
            rooms=rooms,
            expected_total=_quoted(request.POST.get("expected_total")),
            actor_kind=Actor.CUSTOMER,
            actor=_actor(request),
            channel=WEB,
        )
    except PriceChanged as exc:
        messages.warning(request, _("The price changed: %(msg)s Please check the new price.") % {"msg": exc.message})
        return _requote(booking, check_in, check_out, rooms)
    except (BookingError, PaymentError) as exc:
        return None, str(exc.message)  # a lazy message is text too, never a response
    if change.status == BookingChange.Status.PENDING_PAYMENT:
        try:
            payment = workflow.booking_change_payment_start(
                change=change,
                return_url=payment_return_url(booking.reference),
                webhook_url=settings.SITE_URL + reverse("payments:webhook"),
            )
        except (BookingError, PaymentError) as exc:
            messages.error(request, exc.message)
            return quote, redirect(booking)
        return quote, HttpResponseRedirect(payment.bank_redirect_url)
    text = _("Your booking is changed.")
    if change.difference and booking_paid_offline(booking):
        if change.difference > 0:
            text += " " + _("Please pay the difference of %(amount)s at the hotel.") % {
                "amount": format_money(change.difference, booking.currency),
            }
        else:
            text += " " + _("The hotel will pay you back %(amount)s.") % {
                "amount": format_money(-change.difference, booking.currency),
            }
    elif change.difference < 0:
        text += " " + _("%(amount)s is being refunded to your card.") % {
            "amount": format_money(-change.difference, booking.currency),
        }
    messages.success(request, text)
    return quote, redirect(booking)


def _requote(booking, check_in, check_out, rooms):
    try:
        return workflow.booking_change_quote(
            booking=booking, check_in=check_in, check_out=check_out, changes=rooms
        ), None
    except BookingError as exc:
        return None, str(exc.message)  # a lazy message is text too, never a response


def _quote_context(quote, booking) -> dict:
    return {
        "quote": quote,
        "refund": -quote.difference if quote is not None and quote.difference < 0 else None,
        # paid at the desk: the hotel settles the difference, the guest is never sent to the bank for it
        "paid_offline": quote is not None and booking_paid_offline(booking),
    }


@require_http_methods(["GET", "POST"])
@login_or_guest_link
def booking_change_dates(request, reference):
    booking = _own(request, reference)
    if not _change_allowed(request, booking):
        return redirect(booking)
    initial = {"check_in": booking.check_in, "check_out": booking.check_out}
    form = ChangeDatesForm(request.POST or None, booking=booking, initial=initial)
    quote = None
    if request.method == "POST" and form.is_valid():
        quote, outcome = _modify(
            request, booking, check_in=form.cleaned_data["check_in"], check_out=form.cleaned_data["check_out"]
        )
        if isinstance(outcome, str):
            form.add_error(None, outcome)
        elif outcome is not None:
            return outcome
    return render(
        request,
        "bookings/change.html",
        {
            "booking": booking,
            "form": form,
            **_quote_context(quote, booking),
            "what": "dates",
            "title": _("Change dates"),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_or_guest_link
def booking_change_rooms(request, reference):
    booking = _own(request, reference)
    if not _change_allowed(request, booking):
        return redirect(booking)
    lines = list(booking.lines.filter(status=RoomLine.Status.ACTIVE).select_related("room_type").order_by("position"))
    plans = (
        RatePlan.objects.filter(room_type__hotel=booking.hotel, is_active=True, room_type__is_active=True)
        .select_related("room_type")
        .order_by("room_type__name", "position", "pk")
    )
    initial = [
        {
            "rate_plan": line.rate_plan_id,
            "adults": line.adults,
            "children_ages": ", ".join(str(a) for a in line.children_ages),
            "guest_name": line.guest_name,
        }
        for line in lines
    ]
    formset = ChangeRoomFormSet(request.POST or None, prefix="room", initial=initial, form_kwargs={"plans": plans})
    add_form = AddRoomForm(request.POST or None, prefix="add", plans=plans)
    quote = None
    errors = []
    if request.method == "POST" and formset.is_valid() and add_form.is_valid():
        rooms = [
            LineChange(
                line_id=line.pk,
                room_type=form.cleaned_data["rate_plan"].room_type,
                rate_plan=form.cleaned_data["rate_plan"],
                adults=form.cleaned_data["line"].adults,
                children_ages=form.cleaned_data["line"].children_ages,
                guest_name=form.cleaned_data.get("guest_name") or "",
            )
            for line, form in zip(lines, formset.forms, strict=False)
        ]
        added = add_form.room_change()
        if added is not None:
            rooms.append(added)
        quote, outcome = _modify(request, booking, rooms=rooms)
        if isinstance(outcome, str):
            errors.append(outcome)
        elif outcome is not None:
            return outcome
    return render(
        request,
        "bookings/change.html",
        {
            "booking": booking,
            "formset": formset,
            "rooms": list(zip(lines, formset.forms, strict=False)),
            "add_form": add_form,
            "can_add_room": len(lines) < settings.BOOKING_MAX_ROOMS,
            "errors": errors,
            **_quote_context(quote, booking),
            "what": "rooms",
            "title": _("Change rooms"),
        },
        status=400 if errors or (formset.is_bound and not (formset.is_valid() and add_form.is_valid())) else 200,
    )
