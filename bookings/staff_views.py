"""The staff console's booking desk: a booking taken on the phone, by e-mail or at the desk.

Staff choose a hotel among theirs and the dates, see what is free and its price, put together the rooms (each
with its party and guest), enter the lead guest and either e-mail a payment link (the bank's secure page) or record
an offline payment with its reference. The rooms are held by the same service as the website's and the partner
API's, so the same rules apply; the booking's history names the staff member and its source is "staff".

Only hotels where the user's role grants ``bookings.add_booking`` are offered; a hotel id from elsewhere in the form
is a form error (the choice is not offered), and the page itself is a 403 for staff without the permission.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from hotels.models import RatePlan
from hotels.offers import hotel_offers
from hotels.staff import staff_can, staff_hotels
from hotels.stay import Stay
from payments.return_tokens import payment_return_url
from payments.services import PaymentError

from . import workflow
from .admin_views import _scoped_booking
from .change_views import ChangeDatesForm, ChangeRoomFormSet, _quoted
from .changes import LineChange
from .exceptions import BookingError
from .models import Booking, RoomLine
from .services import Actor, GuestDetails, line_cancel_quote
from .staff_forms import (
    OVERRIDE_PRICE,
    StaffGuestForm,
    StaffPaymentForm,
    StaffRoomLineFormSet,
    StaffStayForm,
)

ADD = "bookings.add_booking"


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
                    return self._confirm(request, kwargs)
            except (BookingError, PaymentError) as exc:
                errors.append(exc.message)
        return self.render_to_response(self._context(lines, dates, rooms, quote=quote, errors=errors))

    def _confirm(self, request, kwargs):
        change = workflow.booking_modify(
            booking=self.booking,
            expected_total=_quoted(request.POST.get("expected_total")),
            actor_kind=Actor.STAFF,
            actor=request.user,
            channel=Booking.Source.STAFF,
            **kwargs,
        )
        if change.status == change.Status.PENDING_PAYMENT:
            payment = workflow.booking_change_payment_start(
                change=change, return_url=payment_return_url(self.booking.reference), webhook_url=None
            )
            messages.warning(
                request,
                _("The change waits for the guest to pay %(amount)s %(currency)s on the bank's page: %(url)s")
                % {"amount": change.difference, "currency": change.currency, "url": payment.bank_redirect_url},
            )
        else:
            messages.success(request, _("Booking changed: %(summary)s.") % {"summary": change.summary})
        return redirect("admin:bookings_booking_change", self.booking.pk)

    def _cancel_room(self, request):
        if not staff_can(request.user, "bookings.cancel_booking", self.booking.hotel_id):
            raise PermissionDenied
        line_id = str(request.POST.get("cancel_line", ""))
        line = self.booking.lines.filter(pk=int(line_id)).first() if line_id.isdecimal() else None
        if line is None:
            raise Http404("No such room in this booking.")
        penalty = line_cancel_quote(line=line)
        if request.POST.get("quoted_penalty") != str(penalty):
            messages.warning(
                request,
                _("Cancelling room %(n)d now costs %(amount)s %(currency)s: check and confirm again.")
                % {"n": line.position, "amount": penalty, "currency": line.currency},
            )
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
            "cancel_quotes": [(line, line_cancel_quote(line=line)) for line in lines] if cancellable else [],
            "can_cancel_rooms": staff_can(self.request.user, "bookings.cancel_booking", booking.hotel_id),
        }
