"""The catalogue: hotels, their room types, and what each room type sells night by night."""

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

CURRENCY_CHOICES = [
    ("EUR", _("Euro")),
    ("GBP", _("Pound sterling")),
    ("USD", _("US dollar")),
    ("CHF", _("Swiss franc")),
]


def validate_timezone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(zone)s is not a known time zone (e.g. Europe/Paris).") % {"zone": repr(value)})


def per_language(*fields: str) -> list[str]:
    """The columns hotels/translation.py adds for ``fields`` (``name_fr``…): left out of the change history, which
    records the plain column (the text as last saved)."""
    return [f"{field}_{code.replace('-', '_')}" for field in fields for code, _name in settings.LANGUAGES]


class Amenity(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        verbose_name = _("amenity")
        ordering = ["name"]
        verbose_name_plural = _("amenities")

    def __str__(self):
        return self.name


class Hotel(models.Model):
    name = models.CharField(_("name"), max_length=160)
    slug = models.SlugField(_("slug"), max_length=180, unique=True)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=100)
    address = models.CharField(_("address"), max_length=255)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    stars = models.PositiveSmallIntegerField(_("stars"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    description = models.TextField(_("description"), blank=True)
    amenities = models.ManyToManyField(Amenity, verbose_name=_("amenities"), blank=True, related_name="hotels")
    check_in_time = models.TimeField(_("check-in time"), default="15:00")
    check_out_time = models.TimeField(_("check-out time"), default="11:00")
    timezone = models.CharField(_("timezone"), max_length=64, default="Europe/Paris", validators=[validate_timezone])
    reservations_email = models.EmailField(_("reservations e-mail"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default="EUR")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=[*per_language("name", "description"), "created_at"])

    class Meta:
        verbose_name = _("hotel")
        verbose_name_plural = _("hotels")
        ordering = ["name"]
        indexes = [models.Index(fields=["city", "is_active"], name="hotel_city_active_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="hotel_stars_1_to_5"),
        ]

    def __str__(self):
        from .cities import city_label  # the city in the reader's language ("München"); cities imports models

        return f"{self.name} ({city_label(self.city)})"

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

    alt_text = models.CharField(_("alternative text"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self):
        return self.alt_text


class HotelPhoto(Photo):
    hotel = models.ForeignKey(Hotel, verbose_name=_("hotel"), on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("image"), upload_to="hotels/%Y/")

    class Meta(Photo.Meta):
        verbose_name = _("hotel photo")
        verbose_name_plural = _("hotel photos")


class LegalEntity(models.Model):
    """The company that sells a hotel's rooms, as its invoices and credit notes name it. Invoices are numbered per
    legal entity and year (``payments.invoices``); what is printed is copied onto each document when it is issued,
    so changing these details later never changes an issued invoice."""

    hotel = models.OneToOneField(Hotel, verbose_name=_("hotel"), on_delete=models.CASCADE, related_name="legal_entity")
    company_name = models.CharField(_("company name"), max_length=200)
    address = models.TextField(_("address"), help_text=_("As printed on invoices, several lines if need be."))
    tax_id = models.CharField(_("VAT or tax id"), max_length=40, blank=True)
    invoice_footer = models.TextField(
        _("invoice footer"), blank=True, help_text=_("Registration, share capital, bank details, legal mentions.")
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("legal entity")
        verbose_name_plural = _("legal entities")

    def __str__(self):
        return self.company_name


class TaxComponent(models.TextChoices):
    """What part of the stay a percentage tax is levied on (room and meals may carry different VAT rates)."""

    ROOM = "room", _("Room")
    MEALS = "meals", _("Meals")


class HotelTax(models.Model):
    """A tax or fee line: VAT-like percentage, per person per night (tourism tax) or per stay (cleaning fee).

    A percentage is levied on one component of the accommodation (``component``): the room, or the meals a derived
    rate plan adds (``RatePlan.adjustment_component``). Taxes made before components existed are on the room, which
    was the whole accommodation, so no price changed."""

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percentage of the room price")
        PER_PERSON_NIGHT = "per_person_night", _("Per person per night")
        PER_STAY = "per_stay", _("Per room per stay")

    Component = TaxComponent

    hotel = models.ForeignKey(Hotel, verbose_name=_("hotel"), on_delete=models.CASCADE, related_name="taxes")
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    included_in_price = models.BooleanField(
        _("included in price"),
        default=False,
        help_text=_("Included taxes are shown as a line but not added to the total."),
    )
    component = models.CharField(
        _("levied on"),
        max_length=10,
        choices=TaxComponent.choices,
        default=TaxComponent.ROOM,
        blank=True,  # empty is the room, as for taxes made before components existed
        help_text=_("For a percentage: the room, or the meals a rate plan adds (e.g. breakfast at another VAT rate)."),
    )

    history = HistoricalRecords(excluded_fields=per_language("name"))

    class Meta:
        verbose_name = _("tax or fee")
        ordering = ["id"]
        verbose_name_plural = _("taxes and fees")
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="hoteltax_amount_non_negative")]

    def __str__(self):
        return self.name


class RoomType(models.Model):
    hotel = models.ForeignKey(Hotel, verbose_name=_("hotel"), on_delete=models.CASCADE, related_name="room_types")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    max_adults = models.PositiveSmallIntegerField(_("maximum adults"), default=2, validators=[MinValueValidator(1)])
    max_children = models.PositiveSmallIntegerField(_("maximum children"), default=0)
    max_occupancy = models.PositiveSmallIntegerField(
        _("maximum occupancy"), default=2, validators=[MinValueValidator(1)]
    )
    beds = models.CharField(_("beds"), max_length=120, help_text=_("e.g. 1 king bed, or 2 single beds"))
    size_m2 = models.PositiveSmallIntegerField(_("size (m²)"), null=True, blank=True)
    amenities = models.ManyToManyField(Amenity, verbose_name=_("amenities"), blank=True, related_name="room_types")
    total_rooms = models.PositiveSmallIntegerField(
        _("total rooms"), help_text=_("Physical rooms of this type in the hotel.")
    )
    # Occupancy pricing: a night's price covers `base_occupancy` adults per room; each adult beyond that pays the
    # supplement per night. Children pay by the hotel's age bands (ChildAgeBand).
    base_occupancy = models.PositiveSmallIntegerField(
        _("base occupancy"),
        default=2,
        validators=[MinValueValidator(1)],
        help_text=_("Adults per room included in the nightly price."),
    )
    extra_adult_price = models.DecimalField(
        _("extra adult price"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text=_("Per extra adult per night, on every rate plan."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(excluded_fields=per_language("name", "description", "beds"))

    class Meta:
        verbose_name = _("room type")
        verbose_name_plural = _("room types")
        ordering = ["hotel", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_occupancy__gte=F("max_adults")), name="roomtype_occupancy_gte_adults"
            ),
            models.CheckConstraint(condition=Q(extra_adult_price__gte=0), name="roomtype_extra_adult_non_negative"),
        ]

    def __str__(self):
        return f"{self.name} — {self.hotel.name}"


class ChildAgeBand(models.Model):
    """What a child of an age pays per night, per hotel (e.g. 0–2 free, 3–11 child rate). A child older than every
    band pays as an extra adult; a hotel with no bands doesn't charge for children."""

    hotel = models.ForeignKey(Hotel, verbose_name=_("hotel"), on_delete=models.CASCADE, related_name="child_bands")
    min_age = models.PositiveSmallIntegerField(_("minimum age"), validators=[MaxValueValidator(17)])
    max_age = models.PositiveSmallIntegerField(_("maximum age"), validators=[MaxValueValidator(17)])
    price = models.DecimalField(
        _("price"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text=_("Per night."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = _("child age bands")
        ordering = ["hotel", "min_age"]
        verbose_name = _("child age band")
        constraints = [
            models.CheckConstraint(condition=Q(max_age__gte=F("min_age")), name="childband_ages_ordered"),
            models.CheckConstraint(condition=Q(price__gte=0), name="childband_price_non_negative"),
        ]

    def __str__(self):
        return _("Child %(min)s–%(max)s") % {"min": self.min_age, "max": self.max_age}

    def clean(self):
        if self.min_age is None or self.max_age is None or not self.hotel_id:
            return
        if self.max_age < self.min_age:
            raise ValidationError({"max_age": _("The oldest age can't be below the youngest.")})
        overlapping = ChildAgeBand.objects.filter(
            hotel_id=self.hotel_id, min_age__lte=self.max_age, max_age__gte=self.min_age
        ).exclude(pk=self.pk)
        if overlapping.exists():
            raise ValidationError(_("These ages overlap the band %(band)s.") % {"band": overlapping.first()})


class RatePlan(models.Model):
    """One way a room type is sold: its meal plan, cancellation policy, price and stay rules.

    Rate plans of a room type share its rooms (NightInventory); each has its own price per night, which is the
    room type's night price, or the plan's own price for that night (RatePlanNight), or — for a derived plan — its
    parent's price for the night changed by a percentage or an amount (``hotels.pricing.derived_price``). A derived
    plan's parent is never itself derived, so a price is at most one step from a stored one.
    """

    class MealPlan(models.TextChoices):
        ROOM_ONLY = "room_only", _("Room only")
        BREAKFAST = "breakfast", _("Breakfast included")
        HALF_BOARD = "half_board", _("Half board")
        FULL_BOARD = "full_board", _("Full board")
        ALL_INCLUSIVE = "all_inclusive", _("All inclusive")

    class Penalty(models.TextChoices):
        FIRST_NIGHT = "first_night", _("First night")
        PERCENT = "percent", _("Percentage of the stay")
        FULL_STAY = "full_stay", _("Full stay")

    class Derivation(models.TextChoices):
        PERCENT = "percent", _("Percentage of the parent's price")
        AMOUNT = "amount", _("Amount per room per night")

    class PaymentTerms(models.TextChoices):
        PREPAY = "prepay", _("Pay now")
        DEPOSIT = "deposit", _("Deposit now, balance before arrival")
        GUARANTEE = "guarantee", _("Pay at the hotel, card guarantee")
        AT_HOTEL = "at_hotel", _("Pay at the hotel, no guarantee (staff bookings only)")

    class Deposit(models.TextChoices):
        PERCENT = "percent", _("Percentage of the stay")
        FIRST_NIGHT = "first_night", _("First night")

    room_type = models.ForeignKey(
        RoomType, verbose_name=_("room type"), on_delete=models.CASCADE, related_name="rate_plans"
    )
    name = models.CharField(
        _("name"), max_length=80, help_text=_('e.g. "Flexible", "Non-refundable", "Breakfast included".')
    )
    meal_plan = models.CharField(_("meal plan"), max_length=20, choices=MealPlan.choices, default=MealPlan.ROOM_ONLY)
    # Cancellation: free until `free_cancellation_days` before arrival (at check-in time, hotel-local), then the
    # penalty. No free days at all (null) means non-refundable.
    free_cancellation_days = models.PositiveSmallIntegerField(
        _("free cancellation (days before arrival)"),
        null=True,
        blank=True,
        default=2,
        help_text=_("Empty means non-refundable."),
    )
    cancellation_penalty = models.CharField(
        _("cancellation penalty"), max_length=20, choices=Penalty.choices, default=Penalty.FIRST_NIGHT
    )
    cancellation_penalty_percent = models.DecimalField(
        _("cancellation penalty (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="derived_plans",
        help_text=_("Derive this plan's prices from another plan of the same room type."),
    )
    derivation = models.CharField(_("derivation"), max_length=10, choices=Derivation.choices, blank=True)
    derivation_value = models.DecimalField(
        _("derivation value"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        # xgettext:no-python-format
        help_text=_("e.g. -15 (percent) for 15% off the parent, or 12.00 (amount) for breakfast per room per night."),
    )
    adjustment_component = models.CharField(
        _("the derivation pays for"),
        max_length=10,
        choices=TaxComponent.choices,
        default=TaxComponent.ROOM,
        blank=True,  # empty is the room, as for plans made before components existed
        help_text=_('Meals when the plan adds them to its parent ("Breakfast +24.00"): taxed at the meals rate.'),
    )
    min_stay = models.PositiveSmallIntegerField(_("minimum stay"), default=1, validators=[MinValueValidator(1)])
    max_stay = models.PositiveSmallIntegerField(
        _("maximum stay"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    # Payment terms (hotels/payment_terms.py computes what is due when; payments/ collects it).
    payment_terms = models.CharField(
        _("payment terms"), max_length=12, choices=PaymentTerms.choices, default=PaymentTerms.PREPAY
    )
    deposit = models.CharField(_("deposit"), max_length=12, choices=Deposit.choices, default=Deposit.PERCENT)
    deposit_percent = models.DecimalField(
        _("deposit percentage"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("30"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
    )
    balance_days_before = models.PositiveSmallIntegerField(
        _("balance charged days before arrival"),
        default=7,
        help_text=_("The balance is charged to the saved card this many days before arrival (hotel time)."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # The first and last dates of the plan's own nights (RatePlanNight) and, for a derived plan, its parent's:
    # kept by database triggers (migration 0005), only ever widened; search prices a plan whose span misses the
    # stay from the room type's nights alone.
    nights_from = models.DateField(_("from (nights)"), null=True, blank=True, editable=False)
    nights_to = models.DateField(_("to (nights)"), null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=[*per_language("name"), "nights_from", "nights_to"])

    class Meta:
        verbose_name = _("rate plan")
        verbose_name_plural = _("rate plans")
        ordering = ["room_type", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(min_stay__gte=1), name="rateplan_min_stay_positive"),
            models.CheckConstraint(
                condition=Q(max_stay__isnull=True) | Q(max_stay__gte=F("min_stay")), name="rateplan_max_gte_min"
            ),
            models.CheckConstraint(
                condition=(Q(parent__isnull=True) & Q(derivation="")) | (Q(parent__isnull=False) & ~Q(derivation="")),
                name="rateplan_derivation_with_parent",
            ),
            models.CheckConstraint(
                condition=~Q(derivation="percent") | Q(derivation_value__gte=-100), name="rateplan_percent_min_100"
            ),
            models.CheckConstraint(
                condition=Q(deposit_percent__gt=0, deposit_percent__lte=100), name="rateplan_deposit_percent_range"
            ),
        ]

    def __str__(self):
        return f"{self.name} — {self.room_type.name}"

    def clean(self):
        errors = {}
        if self.parent_id:
            if not self.derivation:
                errors["derivation"] = "Say how this plan's price follows its parent."
            parent = self.parent
            if self.pk and parent.pk == self.pk:
                errors["parent"] = "A plan can't be derived from itself."
            elif parent.parent_id:
                errors["parent"] = "Derive from a plan that has its own prices (it is itself derived)."
            elif self.room_type_id and parent.room_type_id != self.room_type_id:
                errors["parent"] = "The parent must be a plan of the same room type."
            if self.pk and self.derived_plans.exists():
                errors["parent"] = "Other plans are derived from this one, so it can't be derived itself."
        elif self.derivation:
            errors["parent"] = "Choose the plan this one is derived from."
        if self.derivation == self.Derivation.PERCENT and self.derivation_value < -100:
            errors["derivation_value"] = "A discount can't be more than 100%."
        if self.max_stay is not None and self.min_stay and self.max_stay < self.min_stay:
            errors["max_stay"] = "The maximum stay can't be shorter than the minimum."
        if errors:
            raise ValidationError(errors)


class RatePlanNight(models.Model):
    """A rate plan's own terms for one night: a price of its own (non-derived plans only), closed to arrival or
    departure, stop-sell, and the minimum / maximum stay for stays arriving that night. Rows exist only where a
    night differs from the plan's defaults."""

    rate_plan = models.ForeignKey(
        RatePlan, verbose_name=_("rate plan"), on_delete=models.CASCADE, related_name="nights"
    )
    date = models.DateField(_("date"))
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, null=True, blank=True)
    closed_to_arrival = models.BooleanField(_("closed to arrival"), default=False)
    closed_to_departure = models.BooleanField(_("closed to departure"), default=False)
    stop_sell = models.BooleanField(_("stop sell"), default=False)
    min_stay = models.PositiveSmallIntegerField(
        _("minimum stay"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    max_stay = models.PositiveSmallIntegerField(
        _("maximum stay"), null=True, blank=True, validators=[MinValueValidator(1)]
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = _("rate plan nights")
        ordering = ["rate_plan", "date"]
        verbose_name = _("rate plan night")
        constraints = [
            models.UniqueConstraint(fields=["rate_plan", "date"], name="rateplannight_plan_date_unique"),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gte=0), name="rateplannight_price_non_negative"
            ),
        ]

    def __str__(self):
        return _("%(rate_plan)s on %(date)s") % {"rate_plan": self.rate_plan, "date": self.date}


class RoomTypePhoto(Photo):
    room_type = models.ForeignKey(
        RoomType, verbose_name=_("room type"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(_("image"), upload_to="rooms/%Y/")

    class Meta(Photo.Meta):
        verbose_name = _("room type photo")
        verbose_name_plural = _("room type photos")


class NightInventory(models.Model):
    """What one room type sells on one night (a hotel-local date): how many, at what price, on what terms.

    ``rooms_sold`` is a counter moved only by the booking services with a conditional UPDATE; the CHECK
    constraint guarantees it never passes ``rooms_for_sale`` whatever the code does, so nothing is sold twice.
    """

    room_type = models.ForeignKey(
        RoomType, verbose_name=_("room type"), on_delete=models.CASCADE, related_name="nights"
    )
    date = models.DateField(_("date"))
    rooms_for_sale = models.PositiveSmallIntegerField(_("rooms for sale"))
    rooms_sold = models.PositiveSmallIntegerField(_("rooms sold"), default=0)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    stop_sell = models.BooleanField(_("stop sell"), default=False)
    min_stay = models.PositiveSmallIntegerField(_("minimum stay"), default=1)

    # Staff edits of prices and inventory are audited; the sold counter (moved by bookings) is not.
    history = HistoricalRecords(excluded_fields=["rooms_sold"])

    class Meta:
        verbose_name = _("night inventory")
        verbose_name_plural = _("night inventory")
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
        return _("%(room_type)s on %(date)s") % {"room_type": self.room_type, "date": self.date}

    @property
    def rooms_available(self):
        return max(self.rooms_for_sale - self.rooms_sold, 0)


class HotelStaff(models.Model):
    """A staff member's role at one hotel; the staff console shows each member only their hotels."""

    class Role(models.TextChoices):
        MANAGER = "manager", _("Manager")
        FRONT_DESK = "front_desk", _("Front desk")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="hotel_roles"
    )
    hotel = models.ForeignKey(Hotel, verbose_name=_("hotel"), on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name_plural = _("hotel staff members")
        verbose_name = _("hotel staff member")
        constraints = [models.UniqueConstraint(fields=["user", "hotel"], name="hotelstaff_user_hotel_unique")]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} at {self.hotel.name}"


class CityName(models.Model):
    """A city's name in one language ("München" for Munich in German): what a guest may type in the search, and
    what the results page shows in that language. ``city`` is the name hotels use (``Hotel.city``), which the
    search itself matches; the destination field resolves a typed name to it first (``hotels.cities``)."""

    city = models.CharField(_("city"), max_length=100, help_text=_("As hotels spell it, e.g. Munich."))
    language = models.CharField(_("language"), max_length=8, help_text=_("A language code, e.g. de."))
    name = models.CharField(_("name"), max_length=100, help_text=_("The city's name in that language, e.g. München."))

    class Meta:
        verbose_name = _("city name")
        verbose_name_plural = _("city names")
        ordering = ["city", "language"]
        constraints = [models.UniqueConstraint(fields=["city", "language"], name="cityname_city_language_unique")]
        indexes = [models.Index(Lower("name"), name="cityname_lower_name_idx")]

    def __str__(self):
        return f"{self.city} ({self.language}): {self.name}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        cache.delete("hotels:city-names")  # hotels.cities reads them through the cache

    def delete(self, *args, **kwargs):
        cache.delete("hotels:city-names")
        return super().delete(*args, **kwargs)
