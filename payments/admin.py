"""Money in the staff console, read-only: payments, refunds and receipts are written only by the payment services
(refunds from the booking's page, receipts issued on download)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from hotels.staff import EstimatedCountPaginator, HotelListFilter, HotelScopedAdminMixin

from .models import Payment, Receipt, Refund, ScheduledCharge


class ReadOnlyAdmin(HotelScopedAdminMixin, admin.ModelAdmin):
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    hotel_path = "booking__hotel"
    list_display = [
        "booking",
        "hotel_name",
        "kind",
        "amount",
        "currency",
        "status",
        "refunded_amount",
        "refund_pending_amount",
        "card_brand",
        "card_last4",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "kind", HotelListFilter]
    list_select_related = ["booking__hotel"]
    search_fields = ["=booking__reference", "=bank_transaction_id"]
    ordering = ["-id"]
    exclude = ["bank_redirect_url"]

    @admin.display(description="Hotel", ordering="booking__hotel__name")
    def hotel_name(self, obj):
        return obj.booking.hotel.name


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    hotel_path = "payment__booking__hotel"
    list_display = ["payment", "amount", "status", "reason", "attempts", "last_error", "created_at", "settled_at"]
    list_filter = ["status", HotelListFilter]
    list_select_related = ["payment__booking"]
    search_fields = ["=payment__booking__reference", "=bank_refund_id"]
    ordering = ["-id"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    hotel_path = "booking__hotel"
    list_display = ["number", "booking", "issued_at", "download"]
    list_filter = [HotelListFilter]
    list_select_related = ["booking"]
    search_fields = ["=number", "=booking__reference"]
    ordering = ["-id"]
    exclude = ["pdf"]

    @admin.display(description="PDF")
    def download(self, obj):
        return format_html(
            '<a href="{}">Download</a>', reverse("admin:bookings_booking_receipt", args=[obj.booking_id])
        )


@admin.register(ScheduledCharge)
class ScheduledChargeAdmin(ReadOnlyAdmin):
    """Balances and fees owed on saved cards: when they are due, how many attempts, what settled them."""

    hotel_path = "booking__hotel"
    list_display = ["booking", "purpose", "amount", "currency", "due_at", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "purpose", HotelListFilter]
    list_select_related = ["booking__hotel"]
    search_fields = ["=booking__reference"]
    ordering = ["-id"]
