"""The bank's two ways back to us: the customer's browser (return URL) and the bank's signed webhook; and the
guest's display currency."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from bookings import workflow
from bookings.models import Booking
from bookings.views import _own_booking, login_or_guest_link  # who may open a booking's page, as that page decides

from .forms import BillingDetailsForm
from .gateways import get_gateway
from .gateways.base import InvalidSignature
from .invoices import billing_details_save, invoice_documents_sync
from .models import BillingDetails, Payment, ScheduledCharge
from .pdf import PdfError
from .return_tokens import payment_link_token_valid, payment_return_token_valid, payment_return_url
from .services import PaymentError, payment_link_start
from .webhook_events import webhook_event_handled, webhook_event_id, webhook_event_remember

MAX_WEBHOOK_BYTES = 64 * 1024


# The return page asks the bank on every hit: limited per client IP.
RETURN_RATE = "20/m"


@require_GET
@ratelimit(key="ip", rate=RETURN_RATE, block=False)
def payment_return(request, reference):
    """Never trusts the query string: it only says which session to ask the bank about. Only the booking's owner
    or the holder of the signed return URL gets an answer (payments.return_tokens); others get a 404."""
    if getattr(request, "limited", False):
        return render(request, "429.html", status=429)
    booking = Booking.objects.filter(reference=reference).first()
    owner = booking is not None and request.user.is_authenticated and booking.customer_id == request.user.pk
    if booking is None or not (owner or payment_return_token_valid(reference, request.GET.get("t", ""))):
        raise Http404(_("No such payment."))
    session_id = request.GET.get("session_id", "")[:80]
    payment = Payment.objects.filter(booking=booking, bank_session_id=session_id).first() if session_id else None
    if payment is None:
        payment = booking.payments.order_by("-created_at").first()
    if payment is not None:
        payment = workflow.payment_sync(payment=payment)
        booking.refresh_from_db()
        if booking.status == Booking.Status.CONFIRMED:
            messages.success(
                request,
                _(
                    "Payment received: your booking %(reference)s is confirmed. "
                    "Your receipt is below and on its way by e-mail."
                )
                % {"reference": booking.reference},
            )
        elif payment.status == Payment.Status.FAILED:
            messages.error(
                request,
                _(
                    "The bank declined the payment, so nothing was charged and the rooms were released."
                    " You can search again and book with another card."
                ),
            )
        elif payment.status in (Payment.Status.REFUNDED, Payment.Status.PARTIALLY_REFUNDED):
            messages.error(
                request,
                _(
                    "Your payment arrived after your hold expired and the room had been sold. "
                    "We have refunded the full amount to your card."
                ),
            )
        elif payment.status in (Payment.Status.UNKNOWN, Payment.Status.PENDING):
            messages.warning(
                request,
                _(
                    "We are waiting for the bank to confirm your payment. This page will show the "
                    "result as soon as the bank answers; you won't be charged twice."
                ),
            )
    return redirect("bookings:detail", reference=booking.reference)


@require_GET
@ratelimit(key="ip", rate=RETURN_RATE, block=False)
def payment_link(request, reference):
    """The link e-mailed to a guest whose saved card was declined: opens the bank's payment page for what the
    booking still owes. Only the booking's owner or the holder of the signed link gets it; others get a 404."""
    if getattr(request, "limited", False):
        return render(request, "429.html", status=429)
    booking = Booking.objects.filter(reference=reference).first()
    owner = booking is not None and request.user.is_authenticated and booking.customer_id == request.user.pk
    if booking is None or not (owner or payment_link_token_valid(reference, request.GET.get("t", ""))):
        raise Http404(_("No such payment."))
    # what the card declined first (a booking of several rooms owes a balance per date: a later one isn't due yet)
    owed = booking.scheduled_charges.filter(status__in=ScheduledCharge.OPEN).order_by("due_at", "pk")
    charge = owed.filter(attempts__gt=0).first() or owed.first()
    if charge is None:
        messages.info(request, _("There is nothing left to pay on this booking."))
        return redirect("bookings:detail", reference=reference)
    try:
        payment = payment_link_start(
            charge=charge,
            return_url=payment_return_url(reference),
            webhook_url=settings.SITE_URL + reverse("payments:webhook"),
        )
    except PaymentError as exc:
        messages.error(request, exc.message)
        return redirect("bookings:detail", reference=reference)
    return HttpResponseRedirect(payment.bank_redirect_url)


@csrf_exempt  # server-to-server; authenticated by the HMAC signature instead
@require_POST
def payment_webhook(request):
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_WEBHOOK_BYTES:
        return HttpResponseBadRequest("too large")
    event_id = webhook_event_id(request.body)
    if webhook_event_handled(event_id):  # a replay: applied once already
        return HttpResponse("ok, already handled", content_type="text/plain")
    try:
        header = get_gateway().webhook_signature_header
        workflow.payment_webhook_receive(body=request.body, signature_header=request.headers.get(header))
    except InvalidSignature:
        return HttpResponse("invalid signature", status=400, content_type="text/plain")
    except (ValueError, KeyError):
        return HttpResponseBadRequest("malformed event")
    webhook_event_remember(event_id)  # the signature covered the body, so its id is the bank's
    return HttpResponse("ok", content_type="text/plain")


# --- the guest's invoices ---------------------------------------------------------------------------------------------


@require_GET
@login_or_guest_link
def invoice_pdf(request, reference, number):
    """An invoice or credit note of the booking, for whoever may open the booking's page (its customer, or the
    browser holding a booking made without an account)."""
    booking = _own_booking(request, reference)
    document = get_object_or_404(booking.invoices.all(), number=number)
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.number}-{booking.reference}.pdf"'
    return response


@require_GET
@login_or_guest_link
def payment_receipt_pdf(request, reference, number):
    """The receipt of a later payment or a refund of the booking, for whoever may open the booking's page."""
    booking = _own_booking(request, reference)
    receipt = get_object_or_404(booking.payment_receipts.all(), number=number)
    response = HttpResponse(bytes(receipt.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="staybook-{booking.reference}-{receipt.number}.pdf"'
    return response


# Each change of company details can issue a credit note and a new invoice (two PDFs): limited per account.
BILLING_RATE = "10/h"


@require_POST
@login_or_guest_link
@ratelimit(key="user_or_ip", rate=BILLING_RATE, block=False)
def billing_details(request, reference):
    """The company an invoice is made out to, before or after the stay; the invoice is issued (or corrected by a
    credit note and issued again in the new name) at once."""
    if getattr(request, "limited", False):
        return render(request, "429.html", status=429)
    booking = _own_booking(request, reference)
    form = BillingDetailsForm(request.POST, instance=BillingDetails.objects.filter(booking=booking).first())
    if not form.is_valid():
        return render(request, "payments/billing_details.html", {"booking": booking, "form": form}, status=400)
    billing_details_save(booking=booking, **form.cleaned_data)
    try:
        issued = invoice_documents_sync(booking=booking, reissue=True)
    except PdfError:
        messages.info(request, _("Your invoice is being prepared. Please try again in a few minutes."))
        return redirect(f"{booking.get_absolute_url()}#account")
    if issued:
        messages.success(request, _("Your invoice %(number)s is ready.") % {"number": issued[-1].number})
    elif booking.invoices.exists():
        messages.success(request, _("Saved: your invoice is already made out to these details."))
    else:
        messages.success(request, _("Saved: the invoice will be made out to these details once the stay is paid."))
    return redirect(f"{booking.get_absolute_url()}#account")
