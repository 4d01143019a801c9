"""The website's booking flow: choose → guest details (and account) → review → pay at the bank → booking page."""

import json
import math
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Sum
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from accounts import guest_links
from accounts.limits import account_create_limited
from accounts.services import AccountExists, user_create
from accounts.views import on_site, safe_next
from display.currency import rates_date
from display.money import format_money
from hotels.basket import basket_price, party_label
from hotels.models import RatePlan, RoomType
from hotels.offers import default_rate_plan, hotel_offers
from hotels.payment_terms import payment_terms_line, payment_terms_of
from hotels.policy import policy_summary
from payments.models import Refund
from payments.receipts import ReceiptError, receipt_issue
from payments.return_tokens import payment_return_url
from payments.selectors import booking_upcoming_charges
from payments.services import (
    PaymentError,
    booking_card_guaranteed,
    booking_paid_net,
    booking_payment_paid,
    payment_start,
)

from . import workflow
from .changes import change_waiting, change_waiting_for_bank
from .drafts import draft_create, draft_get, draft_lines, draft_stay, draft_update
from .exceptions import BookingError, PriceChanged, SoldOut
from .forms import (
    BasketStartForm,
    BookingStartForm,
    GuestDetailsForm,
    GuestLinkRequestForm,
    GuestSignupForm,
    RoomGuestsForm,
)
from .guest_email import guest_email_code_check, guest_email_code_send, guest_email_pending, guest_email_verified
from .holds import hold_allowed_check, hold_made
from .lines import RoomRequest
from .models import Booking
from .selectors import customer_bookings
from .services import Actor, GuestDetails, booking_cancel_quote, booking_hold, stay_validate


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
    if "room" in request.POST:
        return _basket_start(request)
    form = BookingStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That choice isn't valid any more: please pick your room again."))
        room_type = (
            RoomType.objects.filter(pk=request.POST.get("room_type") or 0).select_related("hotel").first()
            if str(request.POST.get("room_type", "")).isdecimal()
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


def _basket_start(request):
    """The rooms of a hotel page's basket, each with its own rate and party, become one draft."""
    form = BasketStartForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors() or [e for errors in form.errors.values() for e in errors]:
            messages.error(request, error)
        first = str(request.POST.get("room", "")).split(":")[0]
        plan = (
            RatePlan.objects.select_related("room_type__hotel").filter(pk=first).first() if first.isdecimal() else None
        )
        return redirect(plan.room_type.hotel.get_absolute_url() if plan else "hotels:home")
    data = form.cleaned_data
    token = draft_create(
        request.session, rate_plan_id=data["lines"][0].rate_plan_id, stay=form.stay, lines=data["lines"]
    )
    return redirect("bookings:guest", token=token)


def _basket_url(hotel, stay, lines) -> str:
    """Back to the hotel page with the draft's rooms in the basket."""
    query = urlencode([*stay.params().items(), *(("room", line.param()) for line in lines)])
    return f"{hotel.get_absolute_url()}?{query}#basket"


def _draft_or_404(request, token):
    draft = draft_get(request.session, token)
    if draft is None:
        raise Http404(_("This booking draft has expired."))
    if "rate_plan" not in draft:  # a draft started before rate plans: its room type's default plan
        room_type = get_object_or_404(RoomType, pk=draft.get("room_type") or 0)
        draft["rate_plan"] = getattr(default_rate_plan(room_type), "pk", 0)
    rate_plan = get_object_or_404(RatePlan.objects.select_related("room_type__hotel"), pk=draft["rate_plan"] or 0)
    return draft, rate_plan, draft_stay(draft)


def _offer(rate_plan, stay):
    """The offer the guest reviews, priced as on the hotel page and by the hold, or None if no longer sold."""
    offers = hotel_offers(hotel=rate_plan.room_type.hotel, stay=stay)
    return next((o for o in offers if o.rate_plan.pk == rate_plan.pk), None)


def _room_guests_form(draft, basket, data=None):
    """Names of the guests room by room, for a draft of two rooms or more (one room is the lead guest's)."""
    if basket is None or len(basket.lines) < 2:
        return None
    labels = [p.rate_plan.room_type.name if p.rate_plan else "" for p in basket.lines]
    initial = {f"room_{i}": name for i, name in enumerate(draft.get("room_guests") or [])}
    return RoomGuestsForm(data, rooms=labels, initial=initial)


def _draft_basket(draft, rate_plan, stay):
    """A basket draft's rooms priced now (``hotels.basket``), or None for a draft of one offer."""
    lines = draft_lines(draft)
    if lines is None:
        return None
    return basket_price(hotel=rate_plan.room_type.hotel, stay=stay, lines=lines)


@require_http_methods(["GET", "POST"])
def booking_guest(request, token):
    draft, rate_plan, stay = _draft_or_404(request, token)
    if draft["booking"]:
        return redirect("bookings:detail", reference=draft["booking"])
    basket = _draft_basket(draft, rate_plan, stay)
    # A visitor either creates an account here or continues as a guest (an e-mail address alone: accounts.guest_links)
    as_guest = not request.user.is_authenticated and (request.POST or request.GET).get("as") == "guest"
    form_class = GuestDetailsForm if request.user.is_authenticated or as_guest else GuestSignupForm
    if (
        request.method == "POST"
        and not request.user.is_authenticated
        and not as_guest
        and account_create_limited(request)
    ):
        return _too_many(request)
    rooms_form = _room_guests_form(draft, basket, request.POST if request.method == "POST" else None)

    def again(form):
        context = _guest_context(request, form, rate_plan, stay, token, as_guest, basket=basket, rooms_form=rooms_form)
        return render(request, "bookings/guest.html", context)

    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid() and (rooms_form is None or rooms_form.is_valid()):
            data = form.cleaned_data
            if not request.user.is_authenticated and not as_guest:
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
                        "email", _("An account with this e-mail already exists: log in to continue your booking.")
                    )
                    return again(form)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            guest = {k: data[k] for k in ("first_name", "last_name", "email", "phone", "special_requests")}
            changes = {"guest": guest, "as_guest": as_guest}
            if rooms_form is not None:
                changes["room_guests"] = rooms_form.names()
            draft_update(request.session, token, **changes)
            review_url = reverse("bookings:review", kwargs={"token": token})
            if not guest_email_verified(request, guest["email"]):
                if guest_email_code_send(request, guest["email"]):
                    return redirect(guest_email_verify_url(next_url=review_url, change_url=request.path))
                form.add_error("email", CODES_SPENT)
                return again(form)
            return redirect(review_url)
    else:
        user = request.user
        initial = draft["guest"] or (
            {"first_name": user.first_name, "last_name": user.last_name, "email": user.email, "phone": user.phone}
            if user.is_authenticated
            else {}
        )
        form = form_class(initial=initial)
    return again(form)


