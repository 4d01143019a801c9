"""The catalogue: hotels, their room types, and what each room type sells night by night."""

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

CURRENCY_CHOICES = [("EUR", "Euro"), ("GBP", "Pound sterling"), ("USD", "US dollar"), ("CHF", "Swiss franc")]


def validate_timezone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. Europe/Paris).")


class Amenity(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "amenities"

    def __str__(self):
        return self.name


class Hotel(models.Model):
    class CancellationPenalty(models.TextChoices):
        FIRST_NIGHT = "first_night", "First night"
        PERCENT = "percent", "Percentage of the stay"
        FULL_STAY = "full_stay", "Full stay"

    name = models.CharField(max_length=160)
    slug = models.SlugField(max_length=180, unique=True)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=100)
    address = models.CharField(max_length=255)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    stars = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    description = models.TextField(blank=True)
    amenities = models.ManyToManyField(Amenity, blank=True, related_name="hotels")
    check_in_time = models.TimeField(default="15:00")
    check_out_time = models.TimeField(default="11:00")
    timezone = models.CharField(max_length=64, default="Europe/Paris", validators=[validate_timezone])
    reservations_email = models.EmailField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="EUR")
    # Cancellation policy: free until `free_cancellation_days` before arrival (at check-in time, hotel-local),
    # then the penalty. No free days at all (null) means non-refundable.
    free_cancellation_days = models.PositiveSmallIntegerField(null=True, blank=True, default=2)
    cancellation_penalty = models.CharField(
        max_length=20, choices=CancellationPenalty.choices, default=CancellationPenalty.FIRST_NIGHT
    )
    cancellation_penalty_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["city", "is_active"], name="hotel_city_active_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="hotel_stars_1_to_5"),
        ]

    def __str__(self):
        return f"{self.name} ({self.city})"

    def get_absolute_url(self):
        return reverse("hotels:detail", kwargs={"slug": self.slug})

    @property
    def tzinfo(self):
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def map_url(self):
        if self.latitude is None or self.longitude is None:
            return ""
        return f"https://www.openstreetmap.org/?mlat={self.latitude}&mlon={self.longitude}#map=16/{self.latitude}/{self.longitude}"


class Photo(models.Model):
    """A picture with the text a screen reader says instead, in display order."""

    alt_text = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self):
        return self.alt_text


class HotelPhoto(Photo):
    hotel = models.ForeignKey(Hotel, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="hotels/%Y/")


class HotelTax(models.Model):
    """A tax or fee line: VAT-like percentage, per person per night (tourism tax) or per stay (cleaning fee)."""

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percentage of the room price"
        PER_PERSON_NIGHT = "per_person_night", "Per person per night"
        PER_STAY = "per_stay", "Per room per stay"

    hotel = models.ForeignKey(Hotel, on_delete=models.CASCADE, related_name="taxes")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    included_in_price = models.BooleanField(
        default=False, help_text="Included taxes are shown as a line but not added to the total."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "taxes and fees"
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="hoteltax_amount_non_negative")]

    def __str__(self):
        return self.name


class RoomType(models.Model):
    hotel = models.ForeignKey(Hotel, on_delete=models.CASCADE, related_name="room_types")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    max_adults = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(1)])
    max_children = models.PositiveSmallIntegerField(default=0)
    max_occupancy = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(1)])
    beds = models.CharField(max_length=120, help_text="e.g. 1 king bed, or 2 single beds")
    size_m2 = models.PositiveSmallIntegerField(null=True, blank=True)
    amenities = models.ManyToManyField(Amenity, blank=True, related_name="room_types")
    total_rooms = models.PositiveSmallIntegerField(help_text="Physical rooms of this type in the hotel.")
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["hotel", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_occupancy__gte=F("max_adults")), name="roomtype_occupancy_gte_adults"
            ),
        ]

    def __str__(self):
        return f"{self.name} — {self.hotel.name}"


class RoomTypePhoto(Photo):
    room_type = models.ForeignKey(RoomType, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="rooms/%Y/")


class NightInventory(models.Model):
    """What one room type sells on one night (a hotel-local date): how many, at what price, on what terms.

    ``rooms_sold`` is a counter moved only by the booking services with a conditional UPDATE; the CHECK
    constraint guarantees it never passes ``rooms_for_sale`` whatever the code does, so nothing is sold twice.
    """

    room_type = models.ForeignKey(RoomType, on_delete=models.CASCADE, related_name="nights")
    date = models.DateField()
    rooms_for_sale = models.PositiveSmallIntegerField()
    rooms_sold = models.PositiveSmallIntegerField(default=0)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    stop_sell = models.BooleanField(default=False)
    min_stay = models.PositiveSmallIntegerField(default=1)

    # Staff edits of prices and inventory are audited; the sold counter (moved by bookings) is not.
    history = HistoricalRecords(excluded_fields=["rooms_sold"])

    class Meta:
        verbose_name = "night inventory"
        verbose_name_plural = "night inventory"
        ordering = ["room_type", "date"]
        constraints = [
            # Covering index for the search aggregate: an index-only scan over (room_type, date range).
            models.UniqueConstraint(
                fields=["room_type", "date"],
                include=["rooms_for_sale", "rooms_sold", "price", "stop_sell", "min_stay"],
                name="night_roomtype_date_unique",
            ),
            models.CheckConstraint(condition=Q(rooms_sold__lte=F("rooms_for_sale")), name="night_never_oversold"),
            models.CheckConstraint(condition=Q(price__gte=0), name="night_price_non_negative"),
            models.CheckConstraint(condition=Q(min_stay__gte=1), name="night_min_stay_positive"),
        ]

    def __str__(self):
        return f"{self.room_type} on {self.date}"

    @property
    def rooms_available(self):
        return max(self.rooms_for_sale - self.rooms_sold, 0)


class HotelStaff(models.Model):
    """A staff member's role at one hotel; the staff console shows each member only their hotels."""

    class Role(models.TextChoices):
        MANAGER = "manager", "Manager"
        FRONT_DESK = "front_desk", "Front desk"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hotel_roles")
    hotel = models.ForeignKey(Hotel, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = "hotel staff member"
        constraints = [models.UniqueConstraint(fields=["user", "hotel"], name="hotelstaff_user_hotel_unique")]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} at {self.hotel.name}"
