"""The website's booking flow: choose → guest details (and account) → review → pay at the bank → booking page."""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from accounts.services import AccountExists, user_create
from hotels.models import RatePlan, RoomType
from hotels.offers import default_rate_plan, hotel_offers
from hotels.policy import policy_summary
from payments.currency import rates_date
from payments.receipts import receipt_issue
from payments.services import PaymentError, payment_start

from .drafts import draft_create, draft_get, draft_stay, draft_update
from .exceptions import BookingError, PriceChanged, SoldOut
from .forms import BookingStartForm, GuestDetailsForm, GuestSignupForm
from .models import Booking
from .selectors import customer_bookings
from .services import Actor, GuestDetails, booking_cancel, booking_cancel_quote, booking_hold, stay_validate


def _hotel_url(room_type, stay) -> str:
    return f"{room_type.hotel.get_absolute_url()}?{stay.query()}"


def _too_many(request):
    return render(request, "429.html", status=429)


# Starting and paying for bookings costs money (holds, bank sessions): limited per IP and per account.
BOOKING_RATE = "30/m"


@require_POST
@ratelimit(key="ip", rate=BOOKING_RATE, block=False)
@ratelimit(key="user_or_ip", rate=BOOKING_RATE, block=False)
def booking_start(request):
    if getattr(request, "limited", False):
        return _too_many(request)
    form = BookingStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That choice isn't valid any more: please pick your room again.")
        room_type = (
            RoomType.objects.filter(pk=request.POST.get("room_type") or 0).select_related("hotel").first()
            if str(request.POST.get("room_type", "")).isdigit()
            else None
        )
        return redirect(room_type.hotel.get_absolute_url() if room_type else "hotels:home")
    rate_plan, room_type, stay = form.cleaned_data["rate_plan"], form.cleaned_data["room_type"], form.stay
    try:
        stay_validate(room_type=room_type, stay=stay)
    except BookingError as exc:
        messages.error(request, exc.message)
        return redirect(_hotel_url(room_type, stay))
    token = draft_create(request.session, rate_plan_id=rate_plan.pk, stay=stay)
    return redirect("bookings:guest", token=token)


def _draft_or_404(request, token):
    draft = draft_get(request.session, token)
    if draft is None:
        raise Http404("This booking draft has expired.")
    if "rate_plan" not in draft:  # a draft started before rate plans: its room type's default plan
        room_type = get_object_or_404(RoomType, pk=draft.get("room_type") or 0)
        draft["rate_plan"] = getattr(default_rate_plan(room_type), "pk", 0)
    rate_plan = get_object_or_404(RatePlan.objects.select_related("room_type__hotel"), pk=draft["rate_plan"] or 0)
    return draft, rate_plan, draft_stay(draft)


def _offer(rate_plan, stay):
    """The offer the guest reviews, priced as on the hotel page and by the hold, or None if no longer sold."""
    offers = hotel_offers(hotel=rate_plan.room_type.hotel, stay=stay)
    return next((o for o in offers if o.rate_plan.pk == rate_plan.pk), None)


@require_http_methods(["GET", "POST"])
def booking_guest(request, token):
    draft, rate_plan, stay = _draft_or_404(request, token)
    if draft["booking"]:
        return redirect("bookings:detail", reference=draft["booking"])
    form_class = GuestDetailsForm if request.user.is_authenticated else GuestSignupForm
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if not request.user.is_authenticated:
                try:
                    user = user_create(
                        email=data["email"],
                        password=data["password1"],
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        phone=data["phone"],
                    )
                except AccountExists:
                    form.add_error(
                        "email", "An account with this e-mail already exists: log in to continue your booking."
                    )
                    return render(request, "bookings/guest.html", _guest_context(request, form, rate_plan, stay, token))
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            guest = {k: data[k] for k in ("first_name", "last_name", "email", "phone", "special_requests")}
            draft_update(request.session, token, guest=guest)
            return redirect("bookings:review", token=token)
    else:
        user = request.user
        initial = draft["guest"] or (
            {"first_name": user.first_name, "last_name": user.last_name, "email": user.email, "phone": user.phone}
            if user.is_authenticated
            else {}
        )
        form = form_class(initial=initial)
    return render(request, "bookings/guest.html", _guest_context(request, form, rate_plan, stay, token))


def _guest_context(request, form, rate_plan, stay, token):
    login_url = f"{reverse('accounts:login')}?next={reverse('bookings:guest', kwargs={'token': token})}"
    offer = _offer(rate_plan, stay)
    return {
        "form": form,
        "room_type": rate_plan.room_type,
        "rate_plan": rate_plan,
        "hotel": rate_plan.room_type.hotel,
        "stay": stay,
        "login_url": login_url,
        "quote": offer.quote if offer else None,
        "policy_line": offer.policy_line if offer else "",
        "step": 2,
    }