def _guest_context(request, form, rate_plan, stay, token, as_guest=False, basket=None, rooms_form=None):
    guest_url = reverse("bookings:guest", kwargs={"token": token})
    login_url = f"{reverse('accounts:login')}?next={guest_url}"
    offer = _offer(rate_plan, stay) if basket is None else None
    return {
        "form": form,
        "as_guest": as_guest,
        "guest_url": guest_url,
        "rooms_form": rooms_form,
        "basket": basket,
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
@ratelimit(key="ip", rate=BOOKING_RATE, method="POST", block=False)
@ratelimit(key="user_or_ip", rate=BOOKING_RATE, method="POST", block=False)
def booking_review(request, token):
    if getattr(request, "limited", False):
        return _too_many(request)
    draft, rate_plan, stay = _draft_or_404(request, token)
    as_guest = bool(draft.get("as_guest")) and not request.user.is_authenticated
    if not request.user.is_authenticated and not as_guest:
        return redirect_to_login(request.get_full_path())
    room_type = rate_plan.room_type
    if not draft["guest"]:
        return redirect("bookings:guest", token=token)
    if not draft["booking"] and not guest_email_verified(request, draft["guest"]["email"]):
        guest_url = reverse("bookings:guest", kwargs={"token": token})
        return redirect(guest_email_verify_url(next_url=request.path, change_url=guest_url))
    if draft["booking"]:  # "Pay" pressed twice, or back button after paying: continue with that booking
        booking = Booking.objects.filter(
            reference=draft["booking"], customer=None if as_guest else request.user
        ).first()
        if booking and booking.status == Booking.Status.PENDING_PAYMENT:
            return _to_bank(request, booking)
        return redirect("bookings:detail", reference=draft["booking"])
    basket = _draft_basket(draft, rate_plan, stay)
    if basket is not None:
        return _basket_review(request, token, draft, rate_plan, stay, basket, as_guest=as_guest)
    offer = _offer(rate_plan, stay)
    if offer is None:
        messages.error(
            request,
            _("%(room)s, %(rate)s is no longer available for these dates. Please choose again.")
            % {"room": room_type.name, "rate": rate_plan.name},
        )
        return redirect(_hotel_url(room_type, stay))
    if request.method == "POST":
        try:
            hold_allowed_check(request)
            with transaction.atomic():  # a guest booking and the e-mail with its link commit together
                booking = booking_hold(
                    room_type=room_type,
                    rate_plan=rate_plan,
                    stay=stay,
                    guest=GuestDetails(**draft["guest"]),
                    customer=None if as_guest else request.user,
                    expected_total=request.POST.get("expected_total") or None,
                )
                if as_guest:
                    guest_links.guest_link_send(booking)
            if as_guest:
                guest_links.guest_access_grant(request, booking)
        except PriceChanged as exc:
            messages.warning(
                request,
                _("The price changed while you were booking: %(reason)s Please check it again.")
                % {"reason": exc.message},
            )
            return redirect("bookings:review", token=token)
        except SoldOut as exc:
            messages.error(
                request, _("%(reason)s Nothing has been charged. Please choose again.") % {"reason": exc.message}
            )
            return redirect(_hotel_url(room_type, stay))
        except BookingError as exc:
            messages.error(request, exc.message)
            return redirect(_hotel_url(room_type, stay))
        except ArithmeticError:
            messages.error(request, _("Something in the form was not valid. Please check the price and try again."))
            return redirect("bookings:review", token=token)
        hold_made(request, booking)
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
            "offer_policy": offer.policy,
            "policy_line": offer.policy_line,
            "payment_terms": offer.payment_terms,
            "payment_terms_line": offer.payment_terms_line,
            "fx_date": rates_date(),
            "hold_minutes": settings.BOOKING_HOLD_MINUTES,
            "token": token,
            "as_guest": as_guest,
            "step": 3,
        },
    )


