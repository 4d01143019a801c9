"""Staff console pages for inventory and rates: the month calendar and the bulk editor of a room type."""

import calendar
from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.generic import FormView, TemplateView

from .models import NightInventory, RatePlanNight, RoomType
from .pricing import derived_price
from .services import InventoryError, inventory_bulk_update, rate_plan_nights_update
from .staff import scope, staff_can

WEEKDAYS = sorted(WEEKDAYS_ABBR.items())  # (0, "Mon")…(6, "Sun"), translated by Django


class RoomTypeStaffMixin:
    """A page about one room type: 403 without the permission at all, 404 for a room type of a hotel where the
    user's role doesn't grant it."""

    model_admin = None
    permission = "hotels.view_nightinventory"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        self.room_type = get_object_or_404(
            scope(RoomType.objects.select_related("hotel"), request.user, "hotel", self.permission),
            pk=kwargs["room_type_id"],
        )
        self.hotel_today = timezone.now().astimezone(self.room_type.hotel.tzinfo).date()
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, hotel_id = self.request.user, self.room_type.hotel_id
        context.update(
            self.model_admin.admin_site.each_context(self.request),
            room_type=self.room_type,
            hotel=self.room_type.hotel,
            opts=RoomType._meta,
            today=self.hotel_today,
            can_edit=staff_can(user, "hotels.change_nightinventory", hotel_id),
            show_prices=staff_can(user, "hotels.view_nightinventory", hotel_id)
            and staff_can(user, "bookings.view_booking_prices", hotel_id),
        )
        return context


class InventoryCalendarView(RoomTypeStaffMixin, TemplateView):
    template_name = "admin/staybook/inventory_calendar.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            year, month = (int(x) for x in self.request.GET.get("month", "").split("-"))
            first = date(year, month, 1)
            if abs(year - self.hotel_today.year) > 50:
                raise ValueError("too far")
        except ValueError:
            first = self.hotel_today.replace(day=1)
        days_in_month = calendar.monthrange(first.year, first.month)[1]
        last = first.replace(day=days_in_month)
        nights = {
            n.date: n for n in NightInventory.objects.filter(room_type=self.room_type, date__gte=first, date__lte=last)
        }
        plans = list(self.room_type.rate_plans.filter(is_active=True))
        plan_nights = {
            (n.rate_plan_id, n.date): n
            for n in RatePlanNight.objects.filter(rate_plan__in=plans, date__gte=first, date__lte=last)
        }
        weeks, week = [], [None] * first.weekday()
        for day in range(1, days_in_month + 1):
            d = first.replace(day=day)
            week.append({"date": d, "night": nights.get(d), "plans": _plan_cells(plans, plan_nights, d, nights.get(d))})
            if len(week) == 7:
                weeks.append(week)
                week = []
        if week:
            weeks.append(week + [None] * (7 - len(week)))
        previous = (first - timedelta(days=1)).replace(day=1)
        following = first.replace(day=days_in_month) + timedelta(days=1)
        context.update(
            weeks=weeks,
            month=first,
            previous=f"{previous:%Y-%m}",
            next=f"{following:%Y-%m}",
            weekdays=[name for _day, name in WEEKDAYS],
            title=_("%(room_type)s: %(month)s")
            % {"room_type": self.room_type.name, "month": formats.date_format(first, "YEAR_MONTH_FORMAT")},
        )
        return context


def _plan_cells(plans, plan_nights, day, night) -> list[dict]:
    """Each active plan's price for one room on ``day`` (own price, else the room type's; a derived plan its
    parent's changed as ``hotels.pricing.derived_price`` says) and its own terms that night."""
    cells = []
    for plan in plans:
        own = plan_nights.get((plan.pk, day))
        stored = plan_nights.get((plan.parent_id or plan.pk, day))
        base = stored.price if stored is not None and stored.price is not None else (night.price if night else None)
        price = None
        if base is not None:
            price = derived_price(base, plan.derivation, plan.derivation_value) if plan.parent_id else base
        flags = []
        if own is not None:
            flags += [label for field, label in PLAN_FLAGS if getattr(own, field)]
            if own.min_stay:
                flags.append(_("min %(nights)s") % {"nights": own.min_stay})
            if own.max_stay:
                flags.append(_("max %(nights)s") % {"nights": own.max_stay})
        cells.append({"plan": plan, "price": price, "own_price": bool(own and own.price is not None), "flags": flags})
    return cells


PLAN_FLAGS = [
    ("closed_to_arrival", gettext_lazy("no arrival")),
    ("closed_to_departure", gettext_lazy("no departure")),
    ("stop_sell", pgettext_lazy("rate", "closed")),
]
TRISTATE = [("", gettext_lazy("unchanged")), ("1", gettext_lazy("yes")), ("0", gettext_lazy("no"))]


def _tristate(label):
    return forms.TypedChoiceField(
        label=label, choices=TRISTATE, coerce=lambda v: v == "1", empty_value=None, required=False
    )


