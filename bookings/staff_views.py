"""The staff console's booking desk: a booking taken on the phone, by e-mail or at the desk.

Staff choose a hotel among theirs and the dates, see what is free and its price, put together the rooms (each
with its party and guest), enter the lead guest and either e-mail a payment link (the bank's secure page) or record
an offline payment with its reference. The rooms are held by the same service as the website's and the partner
API's, so the same rules apply; the booking's history names the staff member and its source is "staff".

Only hotels where the user's role grants ``bookings.add_booking`` are offered; a hotel id from elsewhere in the form
is a form error (the choice is not offered), and the page itself is a 403 for staff without the permission.
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from hotels.models import RatePlan
from hotels.offers import hotel_offers
from hotels.staff import staff_can, staff_hotels
from hotels.stay import Stay
from payments.services import PaymentError

from . import workflow
from .admin_views import _scoped_booking
from .change_views import ChangeDatesForm, ChangeRoomFormSet
from .changes import LineChange
from .exceptions import BookingError, PriceChanged
from .models import Booking, RoomLine
from .services import Actor, GuestDetails, line_cancel_quote
from .settlement import booking_paid_offline
from .staff_forms import (
    OVERRIDE_PRICE,
    StaffGuestForm,
    StaffPaymentForm,
    StaffRoomLineFormSet,
    StaffStayForm,
)

ADD = "bookings.add_booking"
PRICES = "bookings.view_booking_prices"


class StaffBookingNewView(TemplateView):
    """``GET``: the form, with availability once a hotel and dates are chosen; ``POST`` with ``look``: show
    availability for the chosen stay; ``POST`` with ``create``: hold the rooms and take or ask for payment."""

    template_name = "admin/staybook/booking_new.html"
    model_admin = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(ADD):
            raise PermissionDenied
        self.hotels = staff_hotels(request.user, ADD).order_by("name")
        return super().dispatch(request, *args, **kwargs)

    def _forms(self, data):
        stay_form = StaffStayForm(data, hotels=self.hotels, initial=self._initial_stay())
        hotel = stay_form.cleaned_data["hotel"] if stay_form.is_bound and stay_form.is_valid() else None
        plans = (
            RatePlan.objects.filter(room_type__hotel=hotel, is_active=True, room_type__is_active=True)
            .select_related("room_type")
            .order_by("room_type__name", "position", "pk")
            if hotel
            else RatePlan.objects.none()
        )
        may_override = hotel is not None and staff_can(self.request.user, OVERRIDE_PRICE, hotel.pk)
        creating = data is not None and "create" in data
        lines = StaffRoomLineFormSet(
            data if creating else None,
            prefix="room",
            form_kwargs={"plans": plans, "may_override": may_override},
        )
        guest = StaffGuestForm(data if creating else None, prefix="guest")
        payment = StaffPaymentForm(data if creating else None, prefix="payment")
        return stay_form, hotel, lines, guest, payment, may_override

    def _initial_stay(self):
        today = timezone.now().date()
        return {"hotel": self.hotels.first(), "check_in": today, "check_out": today + timedelta(days=1)}

    def get(self, request, *args, **kwargs):
        data = request.GET if "hotel" in request.GET else None
        return self.render_to_response(self._context(*self._forms(data)))

    def post(self, request, *args, **kwargs):
        stay_form, hotel, lines, guest, payment, may_override = self._forms(request.POST)
        if "create" not in request.POST or hotel is None:
            return self.render_to_response(self._context(stay_form, hotel, lines, guest, payment, may_override))
        if not (lines.is_valid() and guest.is_valid() and payment.is_valid()):
            return self.render_to_response(self._context(stay_form, hotel, lines, guest, payment, may_override))
        stay = _stay(stay_form.cleaned_data)
        rooms = [form.cleaned_data for form in lines.forms if form.cleaned_data.get("rate_plan")]
        method = payment.cleaned_data["method"]
        try:
            booking = workflow.booking_staff_create(
                hotel=hotel,
                stay=stay,
                rooms=[
                    workflow.StaffRoom(
                        rate_plan=room["rate_plan"],
                        line=room["line"],
                        guest_name=room.get("guest_name") or "",
                        price=room.get("price"),
                        price_reason=(room.get("price_reason") or "").strip(),
                    )
                    for room in rooms
                ],
                guest=GuestDetails(
                    **{
                        k: guest.cleaned_data[k]
                        for k in ("first_name", "last_name", "email", "phone", "special_requests")
                    }
                ),
                actor=request.user,
                payment_method=method,
                payment_reference=payment.cleaned_data.get("reference", "").strip(),
            )
        except BookingError as exc:
            context = self._context(stay_form, hotel, lines, guest, payment, may_override)
            return self.render_to_response({**context, "errors": [exc.message]})
        if method == StaffPaymentForm.Method.LINK:
            # After the hold's commit: a bank that can't be reached leaves the rooms held, never a second booking.
            try:
                workflow.payment_link_send(booking=booking)
            except PaymentError as exc:
                messages.warning(
                    request,
                    _(
                        "Booking %(ref)s is held, but the payment link could not be sent (%(error)s). Send it again "
                        'with the action "E-mail a payment link" in the list of bookings.'
                    )
                    % {"ref": booking.reference, "error": exc.message},
                )
                return redirect("admin:bookings_booking_change", booking.pk)
            messages.success(
                request,
                _("Booking %(ref)s is held; a payment link was e-mailed to %(email)s.")
                % {"ref": booking.reference, "email": booking.guest_email},
            )
        else:
            messages.success(request, _("Booking %(ref)s is confirmed.") % {"ref": booking.reference})
        return redirect("admin:bookings_booking_change", booking.pk)

    def _context(self, stay_form, hotel, lines, guest, payment, may_override):
        offers = []
        if hotel is not None:
            stay = _stay(stay_form.cleaned_data)
            offers = hotel_offers(hotel=hotel, stay=Stay(check_in=stay.check_in, check_out=stay.check_out, adults=1))
        return {
            **self.model_admin.admin_site.each_context(self.request),
            "opts": self.model_admin.model._meta,
            "title": _("New booking"),
            "stay_form": stay_form,
            "hotel": hotel,
            "offers": offers,
            "lines": lines,
            "guest_form": guest,
            "payment_form": payment,
            "may_override": may_override,
        }


def price_token(booking: Booking, amount, *extra) -> str:
    """A token of a price shown (or not shown) to staff: confirming with it proves the price has not moved since,
    without the page giving the price away to a role that may not see it."""
    value = ":".join(str(part) for part in (booking.pk, booking.currency, amount, *extra))
    return salted_hmac("bookings.staff_change.price", value).hexdigest()


def _decimal(value) -> Decimal | None:
    """A posted amount; None when absent or not a finite number (a signalling NaN would raise when compared)."""
    try:
        amount = Decimal(value) if value not in (None, "") else None
    except (InvalidOperation, ArithmeticError):
        return None
    return amount if amount is None or amount.is_finite() else None


def _stay(data) -> Stay:
    return Stay(check_in=data["check_in"], check_out=data["check_out"], adults=1)


class StaffBookingChangeView(TemplateView):
    """Change a booking's dates or rooms, or cancel one of its rooms, from its admin page: the same workflow
    services and rules as the guest's booking page (``booking_change_quote`` first, nothing changed until staff
    confirm the quoted total), recorded with the staff member and the ``staff`` channel. Changing needs
    ``bookings.change_booking`` at the booking's hotel, cancelling a room ``bookings.cancel_booking``; a booking of
    another hotel is a 404."""

    template_name = "admin/staybook/booking_change.html"
    model_admin = None

    def dispatch(self, request, *args, **kwargs):
        self.booking = _scoped_booking(request, kwargs["booking_id"], "bookings.change_booking")
        # a role that doesn't see the booking's prices (front desk) isn't shown them here either: the quote says
        # what changes and confirms against a token of the price instead of the price itself
        self.sees_prices = staff_can(request.user, PRICES, self.booking.hotel_id)
        return super().dispatch(request, *args, **kwargs)

    def _lines(self):
        return list(
            self.booking.lines.filter(status=RoomLine.Status.ACTIVE).select_related("room_type").order_by("position")
        )

    def _forms(self, data):
        booking, lines = self.booking, self._lines()
        plans = (
            RatePlan.objects.filter(room_type__hotel=booking.hotel, is_active=True, room_type__is_active=True)
            .select_related("room_type")
            .order_by("room_type__name", "position", "pk")
        )
        dates = ChangeDatesForm(
            data, booking=booking, initial={"check_in": booking.check_in, "check_out": booking.check_out}
        )
        dates.fields["check_in"].required = dates.fields["check_out"].required = False
        rooms = ChangeRoomFormSet(
            data,
            prefix="room",
            initial=[
                {
                    "rate_plan": line.rate_plan_id,
                    "adults": line.adults,
                    "children_ages": ", ".join(str(a) for a in line.children_ages),
                    "guest_name": line.guest_name,
                }
                for line in lines
            ],
            form_kwargs={"plans": plans},
        )
        return lines, dates, rooms

    def get(self, request, *args, **kwargs):
        lines, dates, rooms = self._forms(None)
        return self.render_to_response(self._context(lines, dates, rooms))

    def post(self, request, *args, **kwargs):
        if "cancel_line" in request.POST:
            return self._cancel_room(request)
        lines, dates, rooms = self._forms(request.POST)
        quote, errors = None, []
        dates_changed = (
            request.POST.get("check_in") != self.booking.check_in.isoformat()
            or request.POST.get("check_out") != self.booking.check_out.isoformat()
        )
        dates_ok = dates.is_valid() if dates_changed else True
        if dates_ok and rooms.is_valid():
            kwargs = {
                "check_in": dates.cleaned_data.get("check_in") if dates_changed else None,
                "check_out": dates.cleaned_data.get("check_out") if dates_changed else None,
                "rooms": [
                    LineChange(
                        line_id=line.pk,
                        room_type=form.cleaned_data["rate_plan"].room_type,
                        rate_plan=form.cleaned_data["rate_plan"],
                        adults=form.cleaned_data["line"].adults,
                        children_ages=form.cleaned_data["line"].children_ages,
                        guest_name=form.cleaned_data.get("guest_name") or "",
                    )
                    for line, form in zip(lines, rooms.forms, strict=False)
                ],
            }
            try:
                quote = workflow.booking_change_quote(
                    booking=self.booking,
                    check_in=kwargs["check_in"],
                    check_out=kwargs["check_out"],
                    changes=kwargs["rooms"],
                )
                if "confirm" in request.POST:
                    return self._confirm(request, kwargs, quote)
            except (BookingError, PaymentError) as exc:
                errors.append(exc.message)
        return self.render_to_response(self._context(lines, dates, rooms, quote=quote, errors=errors))

    def _expected_total(self, request, quote) -> Decimal:
        """The total staff confirmed: the quoted price they were shown (``expected_total``), or, for a role that is
        not shown prices, the token of the quote they were shown. Raises ``PriceChanged`` when it is missing,
        garbled or not the price now, so staff see the new quote and confirm again."""
        expected = _decimal(request.POST.get("expected_total"))
        token = request.POST.get("quote_token") or ""
        if expected is None and token and constant_time_compare(token, price_token(self.booking, quote.new_total)):
            expected = quote.new_total
        if expected is None or expected != quote.new_total:
            raise PriceChanged(self._moved_message(quote.new_total, quote.currency))
        return expected

    def _moved_message(self, total, currency) -> str:
        if self.sees_prices:
            return _("The price of this change is now %(total)s %(currency)s: check it and confirm again.") % {
                "total": total,
                "currency": currency,
            }
        return _("The price of this change has moved since it was shown: check it and confirm again.")

    def _confirm(self, request, kwargs, quote):
        try:
            change = workflow.booking_modify(
                booking=self.booking,
                expected_total=self._expected_total(request, quote),
                actor_kind=Actor.STAFF,
                actor=request.user,
                channel=Booking.Source.STAFF,
                hold_minutes=workflow.STAFF_LINK_HOLD_MINUTES,
                **kwargs,
            )
        except PriceChanged as exc:
            total = exc.details.get("total")
            raise PriceChanged(
                self._moved_message(total, exc.details.get("currency")) if total is not None else exc.message
            ) from exc
        if change.status == change.Status.PENDING_PAYMENT:
            # the guest pays the difference: the bank's page goes to the guest by e-mail, never to the staff
            # member's browser; staff get the link to pass on if the guest asks for it
            try:
                payment = workflow.change_payment_link_send(change=change)
            except (BookingError, PaymentError) as exc:
                messages.error(
                    request,
                    _(
                        "The booking was not changed: the payment link for the difference could not be sent "
                        "(%(error)s). Try the change again in a few minutes."
                    )
                    % {"error": exc.message},
                )
                return redirect("admin:bookings_booking_change", self.booking.pk)
            messages.success(
                request,
                format_html(
                    '{} <input type="text" readonly size="60" value="{}" aria-label="{}">',
                    _("The change waits for the guest's payment: payment link sent to %(email)s.")
                    % {"email": self.booking.guest_email},
                    payment.bank_redirect_url,
                    _("Payment link"),
                ),
            )
        else:
            messages.success(request, _("Booking changed: %(summary)s.") % {"summary": change.summary})
            if change.difference and self.sees_prices and booking_paid_offline(self.booking):
                text = (
                    _("Paid at the desk: collect %(amount)s %(currency)s from the guest and record it on this page.")
                    if change.difference > 0
                    else _(
                        "Paid at the desk: pay %(amount)s %(currency)s back to the guest and record it on this page."
                    )
                )
                messages.warning(request, text % {"amount": abs(change.difference), "currency": change.currency})
        return redirect("admin:bookings_booking_change", self.booking.pk)

    def _cancel_room(self, request):
        if not staff_can(request.user, "bookings.cancel_booking", self.booking.hotel_id):
            raise PermissionDenied
        line_id = str(request.POST.get("cancel_line", ""))
        line = self.booking.lines.filter(pk=int(line_id)).first() if line_id.isdecimal() else None
        if line is None:
            raise Http404(_("No such room in this booking."))
        penalty = line_cancel_quote(line=line)
        quoted = request.POST.get("quoted_penalty")
        token = request.POST.get("penalty_token") or ""
        if quoted != str(penalty) and not (
            quoted is None and token and constant_time_compare(token, price_token(self.booking, penalty, line.pk))
        ):
            if self.sees_prices:
                text = _("Cancelling room %(n)d now costs %(amount)s %(currency)s: check and confirm again.") % {
                    "n": line.position,
                    "amount": penalty,
                    "currency": line.currency,
                }
            else:
                text = _("The charge for cancelling room %(n)d has changed: check and confirm again.") % {
                    "n": line.position
                }
            messages.warning(request, text)
            return redirect("admin:bookings_booking_staff_change", self.booking.pk)
        try:
            workflow.room_cancel(
                booking=self.booking,
                line_id=line.pk,
                actor_kind=Actor.STAFF,
                actor=request.user,
                channel=Booking.Source.STAFF,
            )
        except (BookingError, PaymentError) as exc:
            messages.error(request, exc.message)
            return redirect("admin:bookings_booking_staff_change", self.booking.pk)
        messages.success(request, _("Room %(n)d is cancelled.") % {"n": line.position})
        return redirect("admin:bookings_booking_change", self.booking.pk)

    def _context(self, lines, dates, rooms, quote=None, errors=()):
        booking = self.booking
        cancellable = booking.status == Booking.Status.CONFIRMED and len(lines) > 1
        return {
            **self.model_admin.admin_site.each_context(self.request),
            "opts": self.model_admin.model._meta,
            "title": _("Change booking %(ref)s") % {"ref": booking.reference},
            "booking": booking,
            "dates_form": dates,
            "rooms_formset": rooms,
            "rooms": list(zip(lines, rooms.forms, strict=False)),
            "quote": quote,
            "errors": errors,
            "cancel_quotes": [
                (line, penalty, price_token(booking, penalty, line.pk))
                for line, penalty in ((line, line_cancel_quote(line=line)) for line in lines)
            ]
            if cancellable
            else [],
            "can_cancel_rooms": staff_can(self.request.user, "bookings.cancel_booking", booking.hotel_id),
            "sees_prices": self.sees_prices,
            "quote_token": price_token(booking, quote.new_total) if quote is not None else "",
        }
