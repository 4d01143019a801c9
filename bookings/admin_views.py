"""Staff console pages of the bookings: today's dashboard, CSV exports, refunds and receipts.

Each page asks for a permission (403 without it) and finds its booking among those of the hotels where the user's
role grants that permission (404 otherwise, as for an object that doesn't exist).
"""

import csv
from datetime import date, datetime, timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Sum
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView

from hotels.models import NightInventory
from hotels.staff import scope, staff_can, staff_hotel_ids, staff_hotels
from payments.models import Payment, Refund
from payments.receipts import ReceiptError, receipt_issue
from payments.services import PaymentError, refundable_amount

from . import workflow
from .models import Booking, BooksAudit

S = Booking.Status
PRICES = "bookings.view_booking_prices"
DASHBOARD_DAYS = 30
HOTEL_CHOICES_SHOWN = 300

# Room revenue per night of the coming days, from the price snapshot of every booking that is (or was) staying: the
# accommodation (nights, the rate's adjustment such as "-15%", supplements; not taxes) spread over its nights in
# proportion to their prices, so a stay's nights add up to what it was sold for. One aggregate, grouped by night.
# Stays are at most BOOKING_MAX_NIGHTS long, which bounds the check-in range so the (hotel, check_in) index does the
# work.
REVENUE_SQL = """
SELECT (night->>'date')::date AS day,
       ROUND(SUM((night->>'amount')::numeric
                 * COALESCE((b.price_snapshot->>'room_total')::numeric, stay.nights_total)
                 / NULLIF(stay.nights_total, 0)), 2) AS revenue
FROM bookings_booking AS b
CROSS JOIN LATERAL (
    SELECT SUM((n->>'amount')::numeric) AS nights_total FROM jsonb_array_elements(b.price_snapshot->'nights') AS n
) AS stay
CROSS JOIN LATERAL jsonb_array_elements(b.price_snapshot->'nights') AS night
WHERE b.hotel_id = %(hotel)s AND b.status = ANY(%(statuses)s)
  AND b.check_in > %(earliest)s AND b.check_in <= %(end)s AND b.check_out > %(start)s
  AND (night->>'date')::date BETWEEN %(start)s AND %(end)s
GROUP BY day
"""
REVENUE_STATUSES = [S.CONFIRMED, S.CHECKED_IN, S.CHECKED_OUT, S.NO_SHOW]


class StaffViewMixin:
    model_admin = None
    permission = "bookings.view_booking"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            **self.model_admin.admin_site.each_context(self.request),
            "opts": Booking._meta,
        }


def occupancy_and_revenue(hotel, start: date, days: int) -> list[dict]:
    """Per night from ``start``: rooms sold and for sale (all room types) and room revenue, from two aggregates."""
    end = start + timedelta(days=days - 1)
    inventory = {
        row["date"]: row
        for row in NightInventory.objects.filter(room_type__hotel=hotel, date__gte=start, date__lte=end)
        .values("date")
        .annotate(sold=Sum("rooms_sold"), for_sale=Sum("rooms_for_sale"))
    }
    with connection.cursor() as cursor:
        cursor.execute(
            REVENUE_SQL,
            {
                "hotel": hotel.pk,
                "statuses": [str(s) for s in REVENUE_STATUSES],
                "earliest": start - timedelta(days=settings.BOOKING_MAX_NIGHTS + 1),
                "start": start,
                "end": end,
            },
        )
        revenue = dict(cursor.fetchall())
    nights = []
    for i in range(days):
        day = start + timedelta(days=i)
        row = inventory.get(day) or {"sold": 0, "for_sale": 0}
        sold, for_sale = row["sold"] or 0, row["for_sale"] or 0
        nights.append(
            {
                "date": day,
                "sold": sold,
                "for_sale": for_sale,
                "occupancy": round(sold * 100 / for_sale, 1) if for_sale else 0.0,
                "revenue": revenue.get(day, Decimal("0.00")),
            }
        )
    return nights


