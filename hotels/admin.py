"""The catalogue in the staff console: hotels with their room types, taxes, photos and staff; inventory (read-only
here: it is changed through the bulk editor, which checks what is sold); the audit trail of each."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline
from simple_history.admin import SimpleHistoryAdmin

from . import admin_views
from .models import (
    Amenity,
    ChildAgeBand,
    CityName,
    Hotel,
    HotelPhoto,
    HotelStaff,
    HotelTax,
    LegalEntity,
    NightInventory,
    RatePlan,
    RatePlanNight,
    RoomType,
    RoomTypePhoto,
)
from .photos import PhotoForm
from .services import room_type_default_plan_ensure, staff_member_invite, staff_member_remove
from .staff import EstimatedCountPaginator, HotelListFilter, HotelScopedAdminMixin, HotelScopedInlineMixin


class HotelPhotoInline(HotelScopedInlineMixin, admin.TabularInline):
    model = HotelPhoto
    form = PhotoForm
    extra = 0


class HotelTaxInline(HotelScopedInlineMixin, TranslationTabularInline):
    model = HotelTax
    extra = 0


class RoomTypeInline(HotelScopedInlineMixin, TranslationTabularInline):
    model = RoomType
    fields = [
        "name",
        "max_adults",
        "max_children",
        "max_occupancy",
        "base_occupancy",
        "extra_adult_price",
        "beds",
        "total_rooms",
        "is_active",
    ]
    show_change_link = True
    extra = 0


class ChildAgeBandInline(HotelScopedInlineMixin, admin.TabularInline):
    """What children pay per night by age; a child older than every band pays as an extra adult."""

    model = ChildAgeBand
    extra = 0
    verbose_name_plural = gettext_lazy("Children's prices by age (per night; older children pay as extra adults)")


class HotelStaffForm(forms.ModelForm):
    """A manager names a colleague by e-mail; an unknown address gets an account (they set a password through
    "forgot password"). The list of users is never shown, so no other hotel's people leak. Saved through the
    staff services (``ModelAdmin.save_model``/``save_formset``), never by ``form.save()``."""

    email = forms.EmailField(label=gettext_lazy("E-mail"))

    class Meta:
        model = HotelStaff
        fields = ["role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["email"].initial = self.instance.user.email
            self.fields["email"].disabled = True  # another person is another row

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if get_user_model().objects.filter(email__iexact=email, is_active=False).exists():
            raise forms.ValidationError(_("This account is disabled."))
        return email


class HotelStaffInline(HotelScopedInlineMixin, admin.TabularInline):
    """Staff of the hotel, shown only to its managers (the hotelstaff permissions, held at this hotel)."""

    model = HotelStaff
    form = HotelStaffForm
    fields = ["email", "role"]
    extra = 0
    verbose_name_plural = gettext_lazy("Staff")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Hotel)
class HotelAdmin(HotelScopedAdminMixin, TranslationAdmin, SimpleHistoryAdmin):
    hotel_path = ""
    list_display = ["name", "city", "country", "stars", "currency", "is_active"]
    list_filter = ["is_active", "stars", "currency"]
    search_fields = ["name", "city", "slug"]
    prepopulated_fields = {"slug": ["name", "city"]}
    filter_horizontal = ["amenities"]
    inlines = [RoomTypeInline, ChildAgeBandInline, HotelTaxInline, HotelPhotoInline, HotelStaffInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_formset(self, request, form, formset, change):
        if formset.model is not HotelStaff:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # fills new/changed/deleted_objects for the change message; writes nothing
        for member in formset.deleted_objects:
            staff_member_remove(member=member)
        for staff_form in formset.forms:
            if staff_form in formset.deleted_forms or not staff_form.has_changed():
                continue
            member = staff_member_invite(
                hotel=form.instance, email=staff_form.cleaned_data["email"], role=staff_form.cleaned_data["role"]
            )
            staff_form.instance.pk, staff_form.instance.user = member.pk, member.user


class RoomTypePhotoInline(HotelScopedInlineMixin, admin.TabularInline):
    model = RoomTypePhoto
    form = PhotoForm
    parent_hotel_path = "hotel"
    extra = 0


class RatePlanInline(HotelScopedInlineMixin, TranslationStackedInline):
    """The ways the room type is sold. A derived plan follows its parent's prices (a percentage or an amount per
    room per night); its own nights (closed to arrival, minimum stay...) are set with the bulk editor."""

    model = RatePlan
    fk_name = "room_type"
    parent_hotel_path = "hotel"
    extra = 0
    fields = [
        ("name", "meal_plan", "position", "is_active"),
        ("free_cancellation_days", "cancellation_penalty", "cancellation_penalty_percent"),
        ("parent", "derivation", "derivation_value", "adjustment_component"),
        ("min_stay", "max_stay"),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            room_type_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = RatePlan.objects.filter(room_type_id=room_type_id or 0, parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(RoomType)
class RoomTypeAdmin(HotelScopedAdminMixin, TranslationAdmin, SimpleHistoryAdmin):
    list_display = ["name", "hotel", "max_adults", "max_children", "total_rooms", "is_active"]
    list_filter = [HotelListFilter, "is_active"]
    list_select_related = ["hotel"]
    search_fields = ["name", "hotel__name"]
    autocomplete_fields = ["hotel"]
    filter_horizontal = ["amenities"]
    inlines = [RatePlanInline, RoomTypePhotoInline]
    show_full_result_count = False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if room_type_default_plan_ensure(room_type=form.instance):
            self.message_user(request, _("A room type is sold under rate plans: it was given a “Standard rate”."))

    def get_list_display(self, request):
        if request.user.has_perm("hotels.view_nightinventory"):
            return [*self.list_display, "inventory_links"]
        return self.list_display

    @admin.display(description=gettext_lazy("Inventory and rates"))
    def inventory_links(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:hotels_roomtype_calendar", args=[obj.pk]), _("Calendar")
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
    """Read-only list and history of the nights; rooms and rates are changed with the bulk editor (one night:
    the same start and end), which refuses to sell fewer rooms than are sold and locks against bookings."""

    hotel_path = "room_type__hotel"
    list_display = ["room_type", "date", "rooms_for_sale", "rooms_sold", "price", "stop_sell", "min_stay", "edit"]
    list_filter = [HotelListFilter, ("date", admin.DateFieldListFilter), "stop_sell"]
    list_select_related = ["room_type__hotel"]
    search_fields = ["room_type__name", "room_type__hotel__name"]
    ordering = ["room_type_id", "date"]  # the (room_type, date) unique index
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # give nights zero rooms or stop-sell instead: bookings point at them

    @admin.display(description="")
    def edit(self, obj):
        url = reverse("admin:hotels_roomtype_bulk", args=[obj.room_type_id])
        return format_html('<a href="{}?start={}&amp;end={}">{}</a>', url, obj.date, obj.date, _("Edit"))


@admin.register(RatePlan)
class RatePlanAdmin(HotelScopedAdminMixin, TranslationAdmin, SimpleHistoryAdmin):
    """Every rate plan of the staff member's hotels; they are edited on their room type's page."""

    hotel_path = "room_type__hotel"
    list_display = ["name", "room_type", "meal_plan", "policy", "derived_from", "min_stay", "is_active"]
    list_filter = [HotelListFilter, "meal_plan", "is_active"]
    list_select_related = ["room_type__hotel", "parent"]
    search_fields = ["name", "room_type__name", "room_type__hotel__name"]
    ordering = ["room_type__hotel__name", "room_type__name", "position", "id"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # added on the room type's page, where the parent choices make sense

    def get_readonly_fields(self, request, obj=None):
        return ["room_type", "parent"] if obj else []

    @admin.display(description=gettext_lazy("Cancellation"))
    def policy(self, obj):
        if obj.free_cancellation_days is None:
            return _("Non-refundable")
        return ngettext(
            "Free until %(days)s day before, then %(penalty)s",
            "Free until %(days)s days before, then %(penalty)s",
            obj.free_cancellation_days,
        ) % {"days": obj.free_cancellation_days, "penalty": obj.get_cancellation_penalty_display()}

    @admin.display(description=gettext_lazy("Derived from"))
    def derived_from(self, obj):
        if not obj.parent_id:
            return "—"
        sign = "+" if obj.derivation_value >= 0 else ""
        unit = "%" if obj.derivation == "percent" else " " + _("per room per night")
        return f"{obj.parent.name} {sign}{obj.derivation_value}{unit}"

    def delete_model(self, request, obj):
        _plan_delete_or_explain(self, request, [obj])

    def delete_queryset(self, request, queryset):
        _plan_delete_or_explain(self, request, list(queryset))


def _plan_delete_or_explain(model_admin, request, plans):
    from django.contrib import messages
    from django.db.models import ProtectedError

    for plan in plans:
        try:
            plan.delete()
        except ProtectedError:
            model_admin.message_user(
                request,
                _("%(plan)s has bookings or derived plans, so it can't be deleted: untick “active” to stop selling it.")
                % {"plan": plan},
                messages.ERROR,
            )


@admin.register(RatePlanNight)
class RatePlanNightAdmin(HotelScopedAdminMixin, SimpleHistoryAdmin):
    """Read-only list and history of the plans' own nights; changed with the bulk editor."""

    hotel_path = "rate_plan__room_type__hotel"
    list_display = ["rate_plan", "date", "price", "closed_to_arrival", "closed_to_departure", "stop_sell", "min_stay"]
    list_filter = [HotelListFilter, ("date", admin.DateFieldListFilter)]
    list_select_related = ["rate_plan__room_type__hotel"]
    ordering = ["rate_plan_id", "date"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Amenity)
