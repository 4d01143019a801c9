"""Builds the demo and benchmark catalogues. Room-nights go in with COPY, so 10,000 hotels take minutes."""

import io
import math
import random
from datetime import date, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils.text import slugify

from . import demo_data
from .models import Amenity, ChildAgeBand, Hotel, HotelPhoto, HotelTax, NightInventory, RatePlan, RoomType

STAR_BASE_PRICE = {1: 55, 2: 75, 3: 105, 4: 160, 5: 290}
STAR_EXTRA_ADULT = {1: 15, 2: 20, 3: 25, 4: 40, 5: 60}
STAR_BREAKFAST = {1: 8, 2: 10, 3: 14, 4: 22, 5: 32}  # per person; a plan adds it for two per room


def translated(field: str, text: str) -> dict[str, str]:
    """``text`` and its demo translations as the model's per-language columns: ``{"name": …, "name_fr": …}``."""
    return {field: text, **{f"{field}_{code}": t for code, t in demo_data.TRANSLATIONS.get(text, {}).items()}}


def _description(sentences: list[str]) -> dict[str, str]:
    fields = {"description": " ".join(sentences)}
    for code in ("fr", "de", "es"):
        fields[f"description_{code}"] = " ".join(demo_data.TRANSLATIONS[s][code] for s in sentences)
    return fields


def _room_description(beds: str, size: int) -> dict[str, str]:
    fields = {}
    for code, template in demo_data.ROOM_DESCRIPTION.items():
        text = beds if code == "en" else demo_data.TRANSLATIONS[beds][code]
        fields["description" if code == "en" else f"description_{code}"] = template.format(
            beds=text[:1].upper() + text[1:], size=size
        )
    return fields


def _amenities() -> tuple[list[Amenity], list[Amenity]]:
    def upsert(pairs):
        existing = {a.code: a for a in Amenity.objects.filter(code__in=[c for c, _ in pairs])}
        Amenity.objects.bulk_create([Amenity(code=c, **translated("name", n)) for c, n in pairs if c not in existing])
        return list(Amenity.objects.filter(code__in=[c for c, _ in pairs]))

    return upsert(demo_data.HOTEL_AMENITIES), upsert(demo_data.ROOM_AMENITIES)


def nightly_price(base: float, day: date) -> Decimal:
    """Season (summer and December high) and weekend uplift, rounded to whole currency units."""
    season = 1 + 0.18 * math.sin((day.timetuple().tm_yday - 100) / 365 * 2 * math.pi)
    if day.month == 12 and day.day > 18:
        season += 0.25
    weekend = 1.15 if day.weekday() in (4, 5) else 1.0
    return Decimal(round(base * season * weekend))


def rate_plans_seed(room_types: list[RoomType], rng: random.Random) -> int:
    """Three plans per room type, as hotels sell them: a flexible rate with its own prices, a non-refundable one
    15% below it, and the flexible rate with breakfast for two added per night."""
    flexible = [
        RatePlan(
            room_type=rt,
            **translated("name", "Flexible"),
            free_cancellation_days=rng.choice([1, 2, 3, 7]),
            cancellation_penalty=rng.choice([RatePlan.Penalty.FIRST_NIGHT, RatePlan.Penalty.FIRST_NIGHT, "percent"]),
            cancellation_penalty_percent=Decimal("50"),
            position=0,
        )
        for rt in room_types
    ]
    RatePlan.objects.bulk_create(flexible, batch_size=5000)
    stars = dict(Hotel.objects.filter(pk__in={rt.hotel_id for rt in room_types}).values_list("pk", "stars"))
    derived = []
    for plan in flexible:
        derived.append(
            RatePlan(
                room_type_id=plan.room_type_id,
                **translated("name", "Non-refundable"),
                free_cancellation_days=None,
                parent=plan,
                derivation=RatePlan.Derivation.PERCENT,
                derivation_value=Decimal("-15"),
                position=1,
            )
        )
        derived.append(
            RatePlan(
                room_type_id=plan.room_type_id,
                **translated("name", "Breakfast included"),
                meal_plan=RatePlan.MealPlan.BREAKFAST,
                free_cancellation_days=plan.free_cancellation_days,
                cancellation_penalty=plan.cancellation_penalty,
                cancellation_penalty_percent=plan.cancellation_penalty_percent,
                parent=plan,
                derivation=RatePlan.Derivation.AMOUNT,
                derivation_value=Decimal(2 * STAR_BREAKFAST[stars[plan.room_type.hotel_id]]),
                position=2,
            )
        )
    RatePlan.objects.bulk_create(derived, batch_size=5000)
    return len(flexible) + len(derived)


