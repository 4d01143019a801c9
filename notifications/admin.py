from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from hotels.staff import HotelScopedAdminMixin, scope

from .models import OutboundEmail
from .services import email_resend


@admin.register(OutboundEmail)
class OutboundEmailAdmin(HotelScopedAdminMixin, admin.ModelAdmin):
    hotel_path = "booking__hotel"
    list_display = ["created_at", "kind", "recipient", "status", "attempts", "sent_at", "booking"]
    list_filter = ["status", "kind"]
    list_select_related = ["booking"]
    search_fields = ["=recipient", "=booking__reference"]
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    actions = ["resend"]
    show_full_result_count = False

    def get_queryset(self, request):
        qs = super(HotelScopedAdminMixin, self).get_queryset(request)
        # account e-mails (no booking) are for superusers only
        return (
            qs if request.user.is_superuser else scope(qs.filter(booking__isnull=False), request.user, self.hotel_path)
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Send again"))
    def resend(self, request, queryset):
        count = 0
        for email in queryset.filter(booking__isnull=False).select_related("booking"):
            email_resend(booking=email.booking, kind=email.kind)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)s e-mail queued again.", "%(count)s e-mails queued again.", count) % {"count": count},
            messages.SUCCESS,
        )
