from django.contrib import admin

from .models import Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "is_test", "webhook_url", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["hotels"]

    def has_module_permission(self, request):
        return request.user.is_superuser
