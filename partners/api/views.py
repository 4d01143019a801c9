"""Partner API endpoints: thin — validate with an input serializer, call a selector or service, serialize."""

import hashlib
import re
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from bookings.exceptions import BookingError, PriceChanged, SoldOut
from bookings.lines import RoomRequest
from bookings.models import RoomLine
from bookings.services import GuestDetails, rooms_price
from config.db_router import reads_from_replica
from display.money import format_money
from hotels.cards import CARDS_VERSION_KEY, cards_version
from hotels.stay import Stay
from partners.selectors import (
    partner_availability,
    partner_bookings,
    partner_hotels,
    partner_rate_plan,
    partner_room_type,
    rate_plan_offer,
)
from partners.services import partner_booking_cancel, partner_booking_create
from payments.ledger import bookings_with_balance
from payments.services import PaymentError

from . import room_serializers as rs
from . import serializers as s
from .auth import PartnerKeyAuthentication, PartnerRateThrottle
from .availability import availability_results
from .errors import APIError, ErrorSerializer
from .idempotency import idempotency_key, idempotent

PAGE_SIZE = 20
TEST_OUTCOMES = ("sold_out", "price_changed", "service_unavailable")
REFERENCE = re.compile(r"HB-[A-Z0-9]{6}")


def errors(*statuses):
    descriptions = {
        400: "Invalid input (validation_error, unknown_field, invalid_json, idempotency_key_missing, "
        "test_header_not_allowed…)",
        401: "Missing, bad or revoked API key (not_authenticated, invalid_api_key)",
        404: "Not found, or not yours (not_found, room_type_not_found)",
        409: "Conflict: sold_out, price_changed (with the current total), idempotency_key_in_use, cannot_cancel",
        413: "Body larger than 32 KB (payload_too_large)",
        415: "Body is not application/json (unsupported_media_type)",
        422: "idempotency_key_reused, or a stay the hotel does not sell (invalid_stay)",
        429: "Too many requests for this partner (throttled); see Retry-After",
        503: "Temporarily unavailable (service_unavailable); see Retry-After",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=descriptions[code]) for code in statuses}


TEST_HEADER = OpenApiParameter(
    "Test",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    enum=list(TEST_OUTCOMES),
    description="Test partners only (anyone else gets 400 test_header_not_allowed): answer as in that situation, "
    "touching nothing. On availability, sold_out answers with no offers and price_changed answers normally.",
)
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[409, 429, 503],
    description="Seconds to wait before retrying (throttled, service_unavailable, idempotency_key_in_use).",
)
REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    {"type": "string", "enum": ["true"]},
    OpenApiParameter.HEADER,
    response=[201, 409, 422],
    description="Present when this is the stored response to an earlier request with the same Idempotency-Key.",
)
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]([ -~]*[!-~])?$"},
    OpenApiParameter.HEADER,
    required=True,
    description="Unique per booking attempt, e.g. a UUID (1-255 printable ASCII characters). A retry with the same "
    "key and body replays the first response with the header Idempotent-Replayed: true; keys are kept 24 hours.",
)


class JSONBodyParser(JSONParser):
    """JSON whose nesting is too deep for Python's decoder is a parse error too, not a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON nested too deeply.") from None


class PartnerAPIView(APIView):
    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [PartnerRateThrottle]
    parser_classes = [JSONBodyParser]
    renderer_classes = [JSONRenderer]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads such a body as empty
        if length > settings.PARTNER_API_MAX_BODY:
            raise APIError(
                413, "payload_too_large", _("Bodies are limited to %(n)s bytes.") % {"n": settings.PARTNER_API_MAX_BODY}
            )

    def test_outcome(self, request) -> str:
        """A test partner's Test header ('' when absent); 400 for anyone else or an unknown outcome."""
        outcome = request.headers.get("Test", "")
        if not outcome:
            return ""
        if not request.user.is_test:
            raise APIError(400, "test_header_not_allowed", _("Only test partners may send the Test header."))
        if outcome not in TEST_OUTCOMES:
            raise APIError(
                400, "invalid_test_header", _("Test must be one of %(values)s.") % {"values": ", ".join(TEST_OUTCOMES)}
            )
        if outcome == "service_unavailable":
            raise APIError(
                503, "service_unavailable", _("Temporarily unavailable; retry later."), headers={"Retry-After": "30"}
            )
        return outcome