def _basket_review(request, token, draft, rate_plan, stay, basket, *, as_guest: bool):
    """Review and hold a draft of several rooms: each priced now, all held at once or none (``booking_hold``)."""
    hotel = rate_plan.room_type.hotel
    back = _basket_url(hotel, stay, [priced.line for priced in basket.lines])
    if not basket.ok:
        for priced in basket.lines:
            if priced.problem:
                messages.error(request, priced.problem)
        return redirect(back)
    if request.method == "POST":
        guest = GuestDetails(**draft["guest"])
        names = draft.get("room_guests") or []
        lead = f"{guest.first_name} {guest.last_name}".strip()
        rooms = [
            RoomRequest(
                room_type=priced.rate_plan.room_type,
                rate_plan=priced.rate_plan,
                adults=priced.line.adults,
                children_ages=priced.line.children_ages,
                guest_name=(names[i] if i < len(names) and names[i] else lead),
            )
            for i, priced in enumerate(basket.lines)
        ]
        try:
            hold_allowed_check(request)
            with transaction.atomic():  # a guest booking and the e-mail with its link commit together
                booking = booking_hold(
                    stay=stay,
                    rooms=rooms,
                    guest=guest,
                    customer=None if as_guest else request.user,
                    expected_total=request.POST.get("expected_total") or None,
                )
                if as_guest:
                    guest_links.guest_link_send(booking)
            if as_guest:
                guest_links.guest_access_grant(request, booking)
        except PriceChanged as exc:
            messages.warning(
                request,
                _("The price changed while you were booking: %(msg)s Please check it again.") % {"msg": exc.message},
            )
            return redirect("bookings:review", token=token)
        except SoldOut as exc:
            messages.error(request, _("%(msg)s Nothing has been charged. Please choose again.") % {"msg": exc.message})
            return redirect(back)
        except BookingError as exc:
            messages.error(request, exc.message)
            return redirect(back)
        except ArithmeticError:
            messages.error(request, _("Something in the form was not valid. Please check the price and try again."))
            return redirect("bookings:review", token=token)
        hold_made(request, booking)
        draft_update(request.session, token, booking=booking.reference)
        return _to_bank(request, booking)
    names = draft.get("room_guests") or []
    lead = f"{draft['guest']['first_name']} {draft['guest']['last_name']}".strip()
    return render(
        request,
        "bookings/review.html",
        {
            "basket": basket,
            "rooms": [
                {"priced": priced, "guest_name": (names[i] if i < len(names) and names[i] else lead)}
                for i, priced in enumerate(basket.lines)
            ],
            "room_type": rate_plan.room_type,
            "rate_plan": rate_plan,
            "hotel": hotel,
            "stay": stay,
            "quote": None,
            "guest": draft["guest"],
            "fx_date": rates_date(),
            "hold_minutes": settings.BOOKING_HOLD_MINUTES,
            "token": token,
            "step": 3,
        },
    )


