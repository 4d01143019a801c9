import functools

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.models import Booking, RoomLine
from hotels.forms import StayForm
from hotels.models import Hotel, RatePlan, RoomType
from hotels.stay import Stay
from partners.selectors import policy_data
from payments.ledger import booking_balance_of
from payments.selectors import booking_payment_terms


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know (a typo should not be silently ignored)."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        unknown = set(data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {f"unknown:{k}"[:100]: [_("Unknown field.")] for k in sorted(unknown)[:20]}
            )
        return super().to_internal_value(data)


class StrictSerializerSchema(OpenApiSerializerExtension):
    """The schema says what the serializer does: properties it does not list are refused."""

    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "additionalProperties": False}


class ApiStayForm(StayForm):
    ages_required = False  # older clients send a count of children only


@extend_schema_field({"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 17}, "maxItems": 10})
class AgesField(serializers.Field):
    """Children's ages: [4, 9] in JSON, "4,9" in a query string."""

    default_error_messages = {"invalid": _("Give ages as a list of whole numbers from 0 to 17 (or 4,9 in a query).")}

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [part.strip() for part in data.split(",") if part.strip()]
        if not isinstance(data, list) or len(data) > 10:
            self.fail("invalid")
        ages = []
        for age in data:
            if isinstance(age, bool) or not isinstance(age, int | str) or not str(age).isdecimal():
                self.fail("invalid")
            if not 0 <= int(age) <= 17:
                self.fail("invalid")
            ages.append(int(age))
        return ages

    def to_representation(self, value):
        return list(value)


class StaySerializer(StrictSerializer):
    check_in = serializers.DateField()
    check_out = serializers.DateField()
    adults = serializers.IntegerField(min_value=1, max_value=30)
    children = serializers.IntegerField(min_value=0, max_value=10, default=0)
    children_ages = AgesField(
        required=False,
        help_text="Each child's age on arrival (0-17): a list, or in a query string comma-separated (4,9). Prices "
        "depend on it; children without an age are priced at the hotel's dearest child rate.",
    )
    rooms = serializers.IntegerField(min_value=1, max_value=settings.BOOKING_MAX_ROOMS, default=1)

    def validate(self, data):
        """The site's own stay rules (hotels.forms.StayForm), so the API and the search form never disagree."""
        form = ApiStayForm(data=Stay.from_params(data).params())
        if not form.is_valid():
            raise serializers.ValidationError(
                {
                    "non_field_errors" if name == "__all__" else name: [e["message"] for e in errors]
                    for name, errors in form.errors.get_json_data().items()
                }
            )
        data["children"] = form.cleaned_data["children"]
        data["children_ages"] = form.cleaned_data["children_ages"]
        return data


class AvailabilityQuerySerializer(StaySerializer):
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    hotel = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    page = serializers.IntegerField(min_value=1, max_value=10000, default=1)

    def validate(self, data):
        data = super().validate(data)
        if not data.get("city") and not data.get("hotel"):
            raise serializers.ValidationError({"city": [_("Give a city or a hotel.")]})
        return data


class GuestSerializer(StrictSerializer):
    """The guest who will stay."""

    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(max_length=32, required=False, default="", allow_blank=True)


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^\d{1,10}(\.\d{1,2})?$", "example": "208.00"})
class AmountField(serializers.DecimalField):
    """A non-negative amount of money, as a string with up to two decimals."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, min_value=0, **kwargs)


class BookingCreateSerializer(StaySerializer):
    """A booking request: the stay, the guest, and optionally the total the partner expects to pay (from
    availability); unknown properties are refused."""

    room_type = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    rate_plan = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text="The offer's rate plan from availability; without it, the room type's standard plan.",
    )
    guest = GuestSerializer()
    expected_total = AmountField(
        required=False, help_text="The offer's total from availability; if the price is no longer that, 409."
    )
    partner_reference = serializers.CharField(max_length=80, required=False, default="", allow_blank=True)
    special_requests = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True)


class PageSerializer(StrictSerializer):
    page = serializers.IntegerField(min_value=1, max_value=100000, default=1)


class HotelListQuerySerializer(PageSerializer):
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    country = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Country name, e.g. France."
    )


class BookingListQuerySerializer(PageSerializer):
    status = serializers.ChoiceField(choices=Booking.Status.choices, required=False)
    check_in_from = serializers.DateField(required=False, help_text="Inclusive.")
    check_in_to = serializers.DateField(required=False, help_text="Inclusive.")
    created_from = serializers.DateField(required=False, help_text="Inclusive, UTC date.")
    created_to = serializers.DateField(required=False, help_text="Inclusive, UTC date.")


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


_COORDINATE = serializers.DecimalField(max_digits=9, decimal_places=6)


def hotel_data(hotel: Hotel, amenity_codes: list[str]) -> dict:
    """``HotelSerializer(hotel).data`` without a serializer's work per object, for the availability endpoint's
    pages (20 hotels, each with its offers); ``tests/api`` holds the two equal, so the schema stays true."""
    return {
        "id": hotel.pk,
        "name": hotel.name,
        "slug": hotel.slug,
        "city": hotel.city,
        "country": hotel.country,
        "address": hotel.address,
        "latitude": None if hotel.latitude is None else _COORDINATE.to_representation(hotel.latitude),
        "longitude": None if hotel.longitude is None else _COORDINATE.to_representation(hotel.longitude),
        "stars": hotel.stars,
        "currency": hotel.currency,
        "timezone": hotel.timezone,
        "check_in_time": f"{hotel.check_in_time:%H:%M}",
        "check_out_time": f"{hotel.check_out_time:%H:%M}",
        "amenities": amenity_codes,
    }


def room_type_data(room_type: RoomType) -> dict:
    """``RoomTypeSerializer(room_type).data``, as :func:`hotel_data` is the hotel's."""
    return {name: getattr(room_type, "pk" if name == "id" else name) for name in RoomTypeSerializer.Meta.fields}


class NightPriceSerializer(serializers.Serializer):
    date = serializers.DateField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    rooms = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class ExtraLineSerializer(serializers.Serializer):
    name = serializers.CharField(help_text='e.g. "Extra adult", "Child 3–11".')
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Per person per night.")
    quantity = serializers.IntegerField()
    nights = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class AdjustmentLineSerializer(serializers.Serializer):
    name = serializers.CharField(help_text='A derived plan\'s change to the nights, e.g. "Non-refundable (−15%)".')
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class RatePlanRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    meal_plan = serializers.ChoiceField(choices=RatePlan.MealPlan.choices)


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


class PaymentTermsSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["prepay", "deposit", "guarantee", "at_hotel"],
        help_text="prepay: all now; deposit: part now, the balance charged to the saved card at due_later_at; "
        "guarantee: nothing now, the card is saved for a no-show or late-cancellation fee, the stay is paid at the "
        "hotel.",
    )
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    due_now = serializers.DecimalField(max_digits=12, decimal_places=2)
    due_later = serializers.DecimalField(max_digits=12, decimal_places=2)
    due_later_at = serializers.CharField(
        allow_null=True,
        help_text="When the balance is charged to the saved card: ISO 8601 with the hotel's UTC offset.",
    )
    due_later_by = serializers.ChoiceField(choices=["card", "hotel", ""])
    card_saved = serializers.BooleanField()


class UpcomingChargeSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=["balance", "no_show_fee", "cancellation_fee", "change_difference"])
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    due_at = serializers.DateTimeField(help_text="When the saved card is charged (or tried again after a decline).")
    status = serializers.ChoiceField(choices=["scheduled", "charging"])


