from django import forms
from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from . import admin_views
from .models import Amenity, Hotel, HotelPhoto, HotelStaff, HotelTax, NightInventory, RoomType, RoomTypePhoto
from .photos import PhotoForm
from .staff import HotelListFilter, HotelScopedAdminMixin, HotelScopedInlineMixin


class HotelPhotoInline(HotelScopedInlineMixin, admin.TabularInline):
    model = HotelPhoto
    form = PhotoForm
    extra = 0


class HotelTaxInline(HotelScopedInlineMixin, admin.TabularInline):
    model = HotelTax
    extra = 0


class RoomTypeInline(HotelScopedInlineMixin, admin.TabularInline):
    model = RoomType
    fields = ["name", "max_adults", "max_children", "max_occupancy", "total_rooms", "is_active"]
    show_change_link = True
    extra = 0


@admin.register(Hotel)
class HotelAdmin(HotelScopedAdminMixin, SimpleHistoryAdmin):
    hotel_path = ""
    list_display = ["name", "city", "country", "stars", "currency", "is_active"]
    list_filter = ["is_active", "stars", "currency"]
    search_fields = ["name", "city", "slug"]
    prepopulated_fields = {"slug": ["name", "city"]}
    filter_horizontal = ["amenities"]
    inlines = [RoomTypeInline, HotelTaxInline, HotelPhotoInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class RoomTypePhotoInline(admin.TabularInline):
    model = RoomTypePhoto
    form = PhotoForm
    extra = 0


@admin.register(RoomType)
class RoomTypeAdmin(HotelScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "hotel", "max_adults", "max_children", "total_rooms", "is_active", "inventory_links"]
    list_filter = [HotelListFilter, "is_active"]
    list_select_related = ["hotel"]
    search_fields = ["name", "hotel__name"]
    filter_horizontal = ["amenities"]
    inlines = [RoomTypePhotoInline]
    show_full_result_count = False

    @admin.display(description="Inventory")
    def inventory_links(self, obj):
        return format_html(
            '<a href="{}">Calendar</a> · <a href="{}">Bulk edit</a>',
            reverse("admin:hotels_roomtype_calendar", args=[obj.pk]),
            reverse("admin:hotels_roomtype_bulk", args=[obj.pk]),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:room_type_id>/calendar/",
                view(admin_views.InventoryCalendarView.as_view(model_admin=self)),
                name="hotels_roomtype_calendar",
            ),
            path(
                "<int:room_type_id>/bulk/",
                view(admin_views.InventoryBulkView.as_view(model_admin=self)),
                name="hotels_roomtype_bulk",
            ),
        ] + super().get_urls()


@admin.register(NightInventory)
class NightInventoryAdmin(HotelScopedAdminMixin, SimpleHistoryAdmin):
    hotel_path = "room_type__hotel"
    list_display = ["room_type", "date", "rooms_for_sale", "rooms_sold", "price", "stop_sell", "min_stay"]
    list_filter = [HotelListFilter, "stop_sell"]
    list_select_related = ["room_type__hotel"]
    date_hierarchy = "date"
    readonly_fields = ["rooms_sold"]
    search_fields = ["room_type__name", "room_type__hotel__name"]
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False  # give nights zero rooms or stop-sell instead: bookings point at them


@admin.register(Amenity)
class AmenityAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name"]


@admin.register(HotelTax)
class HotelTaxAdmin(HotelScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "hotel", "kind", "amount", "included_in_price"]
    list_filter = [HotelListFilter, "kind"]
    list_select_related = ["hotel"]


class HotelStaffForm(forms.ModelForm):
    """A manager adds a colleague by e-mail; an unknown address gets an account (they set a password through
    "forgot password"). The user list itself is never shown, so no other tenant's people leak."""

    email = forms.EmailField(label="Staff member's e-mail")

    class Meta:
        model = HotelStaff
        fields = ["hotel", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email


@admin.register(HotelStaff)
class HotelStaffAdmin(HotelScopedAdminMixin, admin.ModelAdmin):
    form = HotelStaffForm
    list_display = ["user", "hotel", "role"]
    list_filter = [HotelListFilter, "role"]
    list_select_related = ["user", "hotel"]

    def _managed_hotels(self, request):
        if request.user.is_superuser:
            return Hotel.objects.all()
        return Hotel.objects.filter(staff__user=request.user, staff__role=HotelStaff.Role.MANAGER)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(hotel__in=self._managed_hotels(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "hotel":
            kwargs["queryset"] = self._managed_hotels(request)
        return super(HotelScopedAdminMixin, self).formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        from accounts.models import User

        from .services import staff_member_add

        email = form.cleaned_data["email"].lower()
        user = User.objects.filter(email__iexact=email).first() or User.objects.create_user(email=email)
        member = staff_member_add(hotel=obj.hotel, user=user, role=obj.role)
        obj.pk, obj.user = member.pk, user
