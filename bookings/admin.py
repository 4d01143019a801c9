from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connection
from django.urls import path
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from hotels.staff import HotelListFilter, HotelScopedAdminMixin
from notifications.models import OutboundEmail
from payments.models import Payment
from payments.services import PaymentError

from . import admin_views
from .exceptions import BookingError
from .models import Booking, BookingStatusChange
from .services import Actor, booking_cancel, booking_mark


class EstimatedCountPaginator(Paginator):
    """Counting 100,000+ bookings exactly on every page is slow: an unfiltered list uses the planner's estimate."""

    @cached_property
    def count(self):
        query = self.object_list.query
        if not query.where:
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [Booking._meta.db_table])
                row = cursor.fetchone()
            if row and row[0] > 10000:
                return row[0]
        return super().count


class StatusChangeInline(admin.TabularInline):
    model = BookingStatusChange
    fields = ["created_at", "from_status", "to_status", "actor_kind", "actor", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "State history"

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class PaymentInline(admin.TabularInline):
    model = Payment
    fields = [
        "created_at",
        "amount",
        "currency",
        "status",
        "card_brand",
        "card_last4",
        "authorization_code",
        "bank_transaction_id",
        "refunded_amount",
        "paid_at",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("bookings.view_booking_prices")


class EmailInline(admin.TabularInline):
    model = OutboundEmail
    fields = ["created_at", "kind", "recipient", "status", "attempts", "sent_at", "last_error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "E-mails"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(HotelScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "guest_name",
        "hotel",
        "room_type_name",
        "check_in",
        "check_out",
        "rooms",
        "status",
        "source",
        "total_display",
        "created_at",
    ]
    list_filter = ["status", "source", HotelListFilter, "check_in"]
    list_select_related = ["hotel", "room_type"]
    search_fields = ["=reference", "guest_last_name", "guest_first_name", "=guest_email"]
    date_hierarchy = "check_in"
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    inlines = [StatusChangeInline, PaymentInline, EmailInline]
    actions = [
        "cancel_with_penalty",
        "cancel_without_penalty",
        "resend_confirmation",
        "mark_checked_in",
        "mark_checked_out",
        "mark_no_show",
    ]
    fieldsets = [
        (
            "Booking",
            {
                "fields": [
                    "reference",
                    "status",
                    "source",
                    "partner",
                    "partner_reference",
                    "hotel",
                    "room_type",
                    "check_in",
                    "check_out",
                    "rooms",
                    "adults",
                    "children",
                ]
            },
        ),
        (
            "Guest",
            {
                "fields": [
                    "guest_first_name",
                    "guest_last_name",
                    "guest_email",
                    "guest_phone",
                    "special_requests",
                    "customer",
                ]
            },
        ),
        (
            "Price (as agreed at booking time)",
            {"fields": ["nights_table", "total_display", "policy_display", "cancellation_penalty", "refunded_amount"]},
        ),
        ("Times", {"fields": ["created_at", "hold_expires_at", "confirmed_at", "cancelled_at"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        if request.user.has_perm("bookings.view_booking_prices"):
            return self.fieldsets
        return [fs for fs in self.fieldsets if not fs[0].startswith("Price")]

    def get_readonly_fields(self, request, obj=None):
        editable = {"guest_phone", "special_requests"}
        return [f for fs in self.get_fieldsets(request, obj) for f in fs[1]["fields"] if f not in editable]

    def get_list_display(self, request):
        if request.user.has_perm("bookings.view_booking_prices"):
            return self.list_display
        return [f for f in self.list_display if f != "total_display"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # bookings are cancelled, never deleted: the legal record stays

    @admin.display(description="Room type", ordering="room_type__name")
    def room_type_name(self, obj):
        return obj.room_type.name

    @admin.display(description="Total", ordering="total")
    def total_display(self, obj):
        return f"{obj.total} {obj.currency}"

    @admin.display(description="Nights")
    def nights_table(self, obj):
        snap = obj.price_snapshot or {}
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} × {}</td><td>{}</td></tr>",
            ((n["date"], n["rooms"], n["unit_price"], n["amount"]) for n in snap.get("nights", [])),
        )
        taxes = format_html_join(
            "",
            "<tr><td colspan='2'>{}{}</td><td>{}</td></tr>",
            ((t["name"], " (included)" if t["included"] else "", t["amount"]) for t in snap.get("taxes", [])),
        )
        return format_html("<table><tbody>{}{}</tbody></table>", rows, taxes)

    @admin.display(description="Cancellation policy")
    def policy_display(self, obj):
        from .policy import policy_summary

        return policy_summary(obj.cancellation_policy) if obj.cancellation_policy else "—"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("today/", view(admin_views.TodayView.as_view(model_admin=self)), name="bookings_booking_today"),
            path("export/bookings.csv", view(admin_views.bookings_csv(self)), name="bookings_booking_export"),
            path("export/payments.csv", view(admin_views.payments_csv(self)), name="bookings_payment_export"),
            path(
                "<int:booking_id>/refund/",
                view(admin_views.RefundView.as_view(model_admin=self)),
                name="bookings_booking_refund",
            ),
            path(
                "<int:booking_id>/receipt/", view(admin_views.receipt_download(self)), name="bookings_booking_receipt"
            ),
        ] + super().get_urls()

    # --- actions: each calls the booking services, so the rules are the website's and the API's -------------
    def _apply(self, request, queryset, func, done: str, perm: str):
        if not request.user.has_perm(f"bookings.{perm}"):
            self.message_user(request, "You don't have permission to do that.", messages.ERROR)
            return
        ok = 0
        for booking in queryset:
            try:
                func(booking)
                ok += 1
            except (BookingError, PaymentError) as exc:
                self.message_user(request, f"{booking.reference}: {exc.message}", messages.ERROR)
        if ok:
            self.message_user(request, f"{ok} booking{'s' if ok != 1 else ''} {done}.", messages.SUCCESS)

    @admin.action(description="Cancel (apply the cancellation policy)")
    def cancel_with_penalty(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda b: booking_cancel(booking=b, actor_kind=Actor.STAFF, actor=request.user),
            "cancelled",
            "cancel_booking",
        )

    @admin.action(description="Cancel without penalty (full refund)")
    def cancel_without_penalty(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda b: booking_cancel(booking=b, actor_kind=Actor.STAFF, actor=request.user, waive_penalty=True),
            "cancelled",
            "cancel_booking",
        )

    @admin.action(description="Resend the confirmation e-mail")
    def resend_confirmation(self, request, queryset):
        from notifications.services import email_resend

        def resend(booking):
            if booking.status not in (Booking.Status.CONFIRMED, Booking.Status.CHECKED_IN):
                raise BookingError("only confirmed bookings have a confirmation to resend")
            email_resend(booking=booking)

        self._apply(request, queryset, resend, "queued for resending", "view_booking")

    def _mark(self, request, queryset, to: str, done: str):
        self._apply(
            request, queryset, lambda b: booking_mark(booking=b, to=to, actor=request.user), done, "mark_booking"
        )

    @admin.action(description="Mark checked in")
    def mark_checked_in(self, request, queryset):
        self._mark(request, queryset, Booking.Status.CHECKED_IN, "checked in")

    @admin.action(description="Mark checked out")
    def mark_checked_out(self, request, queryset):
        self._mark(request, queryset, Booking.Status.CHECKED_OUT, "checked out")

    @admin.action(description="Mark no-show")
    def mark_no_show(self, request, queryset):
        self._mark(request, queryset, Booking.Status.NO_SHOW, "marked no-show")
