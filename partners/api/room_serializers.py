"""Input of the partner API's bookings of several rooms, and of changing a booking (issue 17).

A booking request whose ``rooms`` is a list is a booking of those rooms, each with its own party and guest; the
older request (one ``room_type``, ``rooms`` a count, one pooled party) is :class:`.serializers.BookingCreateSerializer`
and keeps meaning what it meant."""

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

from .serializers import AgesField, AmountField, GuestSerializer, StrictSerializer

ID = {"min_value": 1, "max_value": 2**31 - 1}


class RoomInputSerializer(StrictSerializer):
    """One room: its type and rate (from availability), the party staying in it and that guest's name."""

    room_type = serializers.IntegerField(**ID)
    rate_plan = serializers.IntegerField(
        **ID, required=False, help_text="The offer's rate plan; without it, the room type's standard plan."
    )
    adults = serializers.IntegerField(min_value=1, max_value=30)
    children_ages = AgesField(required=False, default=list, help_text="Each child's age on arrival (0-17).")
    guest_name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


def rooms_list(child, **kwargs):
    return serializers.ListSerializer(
        child=child, min_length=1, max_length=settings.BOOKING_MAX_ROOMS, allow_empty=False, **kwargs
    )


class DatesMixin:
    def validate(self, data):
        check_in, check_out = data.get("check_in"), data.get("check_out")
        if check_in and check_out and check_out <= check_in:
            raise serializers.ValidationError({"check_out": [_("Check-out must be after check-in.")]})
        return data


class BookingRoomsCreateSerializer(DatesMixin, StrictSerializer):
    """A booking of one or several rooms (``rooms``: a list), all for the same dates in one hotel; the lead
    ``guest`` is the contact. Unknown properties are refused."""

    check_in = serializers.DateField()
    check_out = serializers.DateField()
    rooms = rooms_list(RoomInputSerializer(), help_text="The rooms, each priced on its own (at least one).")
    guest = GuestSerializer()
    expected_total = AmountField(
        required=False, help_text="The sum of the offers' totals from availability; if the price moved, 409."
    )
    partner_reference = serializers.CharField(max_length=80, required=False, default="", allow_blank=True)
    special_requests = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True)


class RoomChangeSerializer(StrictSerializer):
    """A room to change (with the ``id`` of one of the booking's rooms; what is not given stays as it is) or to
    add (without ``id``: ``room_type`` and ``adults`` are then required)."""

    id = serializers.IntegerField(**ID, required=False, help_text="The room to change; leave out to add a room.")
    room_type = serializers.IntegerField(**ID, required=False)
    rate_plan = serializers.IntegerField(**ID, required=False)
    adults = serializers.IntegerField(min_value=1, max_value=30, required=False)
    children_ages = AgesField(required=False)
    guest_name = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, data):
        if "id" not in data and ("room_type" not in data or "adults" not in data):
            raise serializers.ValidationError(_("A room to add needs room_type and adults (or give the id to change)."))
        return data


class BookingModifySerializer(DatesMixin, StrictSerializer):
    """A change to a confirmed booking: new dates (either or both), rooms to change or add, or both. Rooms not
    listed stay as they are; a room is cancelled with ``POST …/rooms/{id}/cancel/``."""

    check_in = serializers.DateField(required=False)
    check_out = serializers.DateField(required=False)
    rooms = rooms_list(RoomChangeSerializer(), required=False)
    expected_total = AmountField(
        required=False, help_text="The new total from the quote; if the price is no longer that, 409 price_changed."
    )

    def validate(self, data):
        data = super().validate(data)
        if not ({"check_in", "check_out", "rooms"} & set(data)):
            raise serializers.ValidationError(_("Give new dates (check_in, check_out) or rooms to change or add."))
        return data


class PriceDifferenceSerializer(serializers.Serializer):
    old_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    new_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="new_total − old_total: positive is owed, negative refunded."
    )
    currency = serializers.CharField()