class BookingPaymentTermsSerializer(PaymentTermsSerializer):
    """A booking's payment terms as agreed when it was booked (each room on its own rate plan's terms, added up),
    with what its ledger says today and what its saved card will still be charged."""

    kind = serializers.ChoiceField(
        choices=["prepay", "deposit", "guarantee", "at_hotel", "mixed"],
        help_text="As for an offer; mixed: rooms booked under different terms (the amounts are their sums).",
    )
    due_later_card = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The part of due_later charged to the saved card at due_later_at."
    )
    due_at_hotel = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="The part of due_later the guest pays at the hotel."
    )
    paid = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Paid so far and not refunded, from the booking's ledger."
    )
    balance_due = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Still due, from the booking's ledger (negative when money is owed back).",
    )
    upcoming_charges = UpcomingChargeSerializer(many=True)


class OfferSerializer(serializers.Serializer):
    room_type = RoomTypeSerializer()
    rate_plan = RatePlanRefSerializer()
    rooms_available = serializers.IntegerField()
    currency = serializers.CharField()
    nights = NightPriceSerializer(many=True)
    adjustments = AdjustmentLineSerializer(many=True)
    extras = ExtraLineSerializer(many=True, help_text="Supplements for the party: extra adults, children.")
    taxes = TaxLineSerializer(many=True)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    cancellation_policy = PolicySerializer()
    payment_terms = PaymentTermsSerializer()