class BulkInventoryForm(forms.Form):
    target = forms.ChoiceField(
        label=gettext_lazy("Apply to"),
        required=False,
        help_text=gettext_lazy(
            "Rooms are the room type's, shared by its rates; a rate's own price, rules and closures are its own."
        ),
    )
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(
        label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}), help_text=gettext_lazy("Inclusive.")
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Weekdays"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "sb-choices"}),
        help_text=gettext_lazy("None ticked: every day."),
    )
    rooms_for_sale = forms.IntegerField(
        label=gettext_lazy("Rooms for sale"),
        min_value=0,
        max_value=10000,
        required=False,
        help_text=gettext_lazy("Blank: unchanged."),
    )
    price = forms.DecimalField(
        label=gettext_lazy("Price per night"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=gettext_lazy("Blank: unchanged."),
    )
    stop_sell = forms.TypedChoiceField(
        label=gettext_lazy("Stop-sell"),
        choices=[("", gettext_lazy("unchanged")), ("1", gettext_lazy("stop selling")), ("0", gettext_lazy("sell"))],
        coerce=lambda v: v == "1",
        empty_value=None,
        required=False,
    )
    min_stay = forms.IntegerField(
        label=gettext_lazy("Minimum stay"),
        min_value=1,
        max_value=30,
        required=False,
        help_text=gettext_lazy("Nights. Blank: unchanged."),
    )
    max_stay = forms.IntegerField(
        label=gettext_lazy("Maximum stay"),
        min_value=1,
        max_value=365,
        required=False,
        help_text=gettext_lazy("Nights, for stays arriving that day (a rate only). Blank: unchanged."),
    )
    closed_to_arrival = _tristate(gettext_lazy("Closed to arrival (a rate only)"))
    closed_to_departure = _tristate(gettext_lazy("Closed to departure (a rate only)"))
    reset = forms.BooleanField(
        label=gettext_lazy("Reset the rate's own nights"),
        required=False,
        help_text=gettext_lazy(
            "A rate only: remove its own price and rules on these nights (back to the room type's price and "
            "the rate's defaults)."
        ),
    )

    def __init__(self, *args, room_type, **kwargs):
        super().__init__(*args, **kwargs)
        self.plans = {str(p.pk): p for p in room_type.rate_plans.select_related("parent")}
        self.fields["target"].choices = [
            ("", _("%(room_type)s: rooms and price (all rates)") % {"room_type": room_type.name})
        ] + [
            (
                pk,
                _("Rate: %(rate)s (derived from %(parent)s)") % {"rate": p.name, "parent": p.parent.name}
                if p.parent_id
                else _("Rate: %(rate)s") % {"rate": p.name},
            )
            for pk, p in self.plans.items()
        ]

    def clean(self):
        data = super().clean()
        plan = self.plans.get(data.get("target") or "")
        data["rate_plan"] = plan
        if plan is not None and data.get("rooms_for_sale") is not None:
            self.add_error("rooms_for_sale", _("Rooms are shared by all the rates: apply them to the room type."))
        if plan is None:
            for name in ("max_stay", "closed_to_arrival", "closed_to_departure"):
                if data.get(name) not in (None, ""):
                    self.add_error(name, _("This is a rate's rule: choose the rate under “Apply to”."))
            if data.get("reset"):
                self.add_error("reset", _("Choose the rate whose nights you want to reset."))
        return data


class InventoryBulkView(RoomTypeStaffMixin, FormView):
    template_name = "admin/staybook/inventory_bulk.html"
    form_class = BulkInventoryForm
    permission = "hotels.change_nightinventory"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "room_type": self.room_type}

    def get_initial(self):
        """Today and the next 30 days, or the nights given in the query string (the calendar's links)."""
        initial = {
            "start": self.hotel_today,
            "end": self.hotel_today + timedelta(days=30),
            "target": self.request.GET.get("rate", ""),
        }
        for name in ("start", "end"):
            try:
                initial[name] = date.fromisoformat(self.request.GET.get(name, ""))
            except ValueError:
                pass
        return initial

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            if data["rate_plan"] is None:
                result = inventory_bulk_update(
                    room_type=self.room_type,
                    start=data["start"],
                    end=data["end"],
                    weekdays=set(data["weekdays"]),
                    rooms_for_sale=data["rooms_for_sale"],
                    price=data["price"],
                    stop_sell=data["stop_sell"],
                    min_stay=data["min_stay"],
                    user=self.request.user,
                )
            else:
                result = rate_plan_nights_update(
                    rate_plan=data["rate_plan"],
                    start=data["start"],
                    end=data["end"],
                    weekdays=set(data["weekdays"]),
                    price=data["price"],
                    closed_to_arrival=data["closed_to_arrival"],
                    closed_to_departure=data["closed_to_departure"],
                    stop_sell=data["stop_sell"],
                    min_stay=data["min_stay"],
                    max_stay=data["max_stay"],
                    reset=data["reset"],
                    user=self.request.user,
                )
        except InventoryError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(updated)s nights updated, %(created)s created.")
            % {"updated": result.updated, "created": result.created},
        )
        return redirect(
            reverse("admin:hotels_roomtype_calendar", args=[self.room_type.pk]) + f"?month={data['start']:%Y-%m}"
        )

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": _("Bulk edit: %(room_type)s") % {"room_type": self.room_type.name},
        }