def _chart(nights: list[dict]) -> list[dict]:
    """Bar geometry for the inline SVG (130 px of height for 100 % or for the best day's revenue)."""
    top = max((n["revenue"] for n in nights), default=Decimal("0")) or Decimal("1")
    bars = []
    for i, n in enumerate(nights):
        occ = round(n["occupancy"] * 1.3, 1)
        rev = round(float(n["revenue"] / top) * 130, 1)
        bars.append({**n, "x": 40 + i * 28, "occ_h": occ, "occ_y": 140 - occ, "rev_h": rev, "rev_y": 140 - rev})
    return bars


class TodayView(StaffViewMixin, TemplateView):
    """Arrivals, departures and guests in house today (the hotel's date), and the next 30 nights as a chart."""

    template_name = "admin/staybook/today.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        hotels = staff_hotels(user, self.permission).order_by("name").only("pk", "name", "timezone", "currency")
        wanted = self.request.GET.get("hotel", "")
        hotel = hotels.filter(pk=int(wanted)).first() if wanted.isdecimal() else None
        hotel = hotel or hotels.first()
        context.update(title=_("Today"), hotel=hotel, hotels=hotels[:HOTEL_CHOICES_SHOWN])
        if hotel is None:
            return context
        today = timezone.now().astimezone(hotel.tzinfo).date()
        bookings = Booking.objects.filter(hotel=hotel).select_related("room_type").order_by("guest_last_name")
        nights = occupancy_and_revenue(hotel, today, DASHBOARD_DAYS)
        for_sale = sum(n["for_sale"] for n in nights)
        context.update(
            today=today,
            arrivals=list(bookings.filter(check_in=today, status__in=[S.CONFIRMED, S.CHECKED_IN, S.NO_SHOW])),
            departures=list(bookings.filter(check_out=today, status__in=[S.CHECKED_IN, S.CHECKED_OUT])),
            in_house=list(bookings.filter(status=S.CHECKED_IN, check_in__lte=today).order_by("check_out")),
            show_prices=staff_can(user, PRICES, hotel.pk),
            days=_chart(nights),
            occupancy_avg=sum(n["sold"] for n in nights) * 100 / for_sale if for_sale else 0,
            revenue_total=sum((n["revenue"] for n in nights), Decimal("0.00")),
            unsettled_refunds=Refund.objects.filter(payment__booking__hotel=hotel, status__in=Refund.UNSETTLED).count(),
            audit=BooksAudit.objects.first() if user.is_superuser else None,
        )
        return context


# --- exports ------------------------------------------------------------------------------------------------
MAX_EXPORT_DAYS = 800


class ExportForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
        required=False,
        help_text=_("Inclusive; 30 days on if blank."),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and not end:
            if start > date.max - timedelta(days=30):
                raise forms.ValidationError("Choose a start before the year 9999.")
            end = data["end"] = start + timedelta(days=30)
        if start and end and not 0 <= (end - start).days <= MAX_EXPORT_DAYS:
            raise forms.ValidationError(
                _("Choose an end on or after the start, at most %(days)s days later.") % {"days": MAX_EXPORT_DAYS}
            )
        return data


class ExportView(StaffViewMixin, TemplateView):
    """The export page: a date range and two download links (the CSVs are plain GET endpoints)."""

    template_name = "admin/staybook/export.html"

    def get_context_data(self, **kwargs):
        today = timezone.now().date()
        first = today.replace(day=1)
        return {
            **super().get_context_data(**kwargs),
            "title": _("Export bookings and payments"),
            "form": ExportForm(initial={"start": first, "end": (first + timedelta(days=32)).replace(day=1)}),
            "show_payments": bool(staff_hotel_ids(self.request.user, PRICES)) or self.request.user.is_superuser,
        }


