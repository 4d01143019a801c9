from django.contrib import admin

from hotels.staff import HotelListFilter, HotelScopedAdminMixin

from .models import Payment, Receipt, Refund


class ReadOnlyAdmin(HotelScopedAdminMixin, admin.ModelAdmin):
    """Money records are written only by the payment services; staff read them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    hotel_path = "booking__hotel"
    list_display = ["booking", "amount", "currency", "status", "card_brand", "card_last4", "created_at", "paid_at"]
    list_filter = ["status", HotelListFilter]
    list_select_related = ["booking"]
    search_fields = ["=booking__reference", "=bank_transaction_id"]
    show_full_result_count = False
    exclude = ["bank_redirect_url"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    hotel_path = "payment__booking__hotel"
    list_display = ["payment", "amount", "status", "reason", "created_at"]
    list_filter = ["status"]
    list_select_related = ["payment__booking"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    hotel_path = "booking__hotel"
    list_display = ["number", "booking", "issued_at"]
    list_select_related = ["booking"]
    search_fields = ["=number", "=booking__reference"]
    exclude = ["pdf"]
