"""Keeps the results page's hotel cards (``hotels.cards.hotel_cards``) and the pages cached from them in step with
the catalogue: a hotel's card is dropped from the cache when the hotel, its photos, amenities or taxes change through
the ORM, and the cached pages (results and hotel pages) also when its room types, rate plans or child bands do. Bulk ``update()`` calls bypass signals; the cards' lifetime (``CARD_SECONDS``) bounds how long those show."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .cards import cards_drop
from .models import ChildAgeBand, Hotel, HotelPhoto, HotelTax, RatePlan, RoomType


@receiver([post_save, post_delete], sender=Hotel)
def hotel_card_drop_hotel(sender, instance, **kwargs):
    cards_drop([instance.pk])


@receiver([post_save, post_delete], sender=HotelTax)
@receiver([post_save, post_delete], sender=ChildAgeBand)
@receiver([post_save, post_delete], sender=RoomType)
@receiver([post_save, post_delete], sender=HotelPhoto)
def hotel_card_drop(sender, instance, **kwargs):
    cards_drop([instance.hotel_id])


@receiver(m2m_changed, sender=Hotel.amenities.through)
def hotel_card_drop_amenities(sender, instance, action, pk_set=None, reverse=False, **kwargs):
    if not action.startswith("post_"):
        return
    cards_drop((pk_set or ()) if reverse else [instance.pk])  # reverse: amenity.hotels changed, the hotels in pk_set


@receiver([post_save, post_delete], sender=RatePlan)
def hotel_card_drop_rate_plan(sender, instance, **kwargs):
    room_type = RoomType.objects.filter(pk=instance.room_type_id).values_list("hotel_id", flat=True).first()
    cards_drop([room_type] if room_type else [])


@receiver(m2m_changed, sender=RoomType.amenities.through)
def hotel_card_drop_room_amenities(sender, instance, action, pk_set=None, reverse=False, **kwargs):
    if action.startswith("post_"):
        cards_drop([] if reverse else [instance.hotel_id])  # the version changes either way