class HotelOffersSerializer(serializers.Serializer):
    hotel = HotelSerializer()
    offers = OfferSerializer(many=True)


class AvailabilitySerializer(serializers.Serializer):
    check_in = serializers.DateField()
    check_out = serializers.DateField()
    nights = serializers.IntegerField()
    adults = serializers.IntegerField()
    children = serializers.IntegerField()
    children_ages = serializers.ListField(child=serializers.IntegerField(), help_text="As given.")
    rooms = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Hotels with offers, all pages.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True, help_text="The next page's absolute URL; null on the last page.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page's absolute URL; null on the first.")
    results = HotelOffersSerializer(many=True)


class HotelDetailSerializer(HotelSerializer):
    room_types = serializers.SerializerMethodField()
    description = serializers.CharField()

    class Meta(HotelSerializer.Meta):
        fields = [*HotelSerializer.Meta.fields, "description", "room_types"]

    @extend_schema_field(RoomTypeSerializer(many=True))
    def get_room_types(self, hotel) -> list[dict]:
        return RoomTypeSerializer([rt for rt in hotel.room_types.all() if rt.is_active], many=True).data


class HotelRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    city = serializers.CharField()


class RoomTypeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class GuestOutSerializer(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.EmailField()
    phone = serializers.CharField(allow_blank=True)


class BalanceSerializer(serializers.Serializer):
    """The booking's account from its ledger: what was charged, paid and refunded, and what is still due (negative
    when money is owed back). Bookings on a partner's account are settled with the partner, so ``paid`` stays 0."""

    currency = serializers.CharField()
    charged = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    paid = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    refunded = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)
    due = serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True)


class RoomLineSerializer(serializers.Serializer):
    """One room of a booking, priced on its own; ``total`` is what the room costs while booked."""

    id = serializers.IntegerField()
    position = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RoomLine.Status.choices)
    room_type = RoomTypeRefSerializer()
    rate_plan = RatePlanRefSerializer(allow_null=True)
    adults = serializers.IntegerField()
    children_ages = serializers.ListField(child=serializers.IntegerField(allow_null=True))
    guest_name = serializers.CharField(allow_blank=True)
    currency = serializers.CharField()
    nights = NightPriceSerializer(many=True)
    adjustments = AdjustmentLineSerializer(many=True)
    extras = ExtraLineSerializer(many=True)
    taxes = TaxLineSerializer(many=True)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    cancellation_policy = PolicySerializer()
    cancellation_penalty = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="Kept when this room was cancelled."
    )
    cancelled_at = serializers.DateTimeField(allow_null=True)


@functools.cache
def shown(serializer_class) -> serializers.Serializer:
    """One instance per process of a plain output serializer (no context, no method fields, nothing kept between
    calls), for its ``to_representation``: building a serializer's nested fields for every booking cost more
    than the data they show (docs/performance.md, "Booking creation: a leaner write path")."""
    return serializer_class()


def room_line_data(line) -> dict:
    snap = line.price_snapshot
    plan = snap.get("rate_plan")
    return {
        "id": line.pk,
        "position": line.position,
        "status": line.status,
        "room_type": {"id": line.room_type_id, "name": line.room_type.name},
        "rate_plan": None if plan is None else {k: plan[k] for k in ("id", "name", "meal_plan")},
        "adults": line.adults,
        "children_ages": line.children_ages,
        "guest_name": line.guest_name,
        "currency": line.currency,
        "nights": snap.get("nights", []),
        "adjustments": snap.get("adjustments", []),
        "extras": snap.get("extras", []),
        "taxes": snap.get("taxes", []),
        "total": line.total,
        "cancellation_policy": policy_data(line.cancellation_policy),
        "cancellation_penalty": line.cancellation_penalty,
        "cancelled_at": line.cancelled_at,
    }