class AmenityAdmin(TranslationAdmin):
    """Amenities are one shared list (hotels pick from it); only superusers add to it."""

    list_display = ["name", "code"]
    search_fields = ["name"]


@admin.register(LegalEntity)
class LegalEntityAdmin(HotelScopedAdminMixin, SimpleHistoryAdmin):
    """The company on the hotel's invoices. Changes apply to documents issued from then on: an issued invoice
    keeps what it printed."""

    list_display = ["company_name", "hotel", "tax_id"]
    list_filter = [HotelListFilter]
    list_select_related = ["hotel"]
    search_fields = ["company_name", "hotel__name", "=tax_id"]
    autocomplete_fields = ["hotel"]

    def get_readonly_fields(self, request, obj=None):
        return ["hotel"] if obj else []


@admin.register(HotelTax)
class HotelTaxAdmin(HotelScopedAdminMixin, TranslationAdmin, SimpleHistoryAdmin):
    list_display = ["name", "hotel", "kind", "amount", "included_in_price", "component"]
    list_filter = [HotelListFilter, "kind"]
    list_select_related = ["hotel"]
    search_fields = ["name", "hotel__name"]
    autocomplete_fields = ["hotel"]


class HotelStaffAdminForm(HotelStaffForm):
    class Meta(HotelStaffForm.Meta):
        fields = ["hotel", "role"]


@admin.register(HotelStaff)
class HotelStaffAdmin(HotelScopedAdminMixin, admin.ModelAdmin):
    """Staff of the hotels the user manages (only managers hold the hotelstaff permissions)."""

    form = HotelStaffAdminForm
    list_display = ["user", "hotel", "role"]
    list_filter = [HotelListFilter, "role"]
    list_select_related = ["user", "hotel"]
    search_fields = ["=user__email", "user__last_name"]

    def get_readonly_fields(self, request, obj=None):
        return ["hotel"] if obj else []

    def save_model(self, request, obj, form, change):
        member = staff_member_invite(hotel=obj.hotel, email=form.cleaned_data["email"], role=obj.role)
        obj.pk, obj.user = member.pk, member.user

    def delete_model(self, request, obj):
        staff_member_remove(member=obj)

    def delete_queryset(self, request, queryset):
        for member in queryset.select_related("user"):
            staff_member_remove(member=member)


@admin.register(CityName)
class CityNameAdmin(admin.ModelAdmin):
    """A city's name per language: what guests may type in the search ("München") and see on the results page."""

    list_display = ("city", "language", "name")
    list_filter = ("language",)
    search_fields = ("city", "name")