CODES_SPENT = "We have sent too many codes from this account for now: use your own address, or try again later."


def guest_email_verify_url(*, next_url: str, change_url: str) -> str:
    return f"{reverse('bookings:guest_email_verify')}?{urlencode({'next': next_url, 'change': change_url})}"


@require_http_methods(["GET", "POST"])
def guest_email_verify(request):
    """Enter the code sent to the guest's address (bookings.guest_email), then back to the booking (``next``);
    ``change`` is where the address can be changed instead."""
    next_url = safe_next(request, reverse("bookings:my_bookings"))
    change = request.POST.get("change") or request.GET.get("change") or ""
    change_url = change if on_site(request, change) else next_url
    pending = guest_email_pending(request)
    if pending is None:
        messages.info(request, _("There is no address waiting for a code: please enter the guest's details again."))
        return redirect(change_url)
    error = ""
    if request.method == "POST" and "again" in request.POST:
        if guest_email_code_send(request, pending["email"], again=True):
            messages.info(request, _("We sent a new code to %(email)s.") % {"email": pending["email"]})
        else:
            error = CODES_SPENT
    elif request.method == "POST":
        if guest_email_code_check(request, request.POST.get("code", "")):
            messages.success(
                request,
                _("Thank you: booking e-mails for this stay will go to %(email)s.") % {"email": pending["email"]},
            )
            return redirect(next_url)
        error = "That code isn't right or has expired. Check the e-mail, or ask for a new code."
    return render(
        request,
        "bookings/verify_email.html",
        {"email": pending["email"], "next": next_url, "change": change_url, "error": error},
        status=400 if error else 200,
    )


def _to_bank(request, booking):
    return_url = payment_return_url(booking.reference)
    webhook_url = settings.SITE_URL + reverse("payments:webhook")
    try:
        payment = payment_start(booking=booking, return_url=return_url, webhook_url=webhook_url)
    except PaymentError as exc:
        messages.error(request, exc.message)
        return redirect("bookings:detail", reference=booking.reference)
    return HttpResponseRedirect(payment.bank_redirect_url)


class _LoginNeeded(Exception):
    pass


def _own_booking(request, reference) -> Booking:
    """The customer's own booking, or a booking without an account that this browser may open (it made it, or
    opened its e-mailed link: accounts.guest_links), or 404 — never reveal that another customer's booking exists.
    A visitor who is not logged in is sent to log in (``login_or_guest_link``)."""
    booking = Booking.objects.select_related("hotel", "room_type").filter(reference=reference).first()
    if booking is not None:
        if request.user.is_authenticated and booking.customer_id == request.user.pk:
            return booking
        if guest_links.guest_access_granted(request, booking):
            return booking
    if not request.user.is_authenticated:
        raise _LoginNeeded
    raise Http404(_("No such booking."))


def login_or_guest_link(view):
    """Like ``login_required`` for the booking pages, but a browser holding a guest booking's access gets in."""

    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _LoginNeeded:
            return redirect_to_login(request.get_full_path())

    wrapped.__name__, wrapped.__doc__ = view.__name__, view.__doc__
    return wrapped


@require_POST
@login_or_guest_link
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


