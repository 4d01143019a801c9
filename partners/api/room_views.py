"""Partner API endpoints that change a sold booking (issue 17): quote and apply a change of dates or rooms, cancel
one room. Thin like the others: validate, look the rooms up among the partner's hotels, call the workflow."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from bookings.changes import LineChange, NotModifiable
from bookings.exceptions import BookingError, PriceChanged, SoldOut
from partners.selectors import partner_rate_plan, partner_room_type
from partners.services import partner_booking_modify, partner_booking_quote, partner_room_cancel
from payments.services import PaymentError

from . import room_serializers as rs
from . import serializers as s
from .errors import APIError, ErrorSerializer
from .idempotency import idempotency_key, idempotent
from .views import IDEMPOTENCY_HEADER, RETRY_AFTER, PartnerAPIView, errors, partner_booking, price_changed, validated

REPLAYED_200 = OpenApiParameter(
    "Idempotent-Replayed",
    {"type": "string", "enum": ["true"]},
    OpenApiParameter.HEADER,
    response=[200, 409, 422],
    description="Present when this is the stored response to an earlier request with the same Idempotency-Key.",
)
MODIFY_ERRORS = {
    **errors(400, 401, 404, 409, 413, 415, 429),
    422: OpenApiResponse(
        ErrorSerializer,
        description="not_modifiable (the booking's state or a room's policy forbids it; the message says why), "
        "invalid_stay (dates or rooms the hotel does not sell), idempotency_key_reused",
    ),
}


class BookingChangedSerializer(s.BookingSerializer):
    """The booking as changed, with what the change cost (the schema of :func:`changed_response`)."""

    price_difference = rs.PriceDifferenceSerializer(read_only=True)

    class Meta(s.BookingSerializer.Meta):
        fields = [*s.BookingSerializer.Meta.fields, "price_difference"]


def changed_response(booking, old_total, new_total, currency) -> dict:
    data = dict(s.BookingSerializer(booking).data)
    data["price_difference"] = rs.PriceDifferenceSerializer(
        {"old_total": old_total, "new_total": new_total, "amount": new_total - old_total, "currency": currency}
    ).data
    return data


def room_changes(partner, rooms: list[dict]) -> list[LineChange]:
    found = []
    for room in rooms:
        room_type = rate_plan = None
        if "room_type" in room:
            room_type = partner_room_type(partner, room["room_type"])
            if room_type is None:
                raise APIError(
                    404, "room_type_not_found", f"No room type {room['room_type']} among the hotels you sell."
                )
        if "rate_plan" in room:
            if room_type is None:
                raise APIError(400, "validation_error", "Give the room_type with its rate_plan.")
            rate_plan = partner_rate_plan(partner, room_type, room["rate_plan"])
            if rate_plan is None:
                raise APIError(404, "rate_plan_not_found", f"No such rate plan for room type {room_type.pk}.")
        found.append(
            LineChange(
                line_id=room.get("id"),
                room_type=room_type,
                rate_plan=rate_plan,
                adults=room.get("adults"),
                children_ages=None if room.get("children_ages") is None else tuple(room["children_ages"]),
                guest_name=room.get("guest_name"),
            )
        )
    return found


def booking_error(exc: BookingError) -> APIError:
    if isinstance(exc, SoldOut):
        return APIError(409, "sold_out", str(exc.message))
    if isinstance(exc, PriceChanged):
        return price_changed(str(exc.message), exc.details.get("total"), exc.details.get("currency"))
    return APIError(422, exc.code, str(exc.message))


class BookingModifyView(PartnerAPIView):
    @extend_schema(
        request=rs.BookingModifySerializer,
        parameters=[IDEMPOTENCY_HEADER, RETRY_AFTER, REPLAYED_200],
        responses={200: OpenApiResponse(BookingChangedSerializer, description="Changed."), **MODIFY_ERRORS},
        tags=["bookings"],
        description="Change a confirmed booking: new dates (`check_in`, `check_out`, either or both) and/or `rooms` "
        "to change (with their `id`; what is left out stays) or add (without `id`). Each room affected is priced "
        "again; a room past its free-cancellation deadline costs at least its cancellation penalty and a "
        "non-refundable room can't be shortened (422 not_modifiable, with the reason). The difference "
        "(`price_difference`) is settled on your account. Send `expected_total` (from the quote) to get 409 "
        "price_changed, changing nothing, if the price moved. Nothing changes on any error; the "
        "Idempotency-Key works as on booking creation.",
    )
    def post(self, request, reference: str):
        key = idempotency_key(request)
        booking = partner_booking(request, reference)
        d = validated(rs.BookingModifySerializer, request.data)
        changes = room_changes(request.user, d.get("rooms", []))

        def modify():
            try:
                change = partner_booking_modify(
                    partner=request.user,
                    booking=booking,
                    check_in=d.get("check_in"),
                    check_out=d.get("check_out"),
                    rooms=changes,
                    expected_total=d.get("expected_total"),
                )
            except BookingError as exc:
                raise booking_error(exc) from exc
            fresh = partner_booking(request, reference)
            return Response(changed_response(fresh, change.old_total, change.new_total, change.currency))

        return idempotent(request, key, modify)


class BookingModifyQuoteView(PartnerAPIView):
    @extend_schema(
        request=rs.BookingModifySerializer,
        parameters=[RETRY_AFTER],
        responses={200: rs.PriceDifferenceSerializer, **MODIFY_ERRORS},
        tags=["bookings"],
        description="What the same body sent to `modify/` would cost now (old total, new total, difference), "
        "changing nothing.",
    )
    def post(self, request, reference: str):
        booking = partner_booking(request, reference)
        d = validated(rs.BookingModifySerializer, request.data)
        changes = room_changes(request.user, d.get("rooms", []))
        try:
            quote = partner_booking_quote(
                booking=booking, check_in=d.get("check_in"), check_out=d.get("check_out"), rooms=changes
            )
        except BookingError as exc:
            raise booking_error(exc) from exc
        return Response(
            rs.PriceDifferenceSerializer(
                {
                    "old_total": quote.old_total,
                    "new_total": quote.new_total,
                    "amount": quote.difference,
                    "currency": quote.currency,
                }
            ).data
        )


class BookingRoomCancelView(PartnerAPIView):
    @extend_schema(
        request=None,
        parameters=[RETRY_AFTER],
        responses={
            200: OpenApiResponse(s.BookingSerializer, description="The room is cancelled (now or before)."),
            **errors(401, 404, 409, 413, 429),
        },
        tags=["bookings"],
        description="Cancel one room of a booking under that room's own policy: its `cancellation_penalty` is kept "
        "and the booking's `total` drops by the rest. Cancelling a cancelled room returns the booking unchanged "
        "(200); cancelling the last room cancels the booking.",
    )
    def post(self, request, reference: str, line_id: int):
        booking = partner_booking(request, reference)
        if not booking.lines.filter(pk=line_id).exists():
            raise Http404
        try:
            partner_room_cancel(partner=request.user, booking=booking, line_id=line_id)
        except (BookingError, PaymentError) as exc:
            code = "not_modifiable" if isinstance(exc, NotModifiable) else getattr(exc, "code", "cannot_cancel")
            raise APIError(409, code, str(exc.message)) from exc
        return Response(s.BookingSerializer(partner_booking(request, reference)).data)