class BookingSerializer(serializers.ModelSerializer):
    """A booking as partners see it (GET, POST responses and webhook events): all read from its snapshot.

    ``rooms`` lists its rooms (each with its own party, prices and policy); ``total`` is what they add up to.
    ``room_count`` is how many rooms are booked (not cancelled); the top-level ``room_type``, ``rate_plan``,
    ``nights``… are the booking's rooms added up, as before rooms were listed (the first room's type and plan).
    ``balance`` comes from its ledger."""

    hotel = serializers.SerializerMethodField()
    room_type = serializers.SerializerMethodField()
    guest = serializers.SerializerMethodField()
    rate_plan = serializers.SerializerMethodField()
    nights = serializers.SerializerMethodField()
    adjustments = serializers.SerializerMethodField()
    extras = serializers.SerializerMethodField()
    taxes = serializers.SerializerMethodField()
    cancellation_policy = serializers.SerializerMethodField()
    rooms = serializers.SerializerMethodField()
    room_count = serializers.SerializerMethodField()
    balance = serializers.SerializerMethodField()
    payment_terms = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "reference",
            "status",
            "partner_reference",
            "hotel",
            "room_type",
            "rate_plan",
            "check_in",
            "check_out",
            "adults",
            "children",
            "children_ages",
            "rooms",
            "room_count",
            "guest",
            "special_requests",
            "currency",
            "total",
            "nights",
            "adjustments",
            "extras",
            "taxes",
            "cancellation_policy",
            "cancellation_penalty",
            "refunded_amount",
            "balance",
            "payment_terms",
            "created_at",
            "confirmed_at",
            "cancelled_at",
        ]

    @extend_schema_field(HotelRefSerializer)
    def get_hotel(self, booking) -> dict:
        return {"id": booking.hotel_id, "name": booking.hotel.name, "city": booking.hotel.city}

    @extend_schema_field(RoomTypeRefSerializer)
    def get_room_type(self, booking) -> dict:
        return {"id": booking.room_type_id, "name": booking.room_type.name}

    @extend_schema_field(GuestOutSerializer)
    def get_guest(self, booking) -> dict:
        return {
            "first_name": booking.guest_first_name,
            "last_name": booking.guest_last_name,
            "email": booking.guest_email,
            "phone": booking.guest_phone,
        }

    @extend_schema_field(NightPriceSerializer(many=True))
    def get_nights(self, booking) -> list[dict]:
        return booking.price_snapshot.get("nights", [])

    @extend_schema_field(RatePlanRefSerializer(allow_null=True))
    def get_rate_plan(self, booking) -> dict | None:
        plan = booking.price_snapshot.get("rate_plan")
        return None if plan is None else {k: plan[k] for k in ("id", "name", "meal_plan")}

    @extend_schema_field(AdjustmentLineSerializer(many=True))
    def get_adjustments(self, booking) -> list[dict]:
        return booking.price_snapshot.get("adjustments", [])

    @extend_schema_field(ExtraLineSerializer(many=True))
    def get_extras(self, booking) -> list[dict]:
        return booking.price_snapshot.get("extras", [])

    @extend_schema_field(TaxLineSerializer(many=True))
    def get_taxes(self, booking) -> list[dict]:
        return booking.price_snapshot.get("taxes", [])

    @extend_schema_field(PolicySerializer)
    def get_cancellation_policy(self, booking) -> dict:
        return policy_data(booking.cancellation_policy)

    @extend_schema_field(BalanceSerializer)
    def get_balance(self, booking) -> dict:
        return self._balance.as_dict()

    @extend_schema_field(BookingPaymentTermsSerializer)
    def get_payment_terms(self, booking) -> dict:
        return shown(BookingPaymentTermsSerializer).to_representation(
            booking_payment_terms(booking, balance=self._balance)
        )

    @extend_schema_field(RoomLineSerializer(many=True))
    def get_rooms(self, booking) -> list[dict]:
        rooms = shown(RoomLineSerializer)
        return [rooms.to_representation(room_line_data(line)) for line in booking.lines.all()]

    def get_room_count(self, booking) -> int:
        return sum(1 for line in booking.lines.all() if line.is_active)

    def to_representation(self, booking):
        self._balance = booking_balance_of(booking)  # ``balance`` and ``payment_terms`` both show it: read once
        return super().to_representation(booking)


class PaginatedBookingsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True, help_text="The next page's absolute URL; null on the last page.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page's absolute URL; null on the first.")
    results = BookingSerializer(many=True)


class PaginatedHotelsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True, help_text="The next page's absolute URL; null on the last page.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page's absolute URL; null on the first.")
    results = HotelSerializer(many=True)
