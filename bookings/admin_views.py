"""Staff console pages of the bookings: today's dashboard, CSV exports, refunds and receipts."""

import csv
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, Sum
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import FormView, TemplateView

from hotels.models import NightInventory
from hotels.staff import scope, staff_hotels
from payments.models import Payment
from payments.receipts import receipt_issue
from payments.services import PaymentError, booking_refund

from .models import Booking

S = Booking.Status
ACTIVE = [S.CONFIRMED, S.CHECKED_IN, S.CHECKED_OUT]
REVENUE_SQL = """
SELECT (night->>'date')::date AS day, SUM((night->>'amount')::numeric) AS revenue
FROM bookings_booking AS b, jsonb_array_elements(b.price_snapshot->'nights') AS night
WHERE b.hotel_id = %s AND b.status = ANY(%s) AND b.check_out > %s AND b.check_in <= %s
GROUP BY day
"""


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


class TodayView(StaffViewMixin, TemplateView):
    template_name = "admin/staybook/today.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        hotels = list(staff_hotels(self.request.user).order_by("name"))
        wanted = self.request.GET.get("hotel", "")
        hotel = next((h for h in hotels if str(h.pk) == wanted), hotels[0] if hotels else None)
        context.update(title="Today", hotels=hotels, hotel=hotel)
        if hotel is None:
            return context
        today = timezone.now().astimezone(hotel.tzinfo).date()
        bookings = Booking.objects.filter(hotel=hotel).select_related("room_type").order_by("guest_last_name")
        context.update(
            today=today,
            arrivals=bookings.filter(check_in=today, status__in=[S.CONFIRMED, S.CHECKED_IN]),
            departures=bookings.filter(check_out=today, status__in=[S.CHECKED_IN, S.CONFIRMED]),
            in_house=bookings.filter(status=S.CHECKED_IN, check_in__lte=today, check_out__gt=today),
            show_prices=self.request.user.has_perm("bookings.view_booking_prices"),
        )
        context["days"] = self._next_30_days(hotel, today)
        context["occupancy_avg"] = (
            sum(d["occupancy"] for d in context["days"]) / len(context["days"]) if context["days"] else 0
        )
        context["revenue_total"] = sum((d["revenue"] for d in context["days"]), Decimal("0"))
        return context

    def _next_30_days(self, hotel, today):
        end = today + timedelta(days=29)
        inventory = {
            row["date"]: row
            for row in NightInventory.objects.filter(room_type__hotel=hotel, date__gte=today, date__lte=end)
            .values("date")
            .annotate(sold=Sum("rooms_sold"), for_sale=Sum("rooms_for_sale"))
        }
        with connection.cursor() as cursor:
            cursor.execute(REVENUE_SQL, [hotel.pk, list(ACTIVE), today, end])
            revenue = dict(cursor.fetchall())
        top = max(revenue.values(), default=Decimal("0")) or Decimal("1")
        days = []
        for i in range(30):
            day = today + timedelta(days=i)
            row = inventory.get(day, {"sold": 0, "for_sale": 0})
            occupancy = (row["sold"] or 0) / row["for_sale"] * 100 if row["for_sale"] else 0
            amount = revenue.get(day, Decimal("0"))
            days.append(
                {
                    "date": day,
                    "occupancy": round(occupancy, 1),
                    "revenue": amount,
                    "x": i * 30,
                    "occ_height": round(occupancy * 1.2, 1),
                    "occ_y": round(130 - occupancy * 1.2, 1),
                    "rev_height": round(float(amount / top) * 120, 1),
                    "rev_y": round(130 - float(amount / top) * 120, 1),
                }
            )
        return days


def _range(request) -> tuple[date, date]:
    today = timezone.now().date()
    try:
        start = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = today.replace(day=1)
    try:
        end = date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        end = start + timedelta(days=90)
    return start, min(end, start + timedelta(days=800))


class _Echo:
    def write(self, value):
        return value


