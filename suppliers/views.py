"""Booking a supplier's hotel (resold from another site): one page with the offer as the supplier prices it now and the guest's
details, then the bank's page as for our own hotels."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from bookings.exceptions import BookingError, PriceChanged
from bookings.guest_email import guest_details_typed, guest_email_code_send, guest_email_verified
from bookings.holds import hold_allowed_check, hold_made
from bookings.services import GuestDetails
from bookings.views import BOOKING_RATE, CODES_SPENT, _to_bank, _too_many, guest_email_verify_url
from hotels.policy import policy_summary

from .client import SupplierError
from .forms import SupplierGuestForm, SupplierOfferForm
from .models import Supplier
from .services import supplier_booking_hold, supplier_offer_find


@require_http_methods(["GET", "POST"])
@login_required
@ratelimit(key="user", rate=BOOKING_RATE, method="POST", block=False)
def supplier_book(request):
    if getattr(request, "limited", False):
        return _too_many(request)
    offer_form = SupplierOfferForm(request.GET)
    if not offer_form.is_valid():
        messages.error(request, _("That offer isn't valid any more: please search again."))
        return redirect("hotels:home")
    choice = offer_form.cleaned_data
    supplier = Supplier.objects.filter(pk=choice["supplier"], enabled=True).first()
    stay = offer_form.stay
    if supplier is None:
        messages.error(
            request, _("This hotel can't be booked through its supplier at the moment. Please choose another hotel.")
        )
        return redirect("hotels:home")
    try:
        hotel, offer = supplier_offer_find(
            supplier=supplier,
            remote_hotel_id=choice["hotel"],
            remote_room_type_id=choice["room_type"],
            remote_rate_plan_id=choice["rate_plan"],
            stay=stay,
        )
    except BookingError as exc:
        messages.error(request, _("%(reason)s Please choose another room or hotel.") % {"reason": exc.message})
        return redirect("hotels:home")
    except SupplierError:
        messages.error(
            request,
            _(
                "%(supplier)s is not answering right now, so this hotel can’t be booked. Nothing has been charged. "
                "Please try again in a few minutes."
            )
            % {"supplier": supplier.name},
        )
        return redirect("hotels:home")
    user = request.user
    typed = guest_details_typed(request) if request.method == "GET" else {}
    form = SupplierGuestForm(
        request.POST or None,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "phone": user.phone,
            **typed,  # what was typed before confirming the guest's address
            "expected_total": offer.total,
        },
    )
    if request.method == "POST" and form.is_valid() and not guest_email_verified(request, form.cleaned_data["email"]):
        details = {k: form.cleaned_data[k] for k in ("first_name", "last_name", "email", "phone", "special_requests")}
        if guest_email_code_send(request, details["email"], details=details):
            here = request.get_full_path()
            return redirect(guest_email_verify_url(next_url=here, change_url=here))
        form.add_error("email", CODES_SPENT)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            hold_allowed_check(request)
            booking = supplier_booking_hold(
                supplier=supplier,
                remote_hotel_id=choice["hotel"],
                remote_room_type_id=choice["room_type"],
                remote_rate_plan_id=choice["rate_plan"],
                stay=stay,
                guest=GuestDetails(
                    **{k: data[k] for k in ("first_name", "last_name", "email", "phone", "special_requests")}
                ),
                customer=user,
                expected_total=data["expected_total"],
            )
        except PriceChanged as exc:
            messages.warning(
                request,
                _("The price changed while you were booking: %(reason)s Please check it.") % {"reason": exc.message},
            )
            return redirect(request.get_full_path())
        except BookingError as exc:
            messages.error(request, _("%(reason)s Nothing has been charged.") % {"reason": exc.message})
            return redirect("hotels:home")
        except SupplierError:
            messages.error(
                request,
                _("%(supplier)s stopped answering. Nothing has been charged; please try again.")
                % {"supplier": supplier.name},
            )
            return redirect(request.get_full_path())
        hold_made(request, booking)
        return _to_bank(request, booking)
    return render(
        request,
        "suppliers/book.html",
        {
            "form": form,
            "supplier": supplier,
            "hotel": hotel.hotel,
            "offer": offer,
            "stay": stay,
            "policy": policy_summary(offer.policy),
        },
    )
