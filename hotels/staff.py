"""Scoping the staff console: a staff member sees and changes only the hotels they work at; superusers see all.

Every staff ModelAdmin mixes in :class:`HotelScopedAdminMixin` and names the path from its model to the hotel
(``hotel_path``); lists, detail pages, actions, searches, autocompletes, filters, exports and inlines then all go
through the same scoped queryset. An object outside the scope is a 404, never a redirect that reveals it exists.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404

from .models import Hotel, HotelStaff


def staff_hotels(user) -> QuerySet:
    if not user.is_active or not user.is_staff:
        return Hotel.objects.none()
    if user.is_superuser:
        return Hotel.objects.all()
    return Hotel.objects.filter(staff__user=user).distinct()


def staff_role(user, hotel) -> str | None:
    if user.is_superuser:
        return HotelStaff.Role.MANAGER
    return HotelStaff.objects.filter(user=user, hotel=hotel).values_list("role", flat=True).first()


def scope(queryset: QuerySet, user, hotel_path: str) -> QuerySet:
    if user.is_superuser:
        return queryset
    lookup = f"{hotel_path}__in" if hotel_path else "pk__in"
    return queryset.filter(**{lookup: staff_hotels(user).values("pk")})


class HotelListFilter(admin.SimpleListFilter):
    """A hotel filter that lists only the user's hotels."""

    title = "hotel"
    parameter_name = "hotel"

    def __init__(self, request, params, model, model_admin):
        self.hotel_path = model_admin.hotel_path or "pk"
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [(h.pk, h.name) for h in staff_hotels(request.user).only("pk", "name").order_by("name")]

    def queryset(self, request, queryset):
        if self.value() and str(self.value()).isdigit():
            return queryset.filter(**{self.hotel_path: self.value()})
        return queryset


class HotelScopedAdminMixin:
    hotel_path = "hotel"  # from the model to its Hotel; "" for Hotel itself

    def get_queryset(self, request):
        return scope(super().get_queryset(request), request.user, self.hotel_path)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object in your hotels.")
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if related is Hotel:
            kwargs["queryset"] = staff_hotels(request.user)
        elif related is not None and hasattr(related, "hotel"):
            kwargs["queryset"] = scope(related._default_manager.all(), request.user, "hotel")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class HotelScopedInlineMixin:
    hotel_path = "hotel"

    def get_queryset(self, request):
        return scope(super().get_queryset(request), request.user, self.hotel_path)