def _csv(filename, header, rows):
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(r) for r in [header, *rows]), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def bookings_csv(model_admin):
    def view(request):
        if not request.user.has_perm("bookings.view_booking"):
            raise PermissionDenied
        start, end = _range(request)
        prices = request.user.has_perm("bookings.view_booking_prices")
        qs = scope(Booking.objects.filter(check_in__gte=start, check_in__lte=end), request.user, "hotel")
        qs = qs.select_related("hotel", "room_type").order_by("check_in", "reference")
        header = [
            "reference",
            "hotel",
            "room_type",
            "check_in",
            "check_out",
            "rooms",
            "adults",
            "children",
            "guest",
            "email",
            "status",
            "source",
            "created_at",
        ] + (["total", "currency"] if prices else [])
        rows = (
            [
                b.reference,
                b.hotel.name,
                b.room_type.name,
                b.check_in,
                b.check_out,
                b.rooms,
                b.adults,
                b.children,
                b.guest_name,
                b.guest_email,
                b.status,
                b.source,
                b.created_at.isoformat(),
            ]
            + ([b.total, b.currency] if prices else [])
            for b in qs.iterator(chunk_size=2000)
        )
        return _csv(f"bookings-{start}-{end}.csv", header, rows)

    return view


def payments_csv(model_admin):
    def view(request):
        if not request.user.has_perm("bookings.view_booking_prices"):
            raise PermissionDenied
        start, end = _range(request)
        qs = (
            scope(
                Payment.objects.filter(created_at__date__gte=start, created_at__date__lte=end),
                request.user,
                "booking__hotel",
            )
            .select_related("booking__hotel")
            .order_by("created_at")
        )
        header = [
            "booking",
            "hotel",
            "created_at",
            "status",
            "amount",
            "currency",
            "refunded",
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
                p.status,
                p.amount,
                p.currency,
                p.refunded_amount,
                p.card_brand,
                p.card_last4,
                p.authorization_code,
                p.bank_transaction_id,
            ]
            for p in qs.iterator(chunk_size=2000)
        )
        return _csv(f"payments-{start}-{end}.csv", header, rows)

    return view


def _scoped_booking(request, booking_id) -> Booking:
    return get_object_or_404(scope(Booking.objects.select_related("hotel"), request.user, "hotel"), pk=booking_id)


def receipt_download(model_admin):
    def view(request, booking_id):
        if not request.user.has_perm("bookings.view_booking_prices"):
            raise PermissionDenied
        booking = _scoped_booking(request, booking_id)
        if booking.confirmed_at is None:
            messages.error(request, "Only a confirmed booking has a receipt.")
            return redirect("admin:bookings_booking_change", booking.pk)
        receipt = receipt_issue(booking=booking)
        response = HttpResponse(bytes(receipt.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{booking.reference}-{receipt.number}.pdf"'
        return response

    return view


class RefundForm(forms.Form):
    amount = forms.DecimalField(min_value=Decimal("0.01"), max_digits=12, decimal_places=2)
    reason = forms.CharField(max_length=200)


class RefundView(StaffViewMixin, FormView):
    template_name = "admin/staybook/refund.html"
    form_class = RefundForm
    permission = "bookings.refund_booking"

    def dispatch(self, request, *args, **kwargs):
        self.booking = _scoped_booking(request, kwargs["booking_id"])
        return super().dispatch(request, *args, **kwargs)

    def _payment(self):
        return self.booking.payments.filter(Q(status="paid") | Q(status="partially_refunded")).first()

    def get_initial(self):
        payment = self._payment()
        return {"amount": payment.amount - payment.refunded_amount if payment else None, "reason": "goodwill"}

    def form_valid(self, form):
        try:
            refund = booking_refund(
                booking=self.booking,
                amount=form.cleaned_data["amount"],
                reason=f"staff {self.request.user.email}: {form.cleaned_data['reason']}",
            )
        except PaymentError as exc:
            form.add_error("amount", exc.message)
            return self.form_invalid(form)
        if refund is None:
            form.add_error(
                None, "This booking has no card payment to refund (partner bookings are settled with the partner)."
            )
            return self.form_invalid(form)
        messages.success(self.request, f"Refunded {refund.amount} {self.booking.currency} through the bank.")
        return redirect(reverse("admin:bookings_booking_change", args=[self.booking.pk]))

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "booking": self.booking,
            "payment": self._payment(),
            "title": f"Refund {self.booking.reference}",
        }
