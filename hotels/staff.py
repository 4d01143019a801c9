"""Scoping the staff console: a staff member sees and changes only the hotels they work at; superusers see all.

A role at a hotel (``HotelStaff.role``) maps to a Django group ("Hotel manager", "Front desk") whose permissions
say what the role may do. Membership of the group makes ``user.has_perm`` true globally; this module narrows each
permission to the hotels where the user's role grants it, so someone who manages hotel A and works the front desk
of hotel B can refund at A but not at B. A permission the user holds other than through a role group (granted to
the user directly, or through another group) applies at all of their hotels.

Every staff ModelAdmin mixes in :class:`HotelScopedAdminMixin` and names the path from its model to the hotel
(``hotel_path``); lists, detail pages, history, actions, searches, autocompletes, filters, exports and inlines then
all go through the same scoped queryset and per-object checks. An object outside the scope is a 404, never a
redirect or a 403 that reveals it exists.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Hotel, HotelStaff

ROLE_GROUPS = {HotelStaff.Role.MANAGER: "Hotel manager", HotelStaff.Role.FRONT_DESK: "Front desk"}
_CACHE_ATTR = "_staff_scope_cache"


def _cache(user) -> dict:
    """Per-request memo on the user object (``request.user`` lives for one request)."""
    cache = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(user, _CACHE_ATTR, cache)
    return cache


def staff_scope_forget(user) -> None:
    """Drop what was worked out about ``user``'s hotels and permissions (after their roles change)."""
    for attr in (_CACHE_ATTR, "_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(attr, None)


def _roles(user) -> dict[int, str]:
    cache = _cache(user)
    if "roles" not in cache:
        cache["roles"] = dict(HotelStaff.objects.filter(user=user).values_list("hotel_id", "role"))
    return cache["roles"]


def _role_grants() -> dict[str, set[str]]:
    grants: dict[str, set[str]] = {role: set() for role in ROLE_GROUPS}
    by_group = {group: role for role, group in ROLE_GROUPS.items()}
    rows = Permission.objects.filter(group__name__in=ROLE_GROUPS.values()).values_list(
        "group__name", "content_type__app_label", "codename"
    )
    for group, app_label, codename in rows:
        grants[by_group[group]].add(f"{app_label}.{codename}")
    return grants


def staff_hotel_ids(user, perm: str | None = None) -> frozenset[int]:
    """Ids of the hotels where ``user`` works (and, given ``perm``, where their role there grants it).

    Not meant for superusers, who are not limited to hotels; :func:`scope` and :func:`staff_can` handle them.
    """
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return frozenset()
    cache = _cache(user)
    key = ("ids", perm)
    if key not in cache:
        roles = _roles(user)
        if perm is None:
            ids = frozenset(roles)
        elif not user.has_perm(perm):
            ids = frozenset()
        else:
            if "grants" not in cache:
                cache["grants"] = _role_grants()
            granting = {role for role, perms in cache["grants"].items() if perm in perms}
            # Granted through no role: it came with the account itself, at all of the user's hotels.
            ids = frozenset(h for h, role in roles.items() if not granting or role in granting)
        cache[key] = ids
    return cache[key]


def staff_hotels(user, perm: str | None = None) -> QuerySet:
    """The hotels ``user`` may work on (with ``perm`` there, if given): all of them for a superuser."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return Hotel.objects.none()
    if user.is_superuser:
        return Hotel.objects.all()
    return Hotel.objects.filter(pk__in=staff_hotel_ids(user, perm))


def staff_can(user, perm: str, hotel_id) -> bool:
    """May ``user`` use ``perm`` at the hotel ``hotel_id``?"""
    if user.is_active and user.is_superuser:
        return True
    return hotel_id in staff_hotel_ids(user, perm)


def staff_can_any(user, perms) -> frozenset[int] | None:
    """Hotel ids where the user holds any of ``perms`` (None: a superuser, every hotel)."""
    if user.is_active and user.is_superuser:
        return None
    return frozenset().union(*(staff_hotel_ids(user, p) for p in perms))


def scope(queryset: QuerySet, user, hotel_path: str, perm: str | None = None) -> QuerySet:
    """``queryset`` limited to the rows of the user's hotels (where they hold ``perm``, if given)."""
    if user.is_active and user.is_superuser:
        return queryset
    return _filter(queryset, hotel_path, staff_hotel_ids(user, perm))


def _filter(queryset: QuerySet, hotel_path: str, ids) -> QuerySet:
    if ids is None:
        return queryset
    lookup = f"{hotel_path}_id__in" if hotel_path else "pk__in"
    return queryset.filter(**{lookup: sorted(ids)})


def hotel_id_of(obj, hotel_path: str):
    """Follow ``hotel_path`` ("", "hotel", "room_type__hotel", ...) from ``obj`` to its hotel's id."""
    if not hotel_path:
        return obj.pk
    *hops, last = hotel_path.split("__")
    for hop in hops:
        obj = getattr(obj, hop, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


def _perm(opts, action: str) -> str:
    return f"{opts.app_label}.{action}_{opts.model_name}"


class EstimatedCountPaginator(Paginator):
    """Counting 100,000+ rows exactly on every page is slow: an unfiltered list takes the planner's estimate
    (``pg_class.reltuples``, kept fresh by autovacuum) once the table is big enough for it to matter."""

    exact_below = 10_000

    @cached_property
    def count(self):
        queryset = self.object_list
        if isinstance(queryset, QuerySet) and not queryset.query.where and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= self.exact_below:
                return row[0]
        return super().count


class HotelListFilter(admin.SimpleListFilter):
    """A hotel filter that lists only the hotels whose rows the user can see in this list."""

    title = gettext_lazy("hotel")
    parameter_name = "hotel"

    def __init__(self, request, params, model, model_admin):
        self.hotel_path = model_admin.hotel_path
        super().__init__(request, params, model, model_admin)

    max_choices = 100  # a chain's worth; beyond that (the whole catalogue, for a superuser) the sidebar is useless

    def lookups(self, request, model_admin):
        ids = model_admin.scope_hotel_ids(request, "view")
        hotels = Hotel.objects.only("pk", "name").order_by("name")
        hotels = hotels if ids is None else hotels.filter(pk__in=ids)
        choices = [(h.pk, h.name) for h in hotels[: self.max_choices + 1]]
        if len(choices) <= self.max_choices:
            return choices
        # Too many to list: offer only the chosen one (reached from the hotel's page), so the filter still applies.
        value = self.value()
        return [(h.pk, h.name) for h in hotels.filter(pk=int(value))] if value and str(value).isdecimal() else []

    def queryset(self, request, queryset):
        value = self.value()
        if value and str(value).isdecimal():
            return queryset.filter(**{f"{self.hotel_path}_id" if self.hotel_path else "pk": int(value)})
        return queryset


class HotelScopedAdminMixin:
    """Limits a ModelAdmin to the user's hotels, per permission: the list and every page, action, search,
    autocomplete and filter work from the scoped queryset, and each object check asks whether the user's role at
    the object's hotel grants the permission. Choices of foreign keys to hotels (or to things of a hotel) offer
    only the hotels where the user may change this model."""

    hotel_path = "hotel"  # from the model to its Hotel; "" for Hotel itself

    def scope_hotel_ids(self, request, action: str) -> frozenset[int] | None:
        """Hotel ids where the user may ``action`` ("view" includes "change", as in Django) this model."""
        opts = self.model._meta
        actions = ("view", "change") if action == "view" else (action,)
        return staff_can_any(request.user, [_perm(opts, a) for a in actions])

    def _allowed_on(self, request, action: str, obj) -> bool:
        if obj is None:
            return True
        ids = self.scope_hotel_ids(request, action)
        return ids is None or hotel_id_of(obj, self.hotel_path) in ids

    def get_queryset(self, request):
        return _filter(super().get_queryset(request), self.hotel_path, self.scope_hotel_ids(request, "view"))

    def response_action(self, request, queryset):
        """Django filters the list by the posted ids as they come: one that is no id (a forged or mangled POST)
        raised ValueError, a 500. Then nothing is done and the list says so."""
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                self.model._meta.pk.to_python(value)
        except ValidationError:
            self.message_user(request, _("No such item in your hotels: nothing was changed."), messages.WARNING)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("No such object in your hotels."))
        return obj

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._allowed_on(request, "view", obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._allowed_on(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._allowed_on(request, "delete", obj)

    def _choice_queryset(self, request, related):
        editable = staff_can_any(request.user, [_perm(self.model._meta, "add"), _perm(self.model._meta, "change")])
        if related is Hotel:
            return _filter(Hotel.objects.all(), "", editable)
        if any(f.name == "hotel" and f.related_model is Hotel for f in related._meta.fields):
            return _filter(related._default_manager.all(), "hotel", editable)
        return None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = self._choice_queryset(request, db_field.related_model)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        queryset = self._choice_queryset(request, db_field.related_model)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _check_in_scope(self, request, object_id):
        """History pages look objects up themselves (django-simple-history even falls back to the last
        historical copy of a deleted object): only objects in the user's scope have a history here."""
        if request.user.is_superuser:
            return
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404(_("No such object in your hotels."))

    def history_view(self, request, object_id, extra_context=None):
        self._check_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._check_in_scope(request, object_id)
        # The page saves the old version on any POST, even for a user who may only view (their form simply has
        # no fields): reverting is a change.
        if request.method == "POST" and not self.has_change_permission(request, self.get_object(request, object_id)):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ParentKnownInlineFormSet(BaseInlineFormSet):
    """Each row knows the page's object as its parent: a row's ``str()`` (shown above it) that names the parent
    reads nothing more (one query per row otherwise)."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if form.instance.pk is not None:
            self.fk.set_cached_value(form.instance, self.instance)
        return form


class HotelScopedInlineMixin:
    """An inline on a hotel-scoped parent: its rows are the parent's, and each permission is asked at the
    parent's hotel (``parent_hotel_path``: from the parent object to its hotel, "" when the parent is a Hotel)."""

    parent_hotel_path = ""
    formset = ParentKnownInlineFormSet

    def _allowed_at_parent(self, request, actions, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        hotel_id = hotel_id_of(obj, self.parent_hotel_path)
        return any(staff_can(request.user, _perm(self.opts, a), hotel_id) for a in actions)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._allowed_at_parent(request, ("view", "change"), obj)

    def has_add_permission(self, request, obj):
        return super().has_add_permission(request, obj) and self._allowed_at_parent(request, ("add",), obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._allowed_at_parent(request, ("change",), obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._allowed_at_parent(request, ("delete",), obj)
