"""Partner API endpoints: thin — validate with an input serializer, call a selector or service, serialize."""

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.exceptions import BookingError, PriceChanged, SoldOut
from bookings.models import Booking
from bookings.services import GuestDetails
from hotels.pricing import stay_quote
from hotels.selectors import Stay, hotel_search, hotels_offers, known_cities
from partners.services import partner_booking_cancel, partner_booking_create, partner_hotels
from payments.services import PaymentError

from . import serializers as s
from .auth import PartnerKeyAuthentication, PartnerRateThrottle
from .errors import APIError, ErrorSerializer
from .idempotency import idempotent

PAGE_SIZE = 20
TEST_OUTCOMES = ("sold_out", "price_changed", "service_unavailable")


def errors(*statuses):
    descriptions = {
        400: "Invalid input",
        401: "Missing or bad API key",
        404: "Not found (or not yours)",
        409: "Conflict: sold_out, price_changed or idempotency_key_in_use",
        413: "Body too large",
        415: "Not JSON",
        422: "idempotency_key_reused or invalid_stay",
        429: "Throttled (see Retry-After)",
        503: "Service unavailable (Test header)",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=descriptions[code]) for code in statuses}


TEST_HEADER = OpenApiParameter(
    "Test",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    enum=list(TEST_OUTCOMES),
    description="Test keys only: simulate an outcome.",
)


class PartnerAPIView(APIView):
    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [PartnerRateThrottle]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.PARTNER_API_MAX_BODY:
            raise APIError(413, "payload_too_large", f"Bodies are limited to {settings.PARTNER_API_MAX_BODY} bytes.")

    def simulated(self, request):
        """A test key's Test header: answer exactly as that situation would, touching nothing."""
        outcome = request.headers.get("Test")
        if not outcome:
            return
        if not request.user.is_test:
            raise APIError(400, "test_header_not_allowed", "Only test keys may send the Test header.")
        if outcome == "sold_out":
            raise APIError(409, "sold_out", "This room type is no longer available on the night of the stay.")
        if outcome == "price_changed":
            raise APIError(409, "price_changed", "The price for this stay has changed.", extra={"total": "0.00"})
        if outcome == "service_unavailable":
            raise APIError(
                503, "service_unavailable", "Temporarily unavailable; retry later.", headers={"Retry-After": "30"}
            )
        raise APIError(400, "invalid_test_header", f"Test must be one of {', '.join(TEST_OUTCOMES)}.")


