"""Photos show in the order staff gave them (``position``), whatever order the database returns rows in."""

import pytest
from django.urls import reverse

from hotels.models import HotelPhoto, RoomTypePhoto
from tests.factories import RoomTypeFactory

pytestmark = pytest.mark.django_db


def test_hotel_and_room_photos_are_read_by_position():
    room_type = RoomTypeFactory()
    hotel = room_type.hotel
    for position, alt in [(3, "pool"), (1, "facade"), (2, "lobby")]:
        HotelPhoto.objects.create(hotel=hotel, alt_text=alt, position=position, image=f"hotels/{alt}.jpg")
        RoomTypePhoto.objects.create(room_type=room_type, alt_text=alt, position=position, image=f"rooms/{alt}.jpg")
    assert [p.alt_text for p in hotel.photos.all()] == ["facade", "lobby", "pool"]
    assert [p.alt_text for p in room_type.photos.all()] == ["facade", "lobby", "pool"]


def test_the_hotel_page_shows_its_photos_by_position(client):
    room_type = RoomTypeFactory()
    hotel = room_type.hotel
    for position, alt in [(3, "Pool at dusk"), (1, "The facade"), (2, "The lobby")]:
        HotelPhoto.objects.create(hotel=hotel, alt_text=alt, position=position, image=f"hotels/{position}.jpg")
    html = client.get(reverse("hotels:detail", kwargs={"slug": hotel.slug})).content.decode()
    assert html.index("The facade") < html.index("The lobby") < html.index("Pool at dusk")