@login_or_guest_link
def booking_detail(request, reference):
    booking = _own_booking(request, reference)
    payment = booking.payments.order_by("-created_at").first()
    refund_in_progress = Refund.objects.filter(payment__booking=booking, status__in=Refund.UNSETTLED).aggregate(
        total=Sum("amount")
    )["total"]
    return render(
        request,
        "bookings/detail.html",
        {
            "booking": booking,
            "lines": booking_lines_shown(booking),
            "can_change": booking_changeable(booking),
            "change_waiting_for_bank": change_waiting_for_bank(change_waiting(booking)),
            "hotel": booking.hotel,
            "snapshot": booking.price_snapshot,
            "payment": payment,
            "refund_in_progress": refund_in_progress,
            "upcoming_charges": booking_upcoming_charges(booking),
            "payment_terms_line": payment_terms_line(payment_terms_of(booking)),
            "policy": policy_summary(booking.cancellation_policy),
            "can_cancel": booking.status in (Booking.Status.CONFIRMED, Booking.Status.PENDING_PAYMENT),
            "has_receipt": booking.status
            in (Booking.Status.CONFIRMED, Booking.Status.CHECKED_IN, Booking.Status.CHECKED_OUT)
            or hasattr(booking, "receipt"),
            "hold_active": booking.status == Booking.Status.PENDING_PAYMENT
            and booking.hold_expires_at
            and booking.hold_expires_at > timezone.now(),
            **_hold_in_hotel_time(booking),
        },
    )


def booking_lines_shown(booking) -> list[dict]:
    """The booking's rooms as its pages show them: each with its party, policy in words and price snapshot, and
    whether that one room may be cancelled now (a sold room of a confirmed booking that has another)."""
    lines = list(booking.lines.select_related("room_type", "rate_plan").order_by("position"))
    active = sum(1 for line in lines if line.is_active)
    return [
        {
            "line": line,
            "party": party_label(line.adults, line.children_ages),
            "rate_name": (line.price_snapshot.get("rate_plan") or {}).get("name", ""),
            "policy": policy_summary(line.cancellation_policy),
            "snapshot": line.price_snapshot,
            "can_cancel": line.is_active and active > 1 and booking.status == Booking.Status.CONFIRMED,
        }
        for line in lines
    ]


def booking_changeable(booking) -> bool:
    """Whether the guest may ask to change dates or rooms (the price of the change is shown before anything)."""
    return booking.status == Booking.Status.CONFIRMED and booking.check_in > timezone.now().date()


def _hold_in_hotel_time(booking) -> dict:
    """When the hold lapses, in the guest's terms: minutes left, and the time at the hotel with the zone's name."""
    if not booking.hold_expires_at:
        return {}
    until = booking.hold_expires_at.astimezone(booking.hotel.tzinfo)
    seconds = (booking.hold_expires_at - timezone.now()).total_seconds()
    return {
        "hold_minutes_left": max(1, math.ceil(seconds / 60)),
        # Formatted here: templates would show an aware datetime in the site's zone (UTC), not the hotel's.
        "hold_until": _("%(time)s %(place)s time (%(zone)s)")
        % {
            "time": f"{until:%H:%M}",
            "place": booking.hotel.timezone.rsplit("/", 1)[-1].replace("_", " "),
            "zone": f"{until:%Z}",
        },
    }