def page_links(request, page: int, pages: int) -> dict:
    """``next`` and ``previous`` as DRF's paginators give them: absolute URLs (on ``SITE_URL``) of this query with
    another page, or None at either end."""
    url = settings.SITE_URL + request.get_full_path()
    previous = min(page - 1, pages)  # past the end, "previous" is the last page
    return {
        "next": replace_query_param(url, "page", page + 1) if page < pages else None,
        "previous": None
        if page == 1
        else remove_query_param(url, "page")
        if previous == 1
        else replace_query_param(url, "page", previous),
    }


def page_of(request, items, count: int, page: int, serializer) -> dict:
    start = (page - 1) * PAGE_SIZE
    pages = max(1, -(-count // PAGE_SIZE))
    return {
        "count": count,
        "page": page,
        "pages": pages,
        **page_links(request, page, pages),
        "results": serializer(items[start : start + PAGE_SIZE], many=True).data,
    }


def stay_from(data: dict) -> Stay:
    return Stay.from_params(data)


def validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class HotelListView(PartnerAPIView):
    @extend_schema(
        parameters=[s.HotelListQuerySerializer, RETRY_AFTER],
        responses={200: s.PaginatedHotelsSerializer, **errors(400, 401, 429)},
        tags=["hotels"],
        operation_id="hotels_list",
    )
    def get(self, request):
        q = validated(s.HotelListQuerySerializer, request.query_params.dict())
        hotels = partner_hotels(request.user).prefetch_related("amenities").order_by("name", "id")
        if q.get("city"):
            hotels = hotels.filter(city__iexact=q["city"])
        if q.get("country"):
            hotels = hotels.filter(country__iexact=q["country"])
        return Response(page_of(request, hotels, hotels.count(), q["page"], s.HotelSerializer))


class HotelDetailView(PartnerAPIView):
    @extend_schema(
        parameters=[RETRY_AFTER], responses={200: s.HotelDetailSerializer, **errors(401, 404, 429)}, tags=["hotels"]
    )
    def get(self, request, hotel_id: int):
        hotel = partner_hotels(request.user).prefetch_related("amenities", "room_types").filter(pk=hotel_id).first()
        if hotel is None:
            raise Http404
        return Response(s.HotelDetailSerializer(hotel).data)


class AvailabilityView(PartnerAPIView):
    @extend_schema(
        parameters=[s.AvailabilityQuerySerializer, TEST_HEADER, RETRY_AFTER],
        responses={200: s.AvailabilitySerializer, **errors(400, 401, 429, 503)},
        tags=["availability"],
    )
    @reads_from_replica
    def get(self, request):
        """Hotels that can host the stay, 20 a page, each with its offers and their price lines. Answers may be up
        to 30 seconds old: a booking is priced again and answers price_changed with the current total."""
        # The same question from the same partner is answered from the cache for PARTNER_AVAILABILITY_CACHE_SECONDS,
        # tagged with the hotel cards' version (hotels/cards.py) so that a hotel's or a tax's change shows at once.
        q = validated(s.AvailabilityQuerySerializer, request.query_params.dict())
        outcome = self.test_outcome(request)
        seconds = 0 if outcome else settings.PARTNER_AVAILABILITY_CACHE_SECONDS
        if seconds:
            asked = (request.user.pk, sorted(q.items()), translation.get_language())  # content per Accept-Language
            key = "availability:" + hashlib.sha256(repr(asked).encode()).hexdigest()
            found = cache.get_many([key, CARDS_VERSION_KEY])
            version = found.get(CARDS_VERSION_KEY) or cards_version()
            if key in found and found[key][0] == version:
                return HttpResponse(found[key][1], content_type="application/json")
        body = JSONRenderer().render(self.answer(request, q, outcome))
        if seconds:
            cache.set(key, (version, body), seconds)
        return HttpResponse(body, content_type="application/json")

    def answer(self, request, q: dict, outcome: str) -> dict:
        stay = stay_from(q)
        page, count = [], 0
        if outcome != "sold_out":
            page, count = partner_availability(
                request.user,
                stay=stay,
                city=q.get("city", ""),
                hotel_id=q.get("hotel"),
                page=q["page"],
                page_size=PAGE_SIZE,
            )
        pages = max(1, -(-count // PAGE_SIZE))
        return {
            "check_in": stay.check_in,
            "check_out": stay.check_out,
            "nights": stay.nights,
            "adults": stay.adults,
            "children": stay.children,
            "children_ages": list(stay.children_ages),
            "rooms": stay.rooms,
            "count": count,
            "page": q["page"],
            "pages": pages,
            **page_links(request, q["page"], pages),
            # Plain data, not serializers: a serializer per hotel, room type and offer cost more than pricing them
            # (docs/performance.md); what it holds is held equal to the serializers by tests/api.
            "results": availability_results(page),
        }


class BookingListCreateView(PartnerAPIView):
    @extend_schema(
        parameters=[s.BookingListQuerySerializer, RETRY_AFTER],
        responses={200: s.PaginatedBookingsSerializer, **errors(400, 401, 429)},
        tags=["bookings"],
        operation_id="bookings_list",
    )
    def get(self, request):
        q = validated(s.BookingListQuerySerializer, request.query_params.dict())
        page = q.pop("page")
        bookings = partner_bookings(request.user, **q)
        page_bookings = bookings_with_balance(bookings)  # each booking's balance in the page's query
        return Response(page_of(request, page_bookings, bookings.count(), page, s.BookingSerializer))

    @extend_schema(
        request=PolymorphicProxySerializer(
            component_name="BookingCreateAnyRequest",
            serializers=[rs.BookingRoomsCreateSerializer, s.BookingCreateSerializer],
            resource_type_field_name=None,
        ),
        parameters=[IDEMPOTENCY_HEADER, TEST_HEADER, RETRY_AFTER, REPLAYED],
        responses={
            201: OpenApiResponse(s.BookingSerializer, description="Booked and confirmed."),
            **errors(400, 401, 404, 409, 413, 415, 422, 429, 503),
        },
        tags=["bookings"],
        description="Book and confirm at once (paid on the partner's account). Send `expected_total` from "
        "availability to be told (409 price_changed, nothing booked) if the price moved.\n\n"
        "Two shapes: `rooms` as a **list** of rooms (`room_type`, `rate_plan`, `adults`, `children_ages`, "
        "`guest_name`), each priced on its own, all held or none; or the older body: one `room_type`, `rooms` as a "
        "count and one party for all of them.",
    )
    def post(self, request):
        key = idempotency_key(request)
        if isinstance(request.data, dict) and isinstance(request.data.get("rooms"), list):
            return self.post_rooms(request, key)
        d = validated(s.BookingCreateSerializer, request.data)
        room_type = partner_room_type(request.user, d["room_type"])
        if room_type is None:
            raise APIError(404, "room_type_not_found", _("No such room type among the hotels you sell."))
        rate_plan = partner_rate_plan(request.user, room_type, d.get("rate_plan"))
        if rate_plan is None:
            raise APIError(404, "rate_plan_not_found", _("No such rate plan for this room type."))
        stay = stay_from(d)
        outcome = self.test_outcome(request)
        if outcome == "sold_out":
            raise APIError(
                409,
                "sold_out",
                f"{room_type.name} is no longer available on the night of {stay.check_in:%A %-d %B %Y}.",
            )
        if outcome == "price_changed":
            offer = rate_plan_offer(rate_plan, stay=stay)
            if offer is None:  # nothing to price: what the real call would answer
                raise APIError(
                    409, "sold_out", _("%(room)s can’t be booked for these dates.") % {"room": room_type.name}
                )
            quote = offer.quote
            raise price_changed(
                _("The price for this stay is now %(amount)s.") % {"amount": format_money(quote.total, quote.currency)},
                quote.total,
                quote.currency,
            )
        order = {"room_type": room_type, "rate_plan": rate_plan}
        return idempotent(request, key, lambda: self.create(request, key, order, stay, d))

    def post_rooms(self, request, key: str) -> Response:
        d = validated(rs.BookingRoomsCreateSerializer, request.data)
        rooms = [room_request(request.user, room) for room in d["rooms"]]
        stay = Stay(check_in=d["check_in"], check_out=d["check_out"], adults=sum(r.adults for r in rooms))
        outcome = self.test_outcome(request)
        if outcome == "sold_out":
            raise APIError(
                409,
                "sold_out",
                f"{rooms[0].room_type.name} is no longer available on the night of {stay.check_in:%A %-d %B %Y}.",
            )
        if outcome == "price_changed":
            try:
                priced, _ = rooms_price(requests=rooms, stay=stay)
            except BookingError as exc:
                raise APIError(409, "sold_out", exc.message) from exc
            total = sum((line.total for line in priced), Decimal("0.00"))
            currency = priced[0].snapshot["currency"]
            raise price_changed(f"The price for this stay is now {total} {currency}.", total, currency)
        return idempotent(request, key, lambda: self.create(request, key, {"rooms": rooms}, stay, d))

    def create(self, request, key: str, order: dict, stay: Stay, d: dict) -> Response:
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
                **order,
                stay=stay,
                guest=guest,
                expected_total=d.get("expected_total"),
                partner_reference=d["partner_reference"],
                idempotency_key=key,
            )
        except SoldOut as exc:
            raise APIError(409, "sold_out", exc.message) from exc
        except PriceChanged as exc:
            raise price_changed(exc.message, exc.details.get("total"), exc.details.get("currency")) from exc
        except BookingError as exc:
            raise APIError(422, exc.code, exc.message) from exc
        # The booking as it was just written (read under its lock with its hotel and room type), with its rooms
        # and charges to come read once for the serializer, as partner_bookings() reads them.
        prefetch_related_objects(
            [booking], Prefetch("lines", queryset=RoomLine.objects.select_related("room_type")), "scheduled_charges"
        )
        return Response(s.BookingSerializer(booking).data, status=201)


def room_request(partner, room: dict) -> RoomRequest:
    """A requested room with its type and plan looked up among the partner's hotels (404 when not there)."""
    room_type = partner_room_type(partner, room["room_type"])
    if room_type is None:
        raise APIError(404, "room_type_not_found", f"No room type {room['room_type']} among the hotels you sell.")
    rate_plan = partner_rate_plan(partner, room_type, room.get("rate_plan"))
    if rate_plan is None:
        raise APIError(404, "rate_plan_not_found", f"No such rate plan for room type {room_type.pk}.")
    return RoomRequest(
        room_type=room_type,
        rate_plan=rate_plan,
        adults=room["adults"],
        children_ages=tuple(room.get("children_ages") or ()),
        guest_name=room.get("guest_name", ""),
    )


def price_changed(message: str, total, currency) -> APIError:
    """409 price_changed with the current total (None when the service could not say)."""
    return APIError(
        409,
        "price_changed",
        message,
        extra={"total": None if total is None else str(total), "currency": currency},
    )


def partner_booking(request, reference: str):
    """The partner's own booking, or 404 (never 403: another partner's references are not disclosed)."""
    if not REFERENCE.fullmatch(reference):
        raise Http404
    booking = partner_bookings(request.user).filter(reference=reference).first()
    if booking is None:
        raise Http404
    return booking


class BookingDetailView(PartnerAPIView):
    @extend_schema(
        parameters=[RETRY_AFTER], responses={200: s.BookingSerializer, **errors(401, 404, 429)}, tags=["bookings"]
    )
    def get(self, request, reference: str):
        return Response(s.BookingSerializer(partner_booking(request, reference)).data)


class BookingCancelView(PartnerAPIView):
    @extend_schema(
        request=None,
        parameters=[RETRY_AFTER],
        responses={
            200: OpenApiResponse(s.BookingSerializer, description="Cancelled (now or before)."),
            **errors(401, 404, 409, 413, 429),
        },
        tags=["bookings"],
        description="Cancel under the policy agreed at booking; `cancellation_penalty` is what is kept. "
        "Cancelling a cancelled booking returns it unchanged (200).",
    )
    def post(self, request, reference: str):
        booking = partner_booking(request, reference)
        try:
            booking = partner_booking_cancel(partner=request.user, booking=booking)
        except (BookingError, PaymentError) as exc:
            raise APIError(409, getattr(exc, "code", "cannot_cancel"), exc.message) from exc
        return Response(s.BookingSerializer(partner_booking(request, reference)).data)
