"""The availability answer written as JSON text, byte for byte what ``JSONRenderer().render`` writes of the same
data, without a serializer or a dict per line: a page holds ~120 offers, and what offers share (a room type, its
night and supplement lines, a cancellation policy) is encoded once and its text reused.

The shape is ``AvailabilitySerializer``'s (the OpenAPI schema): ``tests/api`` holds each offer equal to
``OfferSerializer`` of the same offer priced by the booking path, and the schemathesis run checks the answers
against the schema.
"""

import json

from rest_framework.renderers import JSONRenderer

from hotels.pricing import adjustments_data, extras_data, quote_nights_data, taxes_data
from partners.selectors import HotelAvailability, policy_data

from . import serializers as s

OFFER_KEYS = (
    "room_type",
    "rate_plan",
    "rooms_available",
    "currency",
    "nights",
    "adjustments",
    "extras",
    "taxes",
    "total",
    "cancellation_policy",
    "payment_terms",
)


def _encoder() -> json.JSONEncoder:
    """The encoder ``JSONRenderer.render`` uses for an answer without ``indent`` (its settings read from it)."""
    renderer = JSONRenderer()
    separators = (",", ":") if renderer.compact else (", ", ": ")
    return renderer.encoder_class(
        ensure_ascii=renderer.ensure_ascii, allow_nan=not renderer.strict, separators=separators
    )


def availability_json(head: dict, page: list[HotelAvailability]) -> bytes:
    """``JSONRenderer().render({**head, "results": results})`` where ``results`` are ``page``'s hotels, each
    ``{"hotel": ..., "offers": [...]}`` as ``HotelOffersSerializer`` writes it."""
    encoder = _encoder()
    encode, comma, colon = encoder.encode, encoder.item_separator, encoder.key_separator
    offer_keys = [encode(key) + colon for key in OFFER_KEYS]
    shared: dict[tuple, str] = {}  # (kind, id of the shared object) -> its JSON text; the objects outlive the loop

    def once(kind: str, obj, data) -> str:
        key = (kind, id(obj))
        text = shared.get(key)
        if text is None:
            text = shared[key] = encode(data(obj))
        return text

    hotels = []
    for hotel in page:
        offers = []
        for offer in hotel.offers:
            plan, price, basis = offer.rate_plan, offer.price, offer.basis
            values = (
                once("room_type", offer.room_type, s.room_type_data),
                encode({"id": plan.pk, "name": plan.name, "meal_plan": plan.meal_plan}),
                encode(offer.rooms_available),
                encode(offer.currency),
                once("nights", basis.nights, quote_nights_data),
                encode(adjustments_data(price.adjustments)),
                once("extras", basis.extras, extras_data),
                encode(taxes_data(price.taxes)),
                encode(str(price.total)),
                once("policy", offer.policy, policy_data),
                encode(offer.payment_terms),
            )
            offers.append("{" + comma.join(map(str.__add__, offer_keys, values)) + "}")
        hotel_text = encode(s.hotel_data(hotel.hotel, hotel.hotel.amenity_codes))
        hotels.append(
            "{"
            + encode("hotel")
            + colon
            + hotel_text
            + comma
            + encode("offers")
            + colon
            + "["
            + comma.join(offers)
            + "]}"
        )
    empty = encode({**head, "results": []})
    text = empty[: -len("[]}")] + "[" + comma.join(hotels) + "]}"
    # As JSONRenderer: \u2028 and \u2029 escaped, so the answer is also valid JavaScript.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()
