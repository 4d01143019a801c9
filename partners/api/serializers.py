from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from bookings.models import Booking
from bookings.policy import policy_summary
from hotels.models import Hotel, RoomType


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know (a typo should not be silently ignored)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]})
        unknown = set(data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError({f"unknown:{k}"[:100]: ["Unknown field."] for k in sorted(unknown)[:20]})
        return super().to_internal_value(data)


class StaySerializer(StrictSerializer):
    check_in = serializers.DateField()
    check_out = serializers.DateField()
    adults = serializers.IntegerField(min_value=1, max_value=30)
    children = serializers.IntegerField(min_value=0, max_value=10, default=0)
    rooms = serializers.IntegerField(min_value=1, max_value=settings.BOOKING_MAX_ROOMS, default=1)

    def validate(self, data):
        earliest = timezone.now().date() - timedelta(days=1)
        if data["check_in"] < earliest:
            raise serializers.ValidationError({"check_in": ["Check-in can't be in the past."]})
        if data["check_in"] > earliest + timedelta(days=settings.BOOKING_MAX_DAYS_AHEAD):
            raise serializers.ValidationError({"check_in": ["Stays are sold up to 500 days ahead."]})
        if data["check_out"] <= data["check_in"]:
            raise serializers.ValidationError({"check_out": ["Check-out must be after check-in."]})
        if (data["check_out"] - data["check_in"]).days > settings.BOOKING_MAX_NIGHTS:
            raise serializers.ValidationError({"check_out": [f"At most {settings.BOOKING_MAX_NIGHTS} nights."]})
        if data["rooms"] > data["adults"]:
            raise serializers.ValidationError({"rooms": ["Each room needs at least one adult."]})
        return data


class AvailabilityQuerySerializer(StaySerializer):
    city = serializers.CharField(max_length=100, required=False)
    hotel = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    page = serializers.IntegerField(min_value=1, max_value=10000, default=1)

    def validate(self, data):
        data = super().validate(data)
        if not data.get("city") and not data.get("hotel"):
            raise serializers.ValidationError({"city": ["Give a city or a hotel."]})
        return data


class GuestSerializer(StrictSerializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)


class BookingCreateSerializer(StaySerializer):
    room_type = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    guest = GuestSerializer()
    expected_total = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    partner_reference = serializers.CharField(max_length=80, required=False, default="", allow_blank=True)
    special_requests = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True)


class BookingListQuerySerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=Booking.Status.choices, required=False)
    check_in_from = serializers.DateField(required=False)
    check_in_to = serializers.DateField(required=False)
    page = serializers.IntegerField(min_value=1, max_value=100000, default=1)


# --- output ------------------------------------------------------------------------------------------------------


class RoomTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoomType
        fields = [
            "id",
            "name",
            "description",
            "max_adults",
            "max_children",
            "max_occupancy",
            "beds",
            "size_m2",
            "total_rooms",
        ]


class HotelSerializer(serializers.ModelSerializer):
    amenities = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    check_in_time = serializers.SerializerMethodField(help_text="Hotel-local, HH:MM.")
    check_out_time = serializers.SerializerMethodField(help_text="Hotel-local, HH:MM.")

    def get_check_in_time(self, hotel) -> str:
        return f"{hotel.check_in_time:%H:%M}"

    def get_check_out_time(self, hotel) -> str:
        return f"{hotel.check_out_time:%H:%M}"

    class Meta:
        model = Hotel
        fields = [
            "id",
            "name",
            "slug",
            "city",
            "country",
            "address",
            "latitude",
            "longitude",
            "stars",
            "currency",
            "timezone",
            "check_in_time",
            "check_out_time",
            "amenities",
        ]


class HotelDetailSerializer(HotelSerializer):
    room_types = serializers.SerializerMethodField()
    description = serializers.CharField()

    class Meta(HotelSerializer.Meta):
        fields = [*HotelSerializer.Meta.fields, "description", "room_types"]

    def get_room_types(self, hotel) -> list[dict]:
        return RoomTypeSerializer([rt for rt in hotel.room_types.all() if rt.is_active], many=True).data


class NightPriceSerializer(serializers.Serializer):
    date = serializers.DateField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    rooms = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class TaxLineSerializer(serializers.Serializer):
    name = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    included = serializers.BooleanField()


class PolicySerializer(serializers.Serializer):
    free_until = serializers.DateTimeField(allow_null=True)
    timezone = serializers.CharField()
    penalty = serializers.ChoiceField(choices=["first_night", "percent", "full_stay"])
    penalty_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    summary = serializers.CharField()


class OfferSerializer(serializers.Serializer):
    room_type = RoomTypeSerializer()
    rooms_available = serializers.IntegerField()
    currency = serializers.CharField()
    nights = NightPriceSerializer(many=True)
    taxes = TaxLineSerializer(many=True)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    cancellation_policy = PolicySerializer()


class HotelOffersSerializer(serializers.Serializer):
    hotel = HotelSerializer()
    offers = OfferSerializer(many=True)


class AvailabilitySerializer(serializers.Serializer):
    check_in = serializers.DateField()
    check_out = serializers.DateField()
    nights = serializers.IntegerField()
    adults = serializers.IntegerField()
    children = serializers.IntegerField()
    rooms = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Hotels with offers, all pages.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = HotelOffersSerializer(many=True)


class BookingSerializer(serializers.ModelSerializer):
    hotel = serializers.SerializerMethodField()
    room_type = serializers.SerializerMethodField()
    guest = serializers.SerializerMethodField()
    nights = serializers.SerializerMethodField()
    taxes = serializers.SerializerMethodField()
    cancellation_policy = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "reference",
            "status",
            "partner_reference",
            "hotel",
            "room_type",
            "check_in",
            "check_out",
            "adults",
            "children",
            "rooms",
            "guest",
            "special_requests",
            "currency",
            "total",
            "nights",
            "taxes",
            "cancellation_policy",
            "cancellation_penalty",
            "refunded_amount",
            "created_at",
            "confirmed_at",
            "cancelled_at",
        ]

    def get_hotel(self, booking) -> dict:
        return {"id": booking.hotel_id, "name": booking.hotel.name, "city": booking.hotel.city}

    def get_room_type(self, booking) -> dict:
        return {"id": booking.room_type_id, "name": booking.room_type.name}

    def get_guest(self, booking) -> dict:
        return {
            "first_name": booking.guest_first_name,
            "last_name": booking.guest_last_name,
            "email": booking.guest_email,
            "phone": booking.guest_phone,
        }

    def get_nights(self, booking) -> list[dict]:
        return booking.price_snapshot.get("nights", [])

    def get_taxes(self, booking) -> list[dict]:
        return booking.price_snapshot.get("taxes", [])

    def get_cancellation_policy(self, booking) -> dict:
        return {**booking.cancellation_policy, "summary": policy_summary(booking.cancellation_policy)}


class PaginatedBookingsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = BookingSerializer(many=True)


class PaginatedHotelsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = HotelSerializer(many=True)


def policy_data(policy: dict) -> dict:
    return {**policy, "summary": policy_summary(policy)}


def today() -> date:
    return timezone.now().date()
