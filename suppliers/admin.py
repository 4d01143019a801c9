from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .models import Supplier, SupplierBooking


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    """Other sites whose hotels our search shows (superusers only: no hotel's staff own them)."""

    list_display = ["name", "base_url", "enabled", "health", "last_error", "last_error_at", "last_success_at"]
    list_filter = ["enabled"]
    readonly_fields = ["health", "consecutive_failures", "open_until", "last_error", "last_error_at", "last_success_at"]
    fields = ["name", "base_url", "api_key", "timeout_ms", "enabled", *readonly_fields]

    @admin.display(description=gettext_lazy("Health"))
    def health(self, obj):
        if not obj.enabled:
            return _("disabled")
        if obj.is_open:
            return format_html(
                '<strong style="color:#b42318">{}</strong>: {}',
                _("unhealthy"),
                _("skipped until %(time)s (%(left)s left)")
                % {
                    "time": timezone.localtime(obj.open_until).strftime("%H:%M:%S"),
                    "left": obj.open_until - timezone.now(),
                },
            )
        if obj.consecutive_failures:
            return ngettext(
                "failing (%(count)s failure in a row)",
                "failing (%(count)s failures in a row)",
                obj.consecutive_failures,
            ) % {"count": obj.consecutive_failures}
        return _("healthy")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None:  # a blank key on the change page keeps the current one
            form.base_fields["api_key"].required = False
            form.base_fields["api_key"].help_text = _("Leave blank to keep the current key.")
        return form

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "api_key":  # the key is a secret: typed in, never written back into the page
            from django import forms

            kwargs["widget"] = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change and not form.cleaned_data.get("api_key"):
            obj.api_key = Supplier.objects.values_list("api_key", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)


@admin.register(SupplierBooking)
class SupplierBookingAdmin(admin.ModelAdmin):
    list_display = ["booking", "supplier", "remote_reference", "status", "last_error", "updated_at"]
    list_filter = ["supplier", "status"]
    search_fields = ["booking__reference", "remote_reference"]
    list_select_related = ["booking", "supplier"]
    readonly_fields = [f.name for f in SupplierBooking._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
