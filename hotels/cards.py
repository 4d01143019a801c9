"""The hotel cards of the results page: each hotel's photos, amenities and added taxes, cached per hotel and
dropped by ``hotels.signals`` when they change."""

from django.core.cache import cache
from django.db.models import Prefetch, prefetch_related_objects

from .models import Hotel, HotelPhoto

CARD_SECONDS = 300


def card_key(hotel_id: int) -> str:
    return f"hotel-card:{hotel_id}"


def hotel_cards(hotel_ids: list[int]) -> dict[int, tuple[list, list, list]]:
    """(photos, amenities, taxes) of each hotel for the results page, through Django's cache (Redis in production)
    for ``CARD_SECONDS``; the misses in three queries. ``hotels.signals`` drops a hotel's card when its photos,
    amenities or taxes change, so a price on the results page never uses an old tax."""
    cached = cache.get_many([card_key(pk) for pk in hotel_ids])
    cards = {pk: cached[card_key(pk)] for pk in hotel_ids if card_key(pk) in cached}
    missing = [pk for pk in hotel_ids if pk not in cards]
    if missing:
        hotels = list(Hotel.objects.filter(pk__in=missing).only("pk"))
        prefetch_related_objects(
            hotels, Prefetch("photos", queryset=HotelPhoto.objects.order_by("position", "id")), "amenities", "taxes"
        )
        fresh = {h.pk: (list(h.photos.all()), list(h.amenities.all()), list(h.taxes.all())) for h in hotels}
        cache.set_many({card_key(pk): card for pk, card in fresh.items()}, CARD_SECONDS)
        cards.update(fresh)
    return {pk: cards.get(pk, ([], [], [])) for pk in hotel_ids}