@login_or_guest_link
def booking_receipt(request, reference):
    booking = _own_booking(request, reference)
    if not hasattr(booking, "receipt") and booking.confirmed_at is None:
        raise Http404(_("No receipt for an unpaid booking."))
    try:
        receipt = receipt_issue(booking=booking)
    except ReceiptError:
        messages.info(request, _("Your receipt is being prepared. Please try again in a few minutes."))
        return redirect(booking)
    response = HttpResponse(bytes(receipt.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="staybook-{booking.reference}-{receipt.number}.pdf"'
    return response


def _penalty_changed(quoted: str | None, penalty: Decimal) -> bool:
    """The page showed one charge and cancelling now costs another (a deadline passed meanwhile)."""
    if quoted is None:
        return False
    try:
        return Decimal(quoted) != penalty
    except ArithmeticError:
        return True


@require_http_methods(["GET", "POST"])
@login_or_guest_link
def booking_cancel_view(request, reference):
    booking = _own_booking(request, reference)
    if booking.status == Booking.Status.CANCELLED:
        messages.info(request, _("This booking is already cancelled."))
        return redirect(booking)
    if booking.status not in (Booking.Status.CONFIRMED, Booking.Status.PENDING_PAYMENT):
        messages.error(request, _("This booking can no longer be cancelled online. Please contact the hotel."))
        return redirect(booking)
    penalty = booking_cancel_quote(booking=booking) if booking.status == Booking.Status.CONFIRMED else Decimal("0.00")
    if request.method == "POST" and _penalty_changed(request.POST.get("quoted_penalty"), penalty):
        messages.warning(
            request,
            _(
                "The cancellation charge is now %(amount)s: the free cancellation period ended since you opened "
                "this page. Please check the amounts and confirm again."
            )
            % {"amount": format_money(penalty, booking.currency)},
        )
    elif request.method == "POST":
        try:
            actor = request.user if request.user.is_authenticated else None  # None: the guest, through their link
            booking = workflow.booking_cancel(booking=booking, actor_kind=Actor.CUSTOMER, actor=actor)
        except (BookingError, PaymentError) as exc:
            messages.error(request, exc.message)
            return redirect(booking)
        refunding = Refund.objects.filter(payment__booking=booking, status__in=Refund.UNSETTLED).aggregate(
            total=Sum("amount")
        )["total"]
        messages.success(
            request,
            _("Your booking %(reference)s is cancelled.") % {"reference": booking.reference}
            + (
                " "
                + _("%(amount)s is being refunded to your card.")
                % {"amount": format_money(refunding, booking.currency)}
                if refunding
                else ""
            ),
        )
        return redirect(booking)
    payment = booking_payment_paid(booking)
    paid = booking_paid_net(booking)
    return render(
        request,
        "bookings/cancel.html",
        {
            "booking": booking,
            "penalty": penalty,
            "paid": paid,
            "refund": max(paid - penalty, Decimal("0.00")) if payment else Decimal("0.00"),
            # what the saved card is charged when the guest paid less than the charge (a guarantee, a deposit)
            "fee": max(penalty - paid, Decimal("0.00")) if booking_card_guaranteed(booking) else Decimal("0.00"),
            "card": getattr(booking, "saved_card", None),
            "upcoming_charges": booking_upcoming_charges(booking),
            "policy": policy_summary(booking.cancellation_policy),
        },
    )


# --- bookings made without an account: the e-mailed link, and asking for a new one (accounts.guest_links) ---------

GUEST_LINK_IP_RATE = "10/h"
GUEST_LINK_PAIR_RATE = "3/h"


def _guest_link_pair_key(group, request) -> str:
    return (
        f"{str(request.POST.get('reference', '')).strip().upper()}:{str(request.POST.get('email', '')).strip().lower()}"
    )


@require_GET
@login_or_guest_link
def booking_data_export(request, reference):
    """The guest's data for this one booking, as JSON (My data for a guest who reached it through its link; an
    account's owner gets everything from their profile's My data)."""
    from accounts.privacy import booking_export

    booking = _own_booking(request, reference)
    response = HttpResponse(
        json.dumps(booking_export(booking), ensure_ascii=False, indent=2, cls=DjangoJSONEncoder),
        content_type="application/json",
    )
    response["Content-Disposition"] = f'attachment; filename="staybook-{booking.reference}-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def guest_link_open(request, token):
    """The "manage my booking" link: this browser may open the booking for the session."""
    try:
        booking = guest_links.guest_link_booking(token)
    except guest_links.LinkExpired:
        return render(request, "bookings/guest_link_failed.html", {"expired": True}, status=400)
    except guest_links.LinkInvalid:
        return render(request, "bookings/guest_link_failed.html", {"expired": False}, status=400)
    guest_links.guest_access_grant(request, booking)
    return redirect(booking)


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=GUEST_LINK_IP_RATE, method="POST", block=False)
@ratelimit(key=_guest_link_pair_key, rate=GUEST_LINK_PAIR_RATE, method="POST", block=False)
def guest_link_request(request):
    """Ask for a new link by reference and e-mail. The answer is the same whether or not the pair exists."""
    form = GuestLinkRequestForm(request.POST or None)
    if request.method == "POST":
        if getattr(request, "limited", False):
            return _too_many(request)
        if form.is_valid():
            guest_links.guest_link_request(reference=form.cleaned_data["reference"], email=form.cleaned_data["email"])
            messages.success(
                request,
                _(
                    "If a booking with this reference was made with this e-mail address, we have sent a new link "
                    "to it. It can take a few minutes to arrive."
                ),
            )
            return redirect("bookings:guest_link_request")
    return render(request, "bookings/guest_link_request.html", {"form": form})