def _pages(count: int) -> int:
    return max(1, -(-count // PAGE_SIZE))


class HotelListView(PartnerAPIView):
    @extend_schema(
        parameters=[OpenApiParameter("city", str), OpenApiParameter("country", str), OpenApiParameter("page", int)],
        responses={200: s.PaginatedHotelsSerializer, **errors(400, 401, 429)},
        tags=["hotels"],
        operation_id="hotels_list",
    )
    def get(self, request):
        hotels = partner_hotels(request.user).prefetch_related("amenities").order_by("name", "id")
        city, country = request.query_params.get("city", "")[:100], request.query_params.get("country", "")[:100]
        if city:
            hotels = hotels.filter(city__iexact=city)
        if country:
            hotels = hotels.filter(country__iexact=country)
        page = s.BookingListQuerySerializer().fields["page"].run_validation(request.query_params.get("page", 1))
        count = hotels.count()
        start = (page - 1) * PAGE_SIZE
        return Response(
            {
                "count": count,
                "page": page,
                "pages": _pages(count),
                "results": s.HotelSerializer(hotels[start : start + PAGE_SIZE], many=True).data,
            }
        )


class HotelDetailView(PartnerAPIView):
    @extend_schema(responses={200: s.HotelDetailSerializer, **errors(401, 404, 429)}, tags=["hotels"])
    def get(self, request, hotel_id: int):
        hotel = get_object_or_404(partner_hotels(request.user).prefetch_related("amenities", "room_types"), pk=hotel_id)
        return Response(s.HotelDetailSerializer(hotel).data)


def offer_data(offer, stay: Stay, hotel, room_type_data: dict) -> dict:
    from bookings.policy import cancellation_policy_snapshot

    quote = stay_quote(
        currency=hotel.currency,
        nightly_prices=[(n.date, n.price) for n in offer.nights],
        rooms=stay.rooms,
        adults=stay.adults,
        children=stay.children,
        taxes=hotel.taxes.all(),
    )
    snap = quote.as_snapshot()
    return {
        "room_type": room_type_data,
        "rooms_available": offer.rooms_available,
        "currency": quote.currency,
        "nights": snap["nights"],
        "taxes": snap["taxes"],
        "total": snap["total"],
        "cancellation_policy": s.policy_data(cancellation_policy_snapshot(hotel, stay.check_in)),
    }


class AvailabilityView(PartnerAPIView):
    @extend_schema(
        parameters=[s.AvailabilityQuerySerializer, TEST_HEADER],
        responses={200: s.AvailabilitySerializer, **errors(400, 401, 409, 429, 503)},
        tags=["availability"],
    )
    def get(self, request):
        query = s.AvailabilityQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        self.simulated(request)
        q = query.validated_data
        stay = Stay(
            check_in=q["check_in"],
            check_out=q["check_out"],
            adults=q["adults"],
            children=q["children"],
            rooms=q["rooms"],
        )
        allowed = partner_hotels(request.user)
        if q.get("hotel"):
            hotels = list(allowed.filter(pk=q["hotel"]).prefetch_related("taxes", "amenities"))
            count = len(hotels)
        else:
            city = next((c for c in known_cities() if c.casefold() == q["city"].strip().casefold()), None)
            limited = list(allowed.values_list("pk", flat=True)) if request.user.hotels.exists() else None
            start = (q["page"] - 1) * PAGE_SIZE
            hotels = (
                hotel_search(city=city, stay=stay, hotel_ids=limited, limit=PAGE_SIZE, offset=start) if city else []
            )
            count = hotels[0].result_count if hotels else 0
        offers = hotels_offers(hotel_ids=[h.pk for h in hotels], stay=stay)
        # Serialize each list once: a ModelSerializer per object rebuilds its fields every time (measured 5x slower).
        hotel_data = {h["id"]: h for h in s.HotelSerializer(hotels, many=True).data}
        room_types = [o.room_type for hotel_offers in offers.values() for o in hotel_offers]
        room_type_data = {r["id"]: r for r in s.RoomTypeSerializer(room_types, many=True).data}
        results = [
            {
                "hotel": hotel_data[h.pk],
                "offers": [offer_data(o, stay, h, room_type_data[o.room_type.pk]) for o in offers[h.pk]],
            }
            for h in hotels
            if offers[h.pk]
        ]
        return Response(
            {
                "check_in": stay.check_in,
                "check_out": stay.check_out,
                "nights": stay.nights,
                "adults": stay.adults,
                "children": stay.children,
                "rooms": stay.rooms,
                "count": count if q.get("city") else len(results),
                "page": q["page"],
                "pages": _pages(count),
                "results": results,
            }
        )


BOOKINGS = Booking.objects.select_related("hotel", "room_type")


class BookingListCreateView(PartnerAPIView):
    @extend_schema(
        parameters=[s.BookingListQuerySerializer],
        responses={200: s.PaginatedBookingsSerializer, **errors(400, 401, 429)},
        tags=["bookings"],
        operation_id="bookings_list",
    )
    def get(self, request):
        query = s.BookingListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        q = query.validated_data
        bookings = BOOKINGS.filter(partner=request.user).order_by("-created_at", "-id")
        if q.get("status"):
            bookings = bookings.filter(status=q["status"])
        if q.get("check_in_from"):
            bookings = bookings.filter(check_in__gte=q["check_in_from"])
        if q.get("check_in_to"):
            bookings = bookings.filter(check_in__lte=q["check_in_to"])
        count = bookings.count()
        start = (q["page"] - 1) * PAGE_SIZE
        return Response(
            {
                "count": count,
                "page": q["page"],
                "pages": _pages(count),
                "results": s.BookingSerializer(bookings[start : start + PAGE_SIZE], many=True).data,
            }
        )

    @extend_schema(
        request=s.BookingCreateSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="Unique per booking attempt; retries with the same key replay the response.",
            ),
            TEST_HEADER,
        ],
        responses={201: s.BookingSerializer, **errors(400, 401, 404, 409, 413, 415, 422, 429, 503)},
        tags=["bookings"],
    )
    def post(self, request):
        data = s.BookingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        self.simulated(request)
        return idempotent(request, lambda: self._create(request, data.validated_data))

    def _create(self, request, d) -> Response:
        from hotels.models import RoomType

        room_type = (
            RoomType.objects.select_related("hotel")
            .filter(pk=d["room_type"], is_active=True, hotel__in=partner_hotels(request.user))
            .first()
        )
        if room_type is None:
            raise APIError(404, "room_type_not_found", "No such room type among the hotels you sell.")
        stay = Stay(
            check_in=d["check_in"],
            check_out=d["check_out"],
            adults=d["adults"],
            children=d["children"],
            rooms=d["rooms"],
        )
        guest = GuestDetails(
            first_name=d["guest"]["first_name"],
            last_name=d["guest"]["last_name"],
            email=d["guest"]["email"],
            phone=d["guest"]["phone"],
            special_requests=d["special_requests"],
        )
        try:
            booking = partner_booking_create(
                partner=request.user,
                room_type=room_type,
                stay=stay,
                guest=guest,
                expected_total=d.get("expected_total"),
                partner_reference=d["partner_reference"],
            )
        except SoldOut as exc:
            raise APIError(409, "sold_out", exc.message) from exc
        except PriceChanged as exc:
            total = exc.details.get("total")
            raise APIError(
                409,
                "price_changed",
                exc.message,
                extra={"total": str(total) if total is not None else None, "currency": exc.details.get("currency")},
            ) from exc
        except BookingError as exc:
            raise APIError(422, exc.code, exc.message) from exc
        return Response(s.BookingSerializer(booking).data, status=201)


class BookingDetailView(PartnerAPIView):
    @extend_schema(responses={200: s.BookingSerializer, **errors(401, 404, 429)}, tags=["bookings"])
    def get(self, request, reference: str):
        booking = get_object_or_404(BOOKINGS, partner=request.user, reference=reference[:12])
        return Response(s.BookingSerializer(booking).data)


class BookingCancelView(PartnerAPIView):
    @extend_schema(request=None, responses={200: s.BookingSerializer, **errors(401, 404, 409, 429)}, tags=["bookings"])
    def post(self, request, reference: str):
        booking = get_object_or_404(BOOKINGS, partner=request.user, reference=reference[:12])
        try:
            booking = partner_booking_cancel(partner=request.user, booking=booking)
        except (BookingError, PaymentError) as exc:
            raise APIError(409, getattr(exc, "code", "cannot_cancel"), exc.message) from exc
        return Response(s.BookingSerializer(BOOKINGS.get(pk=booking.pk)).data)
