"""The hotel cards of the results page: each hotel's photos, amenities and added taxes, cached per hotel and
dropped by ``hotels.signals`` when they change."""

import secrets
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import translation

from .models import Hotel, HotelPhoto

CARD_SECONDS = 300


CARDS_VERSION_KEY = "hotel-cards:version"


def card_key(hotel_id: int, language: str | None = None) -> str:
    """Per language: amenity and tax names are translated content (hotels/translation.py)."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return f"hotel-card2:{hotel_id}:{language}"  # 2: plain tuples (hotel-card: held model instances)


def cards_version() -> str:
    """A token that changes whenever any hotel's card does, for caches of whole pages built from cards (the
    results page's content): an entry stored with another token is stale."""
    version = cache.get(CARDS_VERSION_KEY)
    if version is None:
        cache.add(CARDS_VERSION_KEY, secrets.token_hex(8), None)
        version = cache.get(CARDS_VERSION_KEY)
    return version


def cards_drop(hotel_ids) -> None:
    """Forget these hotels' cards, and every page built from any card."""
    cache.delete_many([card_key(pk, code) for pk in hotel_ids for code, _name in settings.LANGUAGES])
    cache.set(CARDS_VERSION_KEY, secrets.token_hex(8), None)


class CardPhoto(NamedTuple):
    url: str
    alt_text: str


class CardTax(NamedTuple):
    """What ``hotels.pricing.tax_lines`` reads of a ``HotelTax``."""

    name: str
    kind: str
    amount: Decimal
    included_in_price: bool


class Card(NamedTuple):
    photos: tuple[CardPhoto, ...]  # in the hotel's order
    amenities: tuple[str, ...]  # names, by name
    taxes: tuple[CardTax, ...]


EMPTY_CARD = Card((), (), ())


def hotel_cards(hotel_ids: list[int]) -> dict[int, Card]:
    """The :class:`Card` of each hotel for the results page, through Django's cache (Redis in production) for
    ``CARD_SECONDS``; the misses in three queries. Plain tuples, not model instances: a page reads ten of them on
    every request, and unpickling models cost more than rendering them. ``hotels.signals`` drops a hotel's card
    when it or its photos, amenities or taxes change, so a price on the results page never uses an old tax."""
    cached = cache.get_many([card_key(pk) for pk in hotel_ids])
    cards = {pk: cached[card_key(pk)] for pk in hotel_ids if card_key(pk) in cached}
    missing = [pk for pk in hotel_ids if pk not in cards]
    if missing:
        hotels = list(Hotel.objects.filter(pk__in=missing).only("pk"))
        prefetch_related_objects(
            hotels, Prefetch("photos", queryset=HotelPhoto.objects.order_by("position", "id")), "amenities", "taxes"
        )
        fresh = {
            h.pk: Card(
                photos=tuple(CardPhoto(p.image.url, p.alt_text) for p in h.photos.all()),
                amenities=tuple(a.name for a in h.amenities.all()),
                taxes=tuple(CardTax(t.name, t.kind, t.amount, t.included_in_price) for t in h.taxes.all()),
            )
            for h in hotels
        }
        cache.set_many({card_key(pk): card for pk, card in fresh.items()}, CARD_SECONDS)
        cards.update(fresh)
    return {pk: cards.get(pk, EMPTY_CARD) for pk in hotel_ids}
