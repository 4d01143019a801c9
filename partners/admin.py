import logging

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from .models import Partner, PartnerAPIKey, WebhookDelivery
from .tasks import deliver_webhook

logger = logging.getLogger(__name__)


class SuperuserOnly:
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# The library registers its own partner-less APIKey model, which authenticates nobody here: keys are issued per
# partner below.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(Partner)
class PartnerAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ["name", "is_active", "is_test", "webhook_url", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["hotels"]
    readonly_fields = ["webhook_secret"]


@admin.register(PartnerAPIKey)
class PartnerAPIKeyAdmin(SuperuserOnly, APIKeyModelAdmin):
    """Keys are shown once, on creation (djangorestframework-api-key's admin); revoke to rotate."""

    list_display = [*APIKeyModelAdmin.list_display, "partner"]
    search_fields = [*APIKeyModelAdmin.search_fields, "partner__name"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = [
        "created_at",
        "partner",
        "event_type",
        "event_id",
        "attempt",
        "delivered",
        "response_status",
        "error",
    ]
    list_filter = ["delivered", "event_type"]
    list_select_related = ["partner"]
    search_fields = ["=event_id", "=booking__reference"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["redeliver"]

    @admin.action(description=gettext_lazy("Redeliver now"))
    def redeliver(self, request, queryset):
        """A new attempt of each selected event (once per event), numbered after its last one."""
        events = {delivery.event_id: delivery for delivery in queryset}
        try:
            for event_id, delivery in events.items():
                last = WebhookDelivery.objects.filter(event_id=event_id).order_by("-attempt").first()
                deliver_webhook.delay(delivery.partner_id, delivery.payload, last.attempt + 1, delivery.booking_id)
        except Exception:  # noqa: BLE001 - kombu, redis and amqp raise many kinds: the queue is down
            logger.warning("redelivery not queued: the task queue is unavailable", exc_info=True)
            self.message_user(
                request,
                _("The task queue is unavailable right now: nothing was redelivered. Try again in a minute."),
                messages.ERROR,
            )
            return
        self.message_user(
            request,
            ngettext("%(count)s event queued for redelivery.", "%(count)s events queued for redelivery.", len(events))
            % {"count": len(events)},
            messages.SUCCESS,
        )
