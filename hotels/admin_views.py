"""Staff console pages for inventory and rates: the month calendar and the bulk editor of a room type."""

import calendar
from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import FormView, TemplateView

from .models import NightInventory, RoomType
from .services import InventoryError, inventory_bulk_update
from .staff import scope, staff_can

WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


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
        nights = {
            n.date: n
            for n in NightInventory.objects.filter(
                room_type=self.room_type, date__gte=first, date__lte=first.replace(day=days_in_month)
            )
        }
        weeks, week = [], [None] * first.weekday()
        for day in range(1, days_in_month + 1):
            d = first.replace(day=day)
            week.append({"date": d, "night": nights.get(d)})
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
            weekdays=[name for _, name in WEEKDAYS],
            title=f"{self.room_type.name}: {first:%B %Y}",
        )
        return context


class BulkInventoryForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), help_text="Inclusive.")
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "sb-choices"}),
        help_text="None ticked: every day.",
    )
    rooms_for_sale = forms.IntegerField(min_value=0, max_value=10000, required=False, help_text="Blank: unchanged.")
    price = forms.DecimalField(
        label="Price per night",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text="Blank: unchanged.",
    )
    stop_sell = forms.TypedChoiceField(
        label="Stop-sell",
        choices=[("", "unchanged"), ("1", "stop selling"), ("0", "sell")],
        coerce=lambda v: v == "1",
        empty_value=None,
        required=False,
    )
    min_stay = forms.IntegerField(
        label="Minimum stay", min_value=1, max_value=30, required=False, help_text="Nights. Blank: unchanged."
    )


class InventoryBulkView(RoomTypeStaffMixin, FormView):
    template_name = "admin/staybook/inventory_bulk.html"
    form_class = BulkInventoryForm
    permission = "hotels.change_nightinventory"

    def get_initial(self):
        """Today and the next 30 days, or the nights given in the query string (the calendar's links)."""
        initial = {"start": self.hotel_today, "end": self.hotel_today + timedelta(days=30)}
        for name in ("start", "end"):
            try:
                initial[name] = date.fromisoformat(self.request.GET.get(name, ""))
            except ValueError:
                pass
        return initial

    def form_valid(self, form):
        data = form.cleaned_data
        try:
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
        except InventoryError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, f"{result.updated} nights updated, {result.created} created.")
        return redirect(
            reverse("admin:hotels_roomtype_calendar", args=[self.room_type.pk]) + f"?month={data['start']:%Y-%m}"
        )

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": f"Bulk edit: {self.room_type.name}"}
