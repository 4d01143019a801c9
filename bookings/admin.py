"""Bookings in the staff console: the list, the detail page with its payments, e-mails and state history, and the
actions, each of which calls the booking services (the website's and the partner API's rules)."""

import re
from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, Exists, OuterRef, Value, When
from django.http import Http404
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from accounts.models import Anonymisation
from hotels.payment_terms import payment_terms_of
from hotels.policy import policy_summary
from hotels.staff import (
    EstimatedCountPaginator,
    HotelListFilter,
    HotelScopedAdminMixin,
    HotelScopedInlineMixin,
    staff_can,
    staff_hotel_ids,
)
from notifications.models import OutboundEmail
from payments.admin import InvoiceInline, LedgerEntryInline
from payments.models import Payment, Refund
from payments.selectors import booking_upcoming_charges
from payments.services import PaymentError

from . import admin_views, settle_views, workflow
from .exceptions import BookingError
from .models import Booking, BookingEffect, BookingStatusChange, BooksAudit, OfflinePayment, RoomLine
from .outbox import effect_retry_now
from .services import Actor, booking_cancel_quote
from .settlement import booking_desk_annotations, booking_desk_flags
from .staff_views import StaffBookingChangeView, StaffBookingNewView

PRICES = "bookings.view_booking_prices"
PRICE_FIELDSET = gettext_lazy("Price (as agreed at booking time)")  # hidden from roles that don't see prices