def _export_range(request) -> tuple[date, date] | None:
    form = ExportForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(e for field_errors in form.errors.values() for e in field_errors)
        messages.error(request, _("Choose the dates to export: %(errors)s") % {"errors": errors})
        return None
    return form.cleaned_data["start"], form.cleaned_data["end"]


def _cell(value):
    """Spreadsheet-safe text: a guest can type "=HYPERLINK(...)" as their name; it must stay text."""
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value):
        return value


def _csv(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """Stream ``rows`` as CSV: the rows come from a server-side cursor, so a year of bookings never sits in
    memory."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# CSV column -> the value read from the database (plain tuples: no model instance per row).
BOOKING_COLUMNS = {
    "reference": "reference",
    "hotel": "hotel__name",
    "room_type": "room_type__name",
    "check_in": "check_in",
    "check_out": "check_out",
    "rooms": "rooms",
    "adults": "adults",
    "children": "children",
    "first_name": "guest_first_name",
    "last_name": "guest_last_name",
    "email": "guest_email",
    "phone": "guest_phone",
    "status": "status",
    "source": "source",
    "partner_reference": "partner_reference",
    "created_at": "created_at",
}
BOOKING_MONEY_COLUMNS = {"total": "total", "refunded": "refunded_amount", "currency": "currency"}


def bookings_csv(request):
    """Bookings arriving between ``start`` and ``end`` (inclusive) at the user's hotels; the money columns are
    filled only for the hotels where the user's role sees prices."""
    if not request.user.has_perm("bookings.view_booking"):
        raise PermissionDenied
    dates = _export_range(request)
    if dates is None:
        return redirect("admin:bookings_booking_exports")
    start, end = dates
    priced = None if request.user.is_superuser else staff_hotel_ids(request.user, PRICES)
    with_money = priced is None or bool(priced)
    columns = {**BOOKING_COLUMNS, **(BOOKING_MONEY_COLUMNS if with_money else {})}
    rows = (
        scope(
            Booking.objects.filter(check_in__gte=start, check_in__lte=end),
            request.user,
            "hotel",
            "bookings.view_booking",
        )
        .order_by("check_in", "reference")
        .values_list("hotel_id", *columns.values())
        .iterator(chunk_size=2000)
    )
    money = len(BOOKING_MONEY_COLUMNS) if with_money else 0

    def shown(row):
        hotel_id, *values = row
        if money and priced is not None and hotel_id not in priced:
            values[-money:] = [""] * money
        return values

    return _csv(f"bookings-{start}-{end}.csv", list(columns), map(shown, rows))


def payments_csv(request):
    """Payments created between ``start`` and ``end`` (inclusive, UTC dates) at the hotels where the user's role
    sees prices."""
    if not request.user.has_perm(PRICES):
        raise PermissionDenied
    dates = _export_range(request)
    if dates is None:
        return redirect("admin:bookings_booking_exports")
    start, end = dates
    payments = (
        scope(
            Payment.objects.filter(created_at__date__gte=start, created_at__date__lte=end),
            request.user,
            "booking__hotel",
            PRICES,
        )
        .select_related("booking__hotel")
        .order_by("created_at", "pk")
    )
    header = [
        "booking",
        "hotel",
        "created_at",
        "paid_at",
        "status",
        "amount",
        "refunded",
        "currency",
        "card_brand",
        "card_last4",
        "authorization_code",
        "bank_transaction_id",
    ]
    rows = (
        [
            p.booking.reference,
            p.booking.hotel.name,
            p.created_at.isoformat(),
            p.paid_at.isoformat() if p.paid_at else "",
            p.status,
            p.amount,
            p.refunded_amount,
            p.currency,
            p.card_brand,
            p.card_last4,
            p.authorization_code,
            p.bank_transaction_id,
        ]
        for p in payments.iterator(chunk_size=2000)
    )
    return _csv(f"payments-{start}-{end}.csv", header, rows)


# --- one booking --------------------------------------------------------------------------------------------
def _scoped_booking(request, booking_id, perm: str) -> Booking:
    if not request.user.has_perm(perm):
        raise PermissionDenied
    return get_object_or_404(scope(Booking.objects.select_related("hotel"), request.user, "hotel", perm), pk=booking_id)


def receipt_download(request, booking_id):
    """The receipt PDF of a confirmed booking, issued now if it hasn't been yet (issued once, never redone)."""
    booking = _scoped_booking(request, booking_id, PRICES)
    if booking.confirmed_at is None:
        messages.error(request, _("Only a confirmed booking has a receipt."))
        return redirect("admin:bookings_booking_change", booking.pk)
    try:
        receipt = receipt_issue(booking=booking)
    except ReceiptError as exc:
        messages.error(request, _("The receipt could not be produced: %(error)s") % {"error": exc})
        return redirect("admin:bookings_booking_change", booking.pk)
    response = HttpResponse(bytes(receipt.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{booking.reference}-{receipt.number}.pdf"'
    return response


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    # What the payment had refunded or on its way back when the page was shown: the same form posted again (a
    # double click, a resent form) finds another figure and refunds nothing.
    shown_refunded = forms.DecimalField(required=False, widget=forms.HiddenInput, label="")


def _refunded_so_far(payment) -> Decimal:
    return payment.refunded_amount + payment.refund_pending_amount


class RefundView(StaffViewMixin, FormView):
    """Refund part or all of a booking's card payment through the bank (``bookings.workflow.booking_refund``): the
    amount is reserved at once and the bank asked by a worker, so the page never waits on the bank."""

    template_name = "admin/staybook/refund.html"
    form_class = RefundForm
    permission = "bookings.refund_booking"

    def dispatch(self, request, *args, **kwargs):
        self.booking = _scoped_booking(request, kwargs["booking_id"], self.permission)
        # The payment shown is the one refunded: the booking's checkout payment, or another of its card payments
        # chosen with ?payment= (a balance, a fee, a change's difference); never a payment of another booking.
        refundable = self.booking.payments.filter(status__in=[Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED])
        chosen = request.POST.get("payment") or request.GET.get("payment")
        if chosen:
            self.payment = get_object_or_404(refundable, pk=chosen if str(chosen).isdecimal() else 0)
        else:
            self.payment = workflow.booking_payment_paid(self.booking)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        left = refundable_amount(self.payment) if self.payment else None
        return {
            "amount": left,
            "reason": "",
            "shown_refunded": _refunded_so_far(self.payment) if self.payment else None,
        }

    def form_valid(self, form):
        try:
            refund = workflow.booking_refund(
                booking=self.booking,
                payment=self.payment,
                amount=form.cleaned_data["amount"],
                reason=f"staff {self.request.user.email}: {form.cleaned_data['reason']}",
                actor=self.request.user,
                expected_refunded=form.cleaned_data.get("shown_refunded"),
            )
        except PaymentError as exc:
            if exc.code == "refund_stale":  # refunded meanwhile: show the page again with today's figure
                self.payment.refresh_from_db()
                form.add_error(None, exc.message)
                form.data = {**form.data.dict(), "shown_refunded": str(_refunded_so_far(self.payment))}
            else:
                form.add_error("amount", exc.message)
            return self.form_invalid(form)
        if refund is None:
            form.add_error(
                None,
                _("This booking has no card payment to refund (partner bookings are settled with the partner)."),
            )
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Refund of %(amount)s %(currency)s sent to the bank; it shows as succeeded once the bank confirms it.")
            % {"amount": refund.amount, "currency": self.booking.currency},
        )
        return redirect("admin:bookings_booking_change", self.booking.pk)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "booking": self.booking,
            "payment": self.payment,
            "others": self.booking.payments.filter(
                status__in=[Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED]
            ).exclude(pk=getattr(self.payment, "pk", None)),
            "title": _("Refund %(reference)s") % {"reference": self.booking.reference},
        }
