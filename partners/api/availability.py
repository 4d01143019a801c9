"""The availability answer as plain data for ``JSONRenderer``, without a serializer per hotel, room type and offer
(a page holds ~120 offers). What offers share is built once and the same object placed in each: a room type, the
night and supplement lines of a room type's plans, a cancellation policy with its summary.

The shape is ``AvailabilitySerializer``'s (the OpenAPI schema): ``tests/api`` holds each offer equal to
``OfferSerializer`` of the same offer priced by the booking path, and the schemathesis run checks the answers
against the schema.
"""

from hotels.pricing import adjustments_data, extras_data, quote_nights_data, taxes_data
from partners.selectors import HotelAvailability, policy_data

from . import serializers as s


def availability_results(page: list[HotelAvailability]) -> list[dict]:
    """``page``'s hotels as ``HotelOffersSerializer(many=True)`` writes them."""
    shared: dict[tuple, object] = {}  # (kind, id of a shared object) -> its data; the objects outlive the loop

    def once(kind: str, obj, data):
        key = (kind, id(obj))
        found = shared.get(key)
        if found is None:
            found = shared[key] = data(obj)
        return found

    results = []
    for hotel in page:
        offers = []
        for offer in hotel.offers:
            plan, price, basis = offer.rate_plan, offer.price, offer.basis
            offers.append(
                {
                    "room_type": once("room_type", offer.room_type, s.room_type_data),
                    "rate_plan": {"id": plan.pk, "name": plan.name, "meal_plan": plan.meal_plan},
                    "rooms_available": offer.rooms_available,
                    "currency": offer.currency,
                    "nights": once("nights", basis.nights, quote_nights_data),
                    "adjustments": adjustments_data(price.adjustments),
                    "extras": once("extras", basis.extras, extras_data),
                    "taxes": taxes_data(price.taxes),
                    "total": str(price.total),
                    "cancellation_policy": once("policy", offer.policy, policy_data),
                    "payment_terms": offer.payment_terms,
                }
            )
        results.append({"hotel": s.hotel_data(hotel.hotel, hotel.hotel.amenity_codes), "offers": offers})
    return results
