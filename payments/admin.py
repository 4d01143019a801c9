"""Money in the staff console, read-only: payments, refunds, receipts, ledger entries, invoices and credit notes are
written only by the payment services (refunds from the booking's page, receipts issued on download, invoices by the
booking's invoice effect). An issued invoice can't be changed here or anywhere (``payments.invoices``)."""

from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from hotels.staff import EstimatedCountPaginator, HotelListFilter, HotelScopedAdminMixin, HotelScopedInlineMixin

from .models import Invoice, LedgerEntry, Payment, PaymentReceipt, Receipt, Refund, ScheduledCharge


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

    @admin.display(description=_("Hotel"), ordering="booking__hotel__name")
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

    @admin.display(description=_("PDF"))
    def download(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:bookings_booking_receipt", args=[obj.booking_id]), _("Download")
        )


@admin.register(PaymentReceipt)
class PaymentReceiptAdmin(ReadOnlyAdmin):
    """Receipts of later payments (balances, fees, changes' differences) and of refunds, as issued."""

    hotel_path = "booking__hotel"
    list_display = ["number", "booking", "payment", "refund", "issued_at"]
    list_filter = [HotelListFilter]
    list_select_related = ["booking", "payment__booking", "refund__payment__booking"]
    search_fields = ["=number", "=booking__reference"]
    ordering = ["-id"]
    exclude = ["pdf"]


@admin.register(ScheduledCharge)
class ScheduledChargeAdmin(ReadOnlyAdmin):
    """Balances and fees owed on saved cards: when they are due, how many attempts, what settled them."""

    hotel_path = "booking__hotel"
    list_display = ["booking", "purpose", "amount", "currency", "due_at", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "purpose", HotelListFilter]
    list_select_related = ["booking__hotel"]
    search_fields = ["=booking__reference"]


class _BookingMoneyInline(HotelScopedInlineMixin, admin.TabularInline):
    """Read-only rows of the booking page in the staff console (``bookings.admin.BookingAdmin``)."""

    parent_hotel_path = "hotel"
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LedgerEntryInline(_BookingMoneyInline):
    model = LedgerEntry
    fields = [
        "occurred_at",
        "kind",
        "category",
        "description",
        "amount",
        "currency",
        "bank_reference",
        "actor_kind",
        "actor",
        "channel",
    ]
    verbose_name_plural = _("Ledger (balance due = charges − payments + refunds)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor").order_by("occurred_at", "id")


class InvoiceInline(_BookingMoneyInline):
    model = Invoice
    fields = ["number", "kind", "issued_at", "total", "currency", "corrects", "download"]
    verbose_name_plural = _("Invoices and credit notes")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("corrects").defer("pdf")

    @admin.display(description=_("PDF"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:payments_invoice_pdf", args=[obj.pk]), _("Download"))


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    """Issued invoices and credit notes: read-only, with their PDF."""

    hotel_path = "booking__hotel"
    list_display = ["number", "kind", "booking", "entity", "issued_at", "total", "currency", "corrects", "download"]
    list_filter = ["kind", HotelListFilter]
    list_select_related = ["booking", "entity", "corrects"]
    search_fields = ["=number", "=booking__reference"]
    ordering = ["-id"]
    exclude = ["pdf"]

    def get_urls(self):
        pdf = path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_download), name="payments_invoice_pdf")
        return [pdf, *super().get_urls()]

    def pdf_download(self, request, pk):
        """The document's PDF, for staff who may see it (the scoped queryset: another hotel's is a 404)."""
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        document = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, document):
            return HttpResponse(status=403)
        response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
        return response

    @admin.display(description=_("PDF"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:payments_invoice_pdf", args=[obj.pk]), _("Download"))


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    hotel_path = "booking__hotel"
    list_display = ["booking", "occurred_at", "kind", "category", "description", "amount", "currency", "channel"]
    list_filter = ["kind", "category", HotelListFilter]
    list_select_related = ["booking"]
    search_fields = ["=booking__reference", "=bank_reference"]
    ordering = ["-id"]