@transaction.atomic
def demo_catalogue_seed(
    *,
    hotels: int = 48,
    days: int = 365,
    start: date | None = None,
    seed: int = 7,
    photos: list[str] | None = None,
    log=lambda msg: None,
) -> int:
    """Create ``hotels`` hotels spread over the demo cities with ``days`` nights of inventory from ``start``.

    Returns the number of hotels created. Slugs are suffixed with a counter so it can run on a non-empty catalogue.
    """
    rng = random.Random(seed)
    start = start or date.today()
    hotel_amenities, room_amenities = _amenities()
    offset = Hotel.objects.count()
    # About three hotels per city for a demo, every city for a large catalogue.
    cities = demo_data.CITIES[: max(8, min(len(demo_data.CITIES), hotels // 3))]
    new_hotels = []
    for i in range(hotels):
        city, country, lat, lng, tz, currency, factor = cities[i % len(cities)]
        name = f"{rng.choice(demo_data.NAME_PREFIXES)} {rng.choice(demo_data.NAME_WORDS)}"
        stars = rng.choices([1, 2, 3, 4, 5], weights=[1, 3, 6, 5, 2])[0]
        new_hotels.append(
            Hotel(
                name=name,
                slug=slugify(f"{name} {city}")[:160] + f"-{offset + i + 1}",
                city=city,
                country=country,
                address=f"{rng.randint(1, 180)} {rng.choice(demo_data.STREETS)}, {city}",
                latitude=Decimal(str(round(lat + rng.uniform(-0.03, 0.03), 6))),
                longitude=Decimal(str(round(lng + rng.uniform(-0.04, 0.04), 6))),
                stars=stars,
                **_description(rng.sample(demo_data.DESCRIPTIONS, 2)),
                check_in_time=time(rng.choice([14, 15, 16])),
                check_out_time=time(rng.choice([10, 11, 12])),
                timezone=tz,
                reservations_email=f"reservations+{offset + i + 1}@{slugify(name) or 'hotel'}.example",
                currency=currency,
            )
        )
    Hotel.objects.bulk_create(new_hotels, batch_size=2000)
    log(f"{len(new_hotels)} hotels")

    through = Hotel.amenities.through
    through.objects.bulk_create(
        [
            through(hotel_id=h.id, amenity_id=a.id)
            for h in new_hotels
            for a in rng.sample(hotel_amenities, rng.randint(3, 8))
        ],
        batch_size=10000,
    )
    taxes = []
    for h in new_hotels:
        taxes.append(
            HotelTax(
                hotel=h,
                **translated("name", "VAT 10%"),
                kind=HotelTax.Kind.PERCENT,
                amount=Decimal("10"),
                included_in_price=True,
            )
        )
        if rng.random() < 0.6:
            taxes.append(
                HotelTax(
                    hotel=h,
                    **translated("name", "City tax"),
                    kind=HotelTax.Kind.PER_PERSON_NIGHT,
                    amount=Decimal(rng.choice(["1.50", "2.30", "3.00", "4.20"])),
                )
            )
    HotelTax.objects.bulk_create(taxes, batch_size=5000)
    if photos:
        HotelPhoto.objects.bulk_create(
            [
                HotelPhoto(hotel=h, image=p, alt_text=f"{h.name}, {label}", position=n)
                for h in new_hotels
                for n, (p, label) in enumerate(
                    zip(rng.sample(photos, min(3, len(photos))), ["exterior", "lobby", "a room"], strict=False)
                )
            ],
            batch_size=5000,
        )

    room_types = []
    bases = {}
    for h in new_hotels:
        factor = next(c[6] for c in demo_data.CITIES if c[0] == h.city)
        for name, adults, children, occupancy, beds, size, rt_factor in sorted(
            rng.sample(demo_data.ROOM_TYPES, 3), key=lambda r: r[6]
        ):
            rt = RoomType(
                hotel=h,
                **translated("name", name),
                max_adults=adults,
                max_children=children,
                max_occupancy=occupancy,
                **translated("beds", beds),
                size_m2=size + rng.randint(-2, 4),
                total_rooms=rng.randint(2, 18),
                **_room_description(beds, size),
                base_occupancy=min(2, adults),
                extra_adult_price=Decimal(STAR_EXTRA_ADULT[h.stars]),
            )
            room_types.append(rt)
            bases[id(rt)] = STAR_BASE_PRICE[h.stars] * factor * rt_factor * rng.uniform(0.85, 1.15)
    RoomType.objects.bulk_create(room_types, batch_size=5000)
    rthrough = RoomType.amenities.through
    rthrough.objects.bulk_create(
        [rthrough(roomtype_id=rt.id, amenity_id=a.id) for rt in room_types for a in rng.sample(room_amenities, 3)],
        batch_size=10000,
    )
    log(f"{len(room_types)} room types")
    plans = rate_plans_seed(room_types, rng)
    log(f"{plans} rate plans")
    ChildAgeBand.objects.bulk_create(
        [
            band
            for h in new_hotels
            for band in (
                ChildAgeBand(hotel=h, min_age=0, max_age=2, price=Decimal("0")),
                ChildAgeBand(hotel=h, min_age=3, max_age=11, price=Decimal(STAR_EXTRA_ADULT[h.stars] // 2)),
            )
        ],
        batch_size=10000,
    )

    dates = [start + timedelta(days=d) for d in range(days)]
    table = NightInventory._meta.db_table
    columns = "room_type_id, date, rooms_for_sale, rooms_sold, price, stop_sell, min_stay"
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for n, rt in enumerate(room_types):
                base = bases[id(rt)]
                for day in dates:
                    stop = "t" if rng.random() < 0.01 else "f"
                    min_stay = 2 if day.weekday() == 5 and rng.random() < 0.2 else 1
                    buffer.write(
                        f"{rt.id}\t{day.isoformat()}\t{rt.total_rooms}\t0\t{nightly_price(base, day)}\t{stop}\t{min_stay}\n"
                    )
                if n % 200 == 199:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        cursor.execute(f"ANALYZE {table}")
    log(f"{len(room_types) * days} room-nights")
    return len(new_hotels)
