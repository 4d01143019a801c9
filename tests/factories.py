from datetime import date, time, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import User
from hotels.models import ChildAgeBand, Hotel, HotelTax, NightInventory, RatePlan, RatePlanNight, RoomType


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"guest{n}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class HotelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hotel

    name = factory.Sequence(lambda n: f"Hotel Number {n}")
    slug = factory.Sequence(lambda n: f"hotel-number-{n}")
    city = "Paris"
    country = "France"
    address = "1 Rue de la Paix"
    stars = 3
    reservations_email = factory.Sequence(lambda n: f"reservations{n}@hotel.example")
    currency = "EUR"
    timezone = "Europe/Paris"
    check_in_time = time(15)
    check_out_time = time(11)


class RoomTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomType
        skip_postgeneration_save = True

    hotel = factory.SubFactory(HotelFactory)
    name = "Double Room"
    max_adults = 2
    max_children = 1
    max_occupancy = 3
    beds = "1 double bed"
    total_rooms = 5

    @factory.post_generation
    def plan(obj, create, extracted, **kwargs):
        """Every room type is sold under a "Standard rate" (free cancellation until 2 days before, then the first
        night); ``plan__free_cancellation_days=None`` etc. change it, ``plan=False`` creates none."""
        if create and extracted is not False:
            RatePlanFactory(room_type=obj, **kwargs)


class RatePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RatePlan

    room_type = factory.SubFactory(RoomTypeFactory, plan=False)
    name = "Standard rate"
    free_cancellation_days = 2


class ChildBandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChildAgeBand

    hotel = factory.SubFactory(HotelFactory)
    min_age = 0
    max_age = 2
    price = Decimal("0.00")


def standard_plan(room_type) -> RatePlan:
    return room_type.rate_plans.order_by("position", "id").first()


def plan_night(rate_plan, day, **fields) -> RatePlanNight:
    return RatePlanNight.objects.update_or_create(rate_plan=rate_plan, date=day, defaults=fields)[0]


class TaxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HotelTax

    hotel = factory.SubFactory(HotelFactory)
    name = "City tax"
    kind = HotelTax.Kind.PER_PERSON_NIGHT
    amount = Decimal("2.50")


def future(days: int) -> date:
    return timezone.now().date() + timedelta(days=days)


def open_nights(room_type, start: date, count: int, *, price="100.00", rooms=5, **extra) -> list[NightInventory]:
    """Put ``count`` nights on sale from ``start``."""
    return NightInventory.objects.bulk_create(
        [
            NightInventory(
                room_type=room_type, date=start + timedelta(days=i), rooms_for_sale=rooms, price=Decimal(price), **extra
            )
            for i in range(count)
        ]
    )
