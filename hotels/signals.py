"""Keeps the results page's hotel cards (``hotels.cards.hotel_cards``) in step with the catalogue: a hotel's
card is dropped from the cache when its photos, amenities or taxes change through the ORM. Bulk ``update()`` calls
bypass signals; the cards' lifetime (``CARD_SECONDS``) bounds how long those show."""

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .cards import card_key
from .models import Hotel, HotelPhoto, HotelTax


@receiver([post_save, post_delete], sender=HotelTax)
@receiver([post_save, post_delete], sender=HotelPhoto)
def hotel_card_drop(sender, instance, **kwargs):
    cache.delete(card_key(instance.hotel_id))


@receiver(m2m_changed, sender=Hotel.amenities.through)
def hotel_card_drop_amenities(sender, instance, action, pk_set=None, reverse=False, **kwargs):
    if not action.startswith("post_"):
        return
    if reverse:  # amenity.hotels changed: the hotels are in pk_set
        cache.delete_many([card_key(pk) for pk in pk_set or ()])
    else:
        cache.delete(card_key(instance.pk))
