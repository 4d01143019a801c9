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
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from hotels.models import RatePlan
from hotels.offers import hotel_offers
from hotels.staff import staff_can, staff_hotels
from hotels.stay import Stay
from payments.services import PaymentError

from . import workflow
from .exceptions import BookingError
from .services import GuestDetails
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
        from django.utils import timezone

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
        except (BookingError, PaymentError) as exc:
            lines._non_form_errors = lines.error_class([exc.message])
            return self.render_to_response(self._context(stay_form, hotel, lines, guest, payment, may_override))
        if method == StaffPaymentForm.Method.LINK:
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