@require_http_methods(["GET", "POST"])
@login_required
@ratelimit(key="ip", rate=BOOKING_RATE, method="POST", block=False)
@ratelimit(key="user", rate=BOOKING_RATE, method="POST", block=False)
def booking_review(request, token):
    if getattr(request, "limited", False):
        return _too_many(request)
    draft, rate_plan, stay = _draft_or_404(request, token)
    room_type = rate_plan.room_type
    if not draft["guest"]:
        return redirect("bookings:guest", token=token)
    if draft["booking"]:  # "Pay" pressed twice, or back button after paying: continue with that booking
        booking = Booking.objects.filter(reference=draft["booking"], customer=request.user).first()
        if booking and booking.status == Booking.Status.PENDING_PAYMENT:
            return _to_bank(request, booking)
        return redirect("bookings:detail", reference=draft["booking"])
    offer = _offer(rate_plan, stay)
    if offer is None:
        messages.error(
            request,
            f"{room_type.name}, {rate_plan.name} is no longer available for these dates. Please choose again.",
        )
        return redirect(_hotel_url(room_type, stay))
    if request.method == "POST":
        try:
            booking = booking_hold(
                room_type=room_type,
                rate_plan=rate_plan,
                stay=stay,
                guest=GuestDetails(**draft["guest"]),
                customer=request.user,
                expected_total=request.POST.get("expected_total") or None,
            )
        except PriceChanged as exc:
            messages.warning(request, f"The price changed while you were booking: {exc.message} Please check it again.")
            return redirect("bookings:review", token=token)
        except SoldOut as exc:
            messages.error(request, f"{exc.message} Nothing has been charged. Please choose again.")
            return redirect(_hotel_url(room_type, stay))
        except BookingError as exc:
            messages.error(request, exc.message)
            return redirect(_hotel_url(room_type, stay))
        except ArithmeticError:
            messages.error(request, "Something in the form was not valid. Please check the price and try again.")
            return redirect("bookings:review", token=token)
        draft_update(request.session, token, booking=booking.reference)
        return _to_bank(request, booking)
    return render(
        request,
        "bookings/review.html",
        {
            "room_type": room_type,
            "rate_plan": rate_plan,
            "hotel": room_type.hotel,
            "stay": stay,
            "quote": offer.quote,
            "guest": draft["guest"],
            "policy": policy_summary(offer.policy),
            "policy_line": offer.policy_line,
            "fx_date": rates_date(),
            "hold_minutes": settings.BOOKING_HOLD_MINUTES,
            "token": token,
            "step": 3,
        },
    )


def _to_bank(request, booking):
    return_url = request.build_absolute_uri(reverse("payments:return", kwargs={"reference": booking.reference}))
    webhook_url = settings.SITE_URL + reverse("payments:webhook")
    try:
        payment = payment_start(booking=booking, return_url=return_url, webhook_url=webhook_url)
    except PaymentError as exc:
        messages.error(request, exc.message)
        return redirect("bookings:detail", reference=booking.reference)
    return HttpResponseRedirect(payment.bank_redirect_url)


def _own_booking(request, reference) -> Booking:
    """The customer's own booking, or 404 — never reveal that another customer's booking exists."""
    return get_object_or_404(
        Booking.objects.select_related("hotel", "room_type"), reference=reference, customer=request.user
    )


@require_POST
@login_required
def booking_pay(request, reference):
    return _to_bank(request, _own_booking(request, reference))


@login_required
def my_bookings(request):
    tab = request.GET.get("tab", "upcoming")
    if tab not in ("upcoming", "past", "cancelled"):
        tab = "upcoming"
    return render(
        request,
        "bookings/my_bookings.html",
        {"bookings": customer_bookings(customer=request.user, tab=tab), "tab": tab},
    )


@login_required
def booking_detail(request, reference):
    booking = _own_booking(request, reference)
    payment = booking.payments.order_by("-created_at").first()
    return render(
        request,
        "bookings/detail.html",
        {
            "booking": booking,
            "hotel": booking.hotel,
            "snapshot": booking.price_snapshot,
            "payment": payment,
            "policy": policy_summary(booking.cancellation_policy),
            "can_cancel": booking.status in (Booking.Status.CONFIRMED, Booking.Status.PENDING_PAYMENT),
            "has_receipt": booking.status
            in (Booking.Status.CONFIRMED, Booking.Status.CHECKED_IN, Booking.Status.CHECKED_OUT)
            or hasattr(booking, "receipt"),
            "hold_active": booking.status == Booking.Status.PENDING_PAYMENT
            and booking.hold_expires_at
            and booking.hold_expires_at > timezone.now(),
        },
    )


@login_required
def booking_receipt(request, reference):
    booking = _own_booking(request, reference)
    if not hasattr(booking, "receipt") and booking.confirmed_at is None:
        raise Http404("No receipt for an unpaid booking.")
    receipt = receipt_issue(booking=booking)
    response = HttpResponse(bytes(receipt.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="staybook-{booking.reference}-{receipt.number}.pdf"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def booking_cancel_view(request, reference):
    booking = _own_booking(request, reference)
    if booking.status == Booking.Status.CANCELLED:
        messages.info(request, "This booking is already cancelled.")
        return redirect(booking)
    if booking.status not in (Booking.Status.CONFIRMED, Booking.Status.PENDING_PAYMENT):
        messages.error(request, "This booking can no longer be cancelled online. Please contact the hotel.")
        return redirect(booking)
    penalty = booking_cancel_quote(booking=booking) if booking.status == Booking.Status.CONFIRMED else Decimal("0.00")
    if request.method == "POST":
        try:
            booking = booking_cancel(booking=booking, actor_kind=Actor.CUSTOMER, actor=request.user)
        except (BookingError, PaymentError) as exc:
            messages.error(request, exc.message)
            return redirect(booking)
        refunded = booking.total - (booking.cancellation_penalty or 0)
        messages.success(
            request,
            f"Your booking {booking.reference} is cancelled."
            + (f" {refunded} {booking.currency} will be refunded to your card." if booking.refunded_amount else ""),
        )
        return redirect(booking)
    return render(
        request,
        "bookings/cancel.html",
        {
            "booking": booking,
            "penalty": penalty,
            "refund": booking.total - penalty,
            "policy": policy_summary(booking.cancellation_policy),
        },
    )