class ReadOnlyInline(HotelScopedInlineMixin, admin.TabularInline):
    parent_hotel_path = "hotel"
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StatusChangeInline(ReadOnlyInline):
    model = BookingStatusChange
    fields = ["created_at", "from_status", "to_status", "actor_kind", "actor", "note"]
    verbose_name_plural = gettext_lazy("State history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class PricesInline(ReadOnlyInline):
    """Money: shown where the user's role at the booking's hotel sees prices."""

    def has_view_permission(self, request, obj=None):
        return obj is not None and staff_can(request.user, PRICES, obj.hotel_id)


class PaymentInline(PricesInline):
    model = Payment
    fields = [
        "created_at",
        "kind",
        "amount",
        "currency",
        "status",
        "card_brand",
        "card_last4",
        "refunded_amount",
        "refund_pending_amount",
        "paid_at",
    ]


class RoomLineInline(ReadOnlyInline):
    """The booking's rooms; their prices only where the user's role at the hotel sees prices."""

    model = RoomLine
    fields = ["position", "room_type", "rate_plan", "adults", "children_ages", "guest_name", "status"]
    money_fields = ["total", "cancellation_penalty"]
    verbose_name_plural = gettext_lazy("Rooms")

    def get_fields(self, request, obj=None):
        sees = obj is not None and staff_can(request.user, PRICES, obj.hotel_id)
        return self.fields + (self.money_fields if sees else [])

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("room_type", "rate_plan")


class OfflinePaymentInline(PricesInline):
    model = OfflinePayment
    fields = ["recorded_at", "method", "reference", "amount", "currency", "recorded_by"]
    verbose_name_plural = gettext_lazy("Offline payments")


class EmailInline(ReadOnlyInline):
    model = OutboundEmail
    fields = ["created_at", "kind", "recipient", "status", "attempts", "sent_at", "last_error"]
    verbose_name_plural = gettext_lazy("E-mails")


class EffectInline(ReadOnlyInline):
    model = BookingEffect
    fields = ["created_at", "kind", "status", "attempts", "next_attempt_at", "done_at", "last_error"]
    verbose_name_plural = gettext_lazy("What followed (receipt, partner webhook, supplier)")


@admin.register(BookingEffect)
class BookingEffectAdmin(HotelScopedAdminMixin, admin.ModelAdmin):
    """The side-effect outbox: what is waiting, what was done, what gave up (and can be run again)."""

    hotel_path = "booking__hotel"
    list_display = ["booking", "kind", "status", "attempts", "next_attempt_at", "done_at", "last_error"]
    list_filter = ["status", "kind", HotelListFilter]
    list_select_related = ["booking"]
    search_fields = ["=booking__reference"]
    ordering = ["-id"]
    readonly_fields = [f.name for f in BookingEffect._meta.fields]
    actions = ["run_again"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_run_permission(self, request):
        return request.user.has_perm("bookings.change_bookingeffect")

    @admin.action(description=gettext_lazy("Run again now"), permissions=["run"])
    def run_again(self, request, queryset):
        effects = list(queryset.filter(status__in=[BookingEffect.Status.FAILED, BookingEffect.Status.PENDING]))
        for effect in effects:
            effect_retry_now(effect=effect)
        self.message_user(
            request,
            ngettext_lazy(
                "%(count)s side effect queued to run again.", "%(count)s side effects queued to run again.", "count"
            )
            % {"count": len(effects)},
            messages.SUCCESS,
        )


@admin.register(BooksAudit)
class BooksAuditAdmin(admin.ModelAdmin):
    """Runs of the books audit (superusers: findings name bookings of every hotel)."""

    list_display = ["ran_at", "finding_count"]
    readonly_fields = ["ran_at", "findings_table"]
    fields = readonly_fields

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("Findings"))
    def finding_count(self, obj):
        return len(obj.findings) or _("none: the books add up")

    @admin.display(description=gettext_lazy("What does not add up"))
    def findings_table(self, obj):
        if not obj.findings:
            return _("Nothing: the books add up.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((f["check"], f["subject"], f["detail"]) for f in obj.findings),
        )
        return format_html("<table><tbody>{}</tbody></table>", rows)


class ArrivalFilter(admin.SimpleListFilter):
    """Arrival date, looking ahead as the front desk does (dates are the server's; hotels a time zone away may be
    a day apart around midnight). Any range also works as ``?check_in__gte=...&check_in__lte=...``."""

    title = gettext_lazy("arrival")
    parameter_name = "arrival"
    ranges = {
        "today": (gettext_lazy("Today"), 0, 0),
        "tomorrow": (gettext_lazy("Tomorrow"), 1, 1),
        "next7": (gettext_lazy("Next 7 days"), 0, 6),
        "next30": (gettext_lazy("Next 30 days"), 0, 29),
        "past7": (gettext_lazy("Past 7 days"), -7, -1),
        "past30": (gettext_lazy("Past 30 days"), -30, -1),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _first, _last) in self.ranges.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.ranges:
            return queryset
        _label, first, last = self.ranges[self.value()]
        today = timezone.localdate()
        return queryset.filter(check_in__gte=today + timedelta(days=first), check_in__lte=today + timedelta(days=last))


REFERENCE = re.compile(r"HB-[A-Z0-9]{6}", re.IGNORECASE)
# Fields (and relations) of a booking that are, or lead to, money: never filtered on by someone who can't see it.
MONEY_FIELDS = {"total", "price_snapshot", "refunded_amount", "cancellation_penalty", "payments", "receipt"}


def _can_see_prices(request):
    """An expression for the list: does the user see prices at this row's hotel? (no query per row)"""
    if request.user.is_superuser:
        return Value(True)
    return Case(
        When(hotel_id__in=sorted(staff_hotel_ids(request.user, PRICES)), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


class AnonymisedFilter(admin.SimpleListFilter):
    """Bookings whose guest data was erased (accounts.privacy), or not."""

    title = gettext_lazy("guest data")
    parameter_name = "anonymised"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Anonymised")), ("no", gettext_lazy("Kept"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(anonymisation__isnull=False)
        if self.value() == "no":
            return queryset.filter(anonymisation__isnull=True)
        return queryset


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
        "anonymised",
    ]
    list_filter = [
        "status",
        ArrivalFilter,
        "source",
        HotelListFilter,
        ("check_in", admin.DateFieldListFilter),
        AnonymisedFilter,
    ]
    list_select_related = ["hotel", "room_type"]
    search_fields = ["=reference", "guest_last_name", "guest_first_name", "guest_email", "=partner_reference"]
    search_help_text = gettext_lazy("A booking reference (HB-…), an e-mail address, or part of the guest's name.")
    # No date_hierarchy: its links cost a DISTINCT over every booking on every page; the arrival filters don't.
    ordering = ["-id"]  # the creation order, on the primary key's index
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a COUNT per filter choice: seconds over the whole catalogue
    paginator = EstimatedCountPaginator
    list_per_page = 50
    inlines = [
        RoomLineInline,
        StatusChangeInline,
        PaymentInline,
        OfflinePaymentInline,
        LedgerEntryInline,
        InvoiceInline,
        EmailInline,
        EffectInline,
    ]
    view_on_site = False  # a booking's page is its customer's: staff see it here
    actions = [
        "cancel_with_penalty",
        "cancel_without_penalty",
        "resend_confirmation",
        "send_payment_link",
        "mark_checked_in",
        "mark_checked_out",
        "mark_no_show",
    ]
    editable_fields = {"guest_phone", "special_requests"}
    fieldsets = [
        (
            gettext_lazy("Booking"),
            {
                "fields": [
                    "reference",
                    "status",
                    "source",
                    "partner",
                    "partner_reference",
                    "supplier_display",
                    "hotel",
                    "room_type",
                    "rate_plan",
                    "check_in",
                    "check_out",
                    "rooms",
                    "adults",
                    "children",
                    "children_ages",
                ]
            },
        ),
        (
            gettext_lazy("Guest"),
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
            PRICE_FIELDSET,
            {
                "fields": [
                    "nights_table",
                    "total_display",
                    "policy_display",
                    "cancel_quote",
                    "cancellation_penalty",
                    "refunded_amount",
                    "refunds_table",
                ]
            },
        ),
        (gettext_lazy("Times"), {"fields": ["created_at", "hold_expires_at", "confirmed_at", "cancelled_at"]}),
    ]

    def get_object(self, request, object_id, from_field=None):
        """The booking page reads the booking once: with its hotel, room type and plan, and the desk's flags
        (``settlement.booking_desk_annotations``), which the list does not need."""
        field = self.opts.pk if from_field is None else self.opts.get_field(from_field)
        queryset = self.get_queryset(request).annotate(**booking_desk_annotations())
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (Booking.DoesNotExist, ValidationError, ValueError) as exc:
            raise Http404(_("No such object in your hotels.")) from exc

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("hotel", "room_type", "rate_plan")  # the booking page reads all three
            .annotate(
                sees_prices=_can_see_prices(request),
                is_anonymised=Exists(Anonymisation.objects.filter(booking=OuterRef("pk"))),
            )
        )

    @admin.display(description=gettext_lazy("Anonymised"), boolean=True)
    def anonymised(self, obj):
        """The guest's personal data was erased (account deleted, or the retention period is over)."""
        return getattr(obj, "is_anonymised", False)

    def get_search_results(self, request, queryset, search_term):
        """A reference or an e-mail address is looked up as such (a reference on its unique index), not scanned
        for in every name."""
        term = search_term.strip()
        if REFERENCE.fullmatch(term):
            return queryset.filter(reference=term.upper()), False
        if "@" in term and " " not in term:
            return queryset.filter(guest_email__iexact=term), False
        return super().get_search_results(request, queryset, search_term)

    def get_fieldsets(self, request, obj=None):
        if obj is not None and staff_can(request.user, PRICES, obj.hotel_id):
            return self.fieldsets
        return [fs for fs in self.fieldsets if fs[0] is not PRICE_FIELDSET]

    def get_readonly_fields(self, request, obj=None):
        return [f for fs in self.get_fieldsets(request, obj) for f in fs[1]["fields"] if f not in self.editable_fields]

    def sees_prices_everywhere(self, request) -> bool:
        """Does the user see prices at every hotel whose bookings they see? Only then may the list be filtered or
        sorted by money: a ``?total__gte=`` binary search, or the order of rows whose totals are hidden, would
        otherwise give away the prices their role hides."""
        if request.user.is_active and request.user.is_superuser:
            return True
        return self.scope_hotel_ids(request, "view") <= staff_hotel_ids(request.user, PRICES)

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.split("__", 1)[0] in MONEY_FIELDS and (request is None or not self.sees_prices_everywhere(request)):
            return False  # the changelist answers 400
        return super().lookup_allowed(lookup, value, request)

    def get_list_display(self, request):
        if self.sees_prices_everywhere(request):
            return self.list_display
        if request.user.has_perm(PRICES):  # at some of their hotels: shown there, never sortable
            return [("total_unsorted" if f == "total_display" else f) for f in self.list_display]
        return [f for f in self.list_display if f != "total_display"]

    def has_add_permission(self, request):
        return False  # staff take bookings on the booking desk ("New booking", staff_views), never a raw form

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_take_bookings": request.user.has_perm("bookings.add_booking")}
        return super().changelist_view(request, extra_context)

    def has_delete_permission(self, request, obj=None):
        return False  # bookings are cancelled, never deleted: the legal record stays

    def save_model(self, request, obj, form, change):
        """Write only the fields staff may edit: a full save would put back the status, counters and money as they
        were when the page was opened, undoing a cancellation or payment made meanwhile."""
        fields = [f for f in form.changed_data if f in self.editable_fields]
        if change and fields:
            obj.save(update_fields=[*fields, "updated_at"])

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.confirmed_at is not None:
            context["can_refund"] = staff_can(request.user, "bookings.refund_booking", obj.hotel_id)
            context["can_download_receipt"] = staff_can(request.user, PRICES, obj.hotel_id)
        if obj is not None:
            paid_offline, waiting_for_bank = booking_desk_flags(obj)
            context.update(settle_views.settlement_context(request, obj, paid_offline=paid_offline))
            context["change_waiting_for_bank"] = waiting_for_bank
            # a balance per room's date, a fee being charged: only a booking with a saved card has any (no query else)
            if payment_terms_of(obj)["card_saved"] and staff_can(request.user, PRICES, obj.hotel_id):
                context["upcoming_charges"] = booking_upcoming_charges(obj)
            context["can_change_stay"] = obj.status == Booking.Status.CONFIRMED and staff_can(
                request.user, "bookings.change_booking", obj.hotel_id
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=gettext_lazy("Room type"), ordering="room_type__name")
    def room_type_name(self, obj):
        return obj.room_type.name

    @admin.display(description=gettext_lazy("Total"), ordering="total")
    def total_display(self, obj):
        return f"{obj.total} {obj.currency}" if getattr(obj, "sees_prices", False) else "—"

    @admin.display(description=gettext_lazy("Total"))
    def total_unsorted(self, obj):
        return self.total_display(obj)

    @admin.display(description=gettext_lazy("Nights"))
    def nights_table(self, obj):
        snap = obj.price_snapshot or {}
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} × {}</td><td>{}</td></tr>",
            ((n["date"], n["rooms"], n["unit_price"], n["amount"]) for n in snap.get("nights", [])),
        )
        adjustments = format_html_join(
            "",
            "<tr><td colspan='2'>{}</td><td>{}</td></tr>",
            ((a["name"], a["amount"]) for a in snap.get("adjustments", [])),
        )
        extras = format_html_join(
            "",
            "<tr><td>{}</td><td>{} × {}</td><td>{}</td></tr>",
            (
                (
                    ngettext_lazy("%(name)s, %(count)s night", "%(name)s, %(count)s nights", "count")
                    % {"name": e["name"], "count": e["nights"]},
                    e["quantity"],
                    e["unit_price"],
                    e["amount"],
                )
                for e in snap.get("extras", [])
            ),
        )
        taxes = format_html_join(
            "",
            "<tr><td colspan='2'>{}{}</td><td>{}</td></tr>",
            ((t["name"], " " + _("(included)") if t["included"] else "", t["amount"]) for t in snap.get("taxes", [])),
        )
        return format_html("<table><tbody>{}{}{}{}</tbody></table>", rows, adjustments, extras, taxes)

    @admin.display(description=gettext_lazy("Supplier booking"))
    def supplier_display(self, obj):
        link = getattr(obj, "supplier_booking", None)
        if link is None:
            return "—"
        reference = link.remote_reference or _("not placed yet")
        return _("%(supplier)s, reference %(reference)s: %(status)s") % {
            "supplier": link.supplier.name,
            "reference": reference,
            "status": link.get_status_display(),
        }

    @admin.display(description=gettext_lazy("cancellation policy"))
    def policy_display(self, obj):
        return policy_summary(obj.cancellation_policy) if obj.cancellation_policy else "—"

    @admin.display(description=gettext_lazy("Refunds"))
    def refunds_table(self, obj):
        refunds = Refund.objects.filter(payment__booking=obj).order_by("created_at")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
            (
                (f"{r.created_at:%Y-%m-%d %H:%M}", r.amount, obj.currency, r.get_status_display(), r.reason)
                for r in refunds
            ),
        )
        return format_html("<table><tbody>{}</tbody></table>", rows) if rows else "—"

    @admin.display(description=gettext_lazy("Cancelling now would cost"))
    def cancel_quote(self, obj):
        if obj.status != Booking.Status.CONFIRMED:
            return "—"
        return f"{booking_cancel_quote(booking=obj)} {obj.currency}"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("today/", view(admin_views.TodayView.as_view(model_admin=self)), name="bookings_booking_today"),
            path("new/", view(StaffBookingNewView.as_view(model_admin=self)), name="bookings_booking_new"),
            path("export/", view(admin_views.ExportView.as_view(model_admin=self)), name="bookings_booking_exports"),
            path("export/bookings.csv", view(admin_views.bookings_csv), name="bookings_booking_export"),
            path("export/payments.csv", view(admin_views.payments_csv), name="bookings_payment_export"),
            path(
                "<int:booking_id>/refund/",
                view(admin_views.RefundView.as_view(model_admin=self)),
                name="bookings_booking_refund",
            ),
            path("<int:booking_id>/receipt/", view(admin_views.receipt_download), name="bookings_booking_receipt"),
            path("<int:booking_id>/settle/", view(settle_views.booking_settle), name="bookings_booking_settle"),
            path(
                "<int:booking_id>/change-stay/",
                view(StaffBookingChangeView.as_view(model_admin=self)),
                name="bookings_booking_staff_change",
            ),
        ] + super().get_urls()

    # --- actions: Django offers each only to users whose groups grant its permission; each booking is then
    # checked against the user's role at its hotel, and the work is done by the booking services ------------
    def has_cancel_permission(self, request):
        return request.user.has_perm("bookings.cancel_booking")

    def has_mark_permission(self, request):
        return request.user.has_perm("bookings.mark_booking")

    def _apply(self, request, queryset, perm: str, func, done):
        """``done``: an ``ngettext_lazy(…, "count")`` message saying what happened to ``%(count)s`` bookings."""
        allowed = (
            queryset if request.user.is_superuser else queryset.filter(hotel_id__in=staff_hotel_ids(request.user, perm))
        )
        refused = queryset.exclude(pk__in=allowed.values("pk")).values_list("reference", flat=True)
        if refused:
            self.message_user(
                request,
                _("Not allowed at these bookings' hotels: %(references)s.") % {"references": ", ".join(refused)},
                messages.ERROR,
            )
        ok = 0
        for booking in allowed.select_related("hotel", "room_type"):
            try:
                func(booking)
                ok += 1
            except (BookingError, PaymentError) as exc:
                self.message_user(request, f"{booking.reference}: {exc.message}", messages.ERROR)  # a marked message
        if ok:
            self.message_user(request, done % {"count": ok}, messages.SUCCESS)

    def _cancel(self, request, queryset, waive_penalty: bool):
        def cancel(booking):
            # No bank call here: the refund is written with the cancellation and sent by a worker.
            workflow.booking_cancel(
                booking=booking, actor_kind=Actor.STAFF, actor=request.user, waive_penalty=waive_penalty
            )

        self._apply(
            request,
            queryset,
            "bookings.cancel_booking",
            cancel,
            ngettext_lazy(
                "%(count)s booking cancelled (refunds, if any, are on their way).",
                "%(count)s bookings cancelled (refunds, if any, are on their way).",
                "count",
            ),
        )

    @admin.action(description=gettext_lazy("Cancel (apply the cancellation policy)"), permissions=["cancel"])
    def cancel_with_penalty(self, request, queryset):
        self._cancel(request, queryset, waive_penalty=False)

    @admin.action(description=gettext_lazy("Cancel without penalty (full refund)"), permissions=["cancel"])
    def cancel_without_penalty(self, request, queryset):
        self._cancel(request, queryset, waive_penalty=True)

    @admin.action(description=gettext_lazy("Resend the confirmation e-mail"), permissions=["change"])
    def resend_confirmation(self, request, queryset):
        from notifications.services import email_resend

        def resend(booking):
            if booking.status not in (Booking.Status.CONFIRMED, Booking.Status.CHECKED_IN):
                raise BookingError(_("only a confirmed booking has a confirmation to resend"))
            email_resend(booking=booking)

        self._apply(
            request,
            queryset,
            "bookings.change_booking",
            resend,
            ngettext_lazy(
                "%(count)s booking's confirmation queued for resending.",
                "%(count)s bookings' confirmations queued for resending.",
                "count",
            ),
        )

    @admin.action(
        description=gettext_lazy("E-mail a payment link (bookings waiting for payment)"), permissions=["change"]
    )
    def send_payment_link(self, request, queryset):
        def send(booking):
            if booking.status != Booking.Status.PENDING_PAYMENT:
                raise BookingError(_("only a booking waiting for payment has a payment link"))
            workflow.payment_link_send(booking=booking)

        self._apply(
            request,
            queryset,
            "bookings.change_booking",
            send,
            ngettext_lazy(
                "Payment link sent for %(count)s booking.", "Payment links sent for %(count)s bookings.", "count"
            ),
        )

    def _mark(self, request, queryset, to: str, done):
        self._apply(
            request,
            queryset,
            "bookings.mark_booking",
            lambda b: workflow.booking_mark(booking=b, to=to, actor=request.user),
            done,
        )

    @admin.action(description=gettext_lazy("Mark checked in"), permissions=["mark"])
    def mark_checked_in(self, request, queryset):
        done = ngettext_lazy("%(count)s booking checked in.", "%(count)s bookings checked in.", "count")
        self._mark(request, queryset, Booking.Status.CHECKED_IN, done)

    @admin.action(description=gettext_lazy("Mark checked out"), permissions=["mark"])
    def mark_checked_out(self, request, queryset):
        done = ngettext_lazy("%(count)s booking checked out.", "%(count)s bookings checked out.", "count")
        self._mark(request, queryset, Booking.Status.CHECKED_OUT, done)

    @admin.action(description=gettext_lazy("Mark no-show"), permissions=["mark"])
    def mark_no_show(self, request, queryset):
        done = ngettext_lazy(
            "%(count)s booking marked as a no-show.", "%(count)s bookings marked as no-shows.", "count"
        )
        self._mark(request, queryset, Booking.Status.NO_SHOW, done)
