"""The staff console in the staff member's language: every label of our own models is a translation, the admin's
pages, filters, actions and messages speak German to a German browser; and the catalogue content that pages
showed in the default language (destinations, the results' room type and rate names) follows the reader."""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.utils import translation
from django.utils.functional import Promise

from hotels.models import CityName, RatePlan, RoomType
from hotels.search import hotel_search
from hotels.stay import Stay
from tests.factories import HotelFactory, RoomTypeFactory, future, open_nights
from tests.staff.conftest import booking_at

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR).resolve()
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """A request activates its language and the test client leaves it active: leave English to the next test."""
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def german_admin(admin_client, admin_user):
    """A superuser whose account speaks German (logging in records the language of the moment: set it after)."""
    admin_user.preferred_language = "de"
    admin_user.save(update_fields=["preferred_language"])
    return admin_client


def our_app_configs():
    """The apps of this repository (not Django's nor a library's, even from a virtualenv inside the checkout)."""
    return [
        config
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(ROOT) and "site-packages" not in Path(config.path).parts
    ]


def is_translation(value) -> bool:
    return isinstance(value, Promise)


def untranslated_labels() -> list[str]:
    """Every label the admin shows of our models that is not a gettext_lazy translation, one line each."""
    found = []
    for config in our_app_configs():
        if config.name.startswith("config"):
            continue
        if not is_translation(config.verbose_name):
            found.append(f"{config.label}: the app's verbose_name")
        for model in config.get_models():
            if hasattr(model, "instance_type"):
                continue  # django-simple-history's copy of a model: its fields are the model's own, checked there
            opts = model._meta
            for option in ("verbose_name", "verbose_name_plural"):
                if not is_translation(opts.original_attrs.get(option)):
                    found.append(f"{opts.label}: Meta.{option}")
            for field in opts.get_fields():
                if field.auto_created and not field.concrete:
                    continue  # a reverse relation: labelled by the other side
                if field.auto_created and field.primary_key:
                    continue  # Django's own "ID"
                if not is_translation(field._verbose_name if hasattr(field, "_verbose_name") else None):
                    found.append(f"{opts.label}.{field.name}: verbose_name")
                if field.help_text and not is_translation(field.help_text):
                    found.append(f"{opts.label}.{field.name}: help_text")
                for _value, label in field.flatchoices or ():
                    if not is_translation(label):
                        found.append(f"{opts.label}.{field.name}: choice {label!r}")
                        break
    return found


def test_every_label_of_our_models_is_marked_for_translation():
    """A new field, model, choice or help text without gettext_lazy fails here (and would show English in /de/)."""
    assert {c.label for c in our_app_configs()} >= {
        "accounts",
        "hotels",
        "bookings",
        "payments",
        "display",
        "notifications",
        "partners",
        "suppliers",
    }
    assert untranslated_labels() == []


def test_the_walk_finds_an_unmarked_label(monkeypatch):
    """The check above can fail: a plain-string verbose_name is reported."""
    field = RoomType._meta.get_field("beds")
    monkeypatch.setattr(field, "_verbose_name", "beds")
    assert "hotels.RoomType.beds: verbose_name" in untranslated_labels()


def test_the_bookings_list_and_a_booking_speak_german_in_the_admin(german_admin):
    hotel = HotelFactory(name="Hotel Isar")
    booking = booking_at(hotel, first_name="Ελένη", last_name="李")
    admin = f"/{settings.ADMIN_URL}"

    index = german_admin.get(admin, **GERMAN).content.decode()
    assert "Ihre Hotels" in index and "Heute: Anreisen, Abreisen, Auslastung" in index
    assert "Gäste und Personal" in index and "Buchungen" in index

    page = german_admin.get(f"{admin}bookings/booking/", **GERMAN).content.decode()
    for german in (
        "Anreise",
        "Abreise",
        "Zimmerkategorie",
        "Stornieren (gemäß den Stornobedingungen)",
        "Als eingecheckt markieren",
        "Nächste 7 Tage",
        "Gastdaten",
    ):
        assert german in page, german
    for english in ("Room type", "Check-in", "Cancel (apply", "Mark checked in", "Next 7 days", "guest data"):
        assert english not in page, english

    form = german_admin.get(f"{admin}bookings/booking/{booking.pk}/change/", **GERMAN).content.decode()
    for german in (
        "Vorname des Gastes",
        "Nachname des Gastes",
        "Besondere Wünsche",
        "Statusverlauf",
        "Zeitpunkte",
        "Stornobedingungen",
        "Bestätigt am",
        "Ελένη",
    ):
        assert german in form, german
    for english in ("Special requests", "Guest&#x27;s first name", "State history", "Confirmed at", "Times<"):
        assert english not in form, english


def test_an_admin_action_reports_in_german(german_admin):
    hotel = HotelFactory()
    booking = booking_at(hotel)
    response = german_admin.post(
        f"/{settings.ADMIN_URL}bookings/booking/",
        {"action": "mark_no_show", "_selected_action": [booking.pk]},
        follow=True,
        **GERMAN,
    )
    shown = " | ".join(str(m) for m in get_messages(response.wsgi_request)) or response.content.decode()
    assert (
        "1 Buchung als nicht erschienen markiert." in response.content.decode()
        or "1 Buchung als nicht erschienen markiert." in shown
    )


def test_the_inventory_calendar_and_bulk_editor_speak_german(german_admin):
    rt = RoomTypeFactory(name="Double room", name_de="Doppelzimmer")
    open_nights(rt, future(1), 5)
    admin = f"/{settings.ADMIN_URL}"
    calendar = german_admin.get(f"{admin}hotels/roomtype/{rt.pk}/calendar/", **GERMAN).content.decode()
    for german in ("Vorheriger Monat", "Nächster Monat", "Mehrere Nächte bearbeiten", "verkauft", "Mo", "Doppelzimmer"):
        assert german in calendar, german
    for english in ("Previous month", "Next month", " sold ", "rooms of this type", ">Mon<"):
        assert english not in calendar, english

    bulk = german_admin.get(f"{admin}hotels/roomtype/{rt.pk}/bulk/", **GERMAN).content.decode()
    for german in ("Anwenden auf", "Preis pro Nacht", "Mindestaufenthalt", "Leer: unverändert.", "Übernehmen"):
        assert german in bulk, german
    for english in ("Apply to", "Price per night", "Blank: unchanged", "rooms and price (all rates)"):
        assert english not in bulk, english

    refused = german_admin.post(
        f"{admin}hotels/roomtype/{rt.pk}/bulk/",
        {"target": "", "start": future(1).isoformat(), "end": future(2).isoformat()},
        **GERMAN,
    ).content.decode()
    assert "Keine Änderung: Bitte füllen Sie mindestens ein Feld aus." in refused


def test_the_staff_desk_and_exports_speak_german(german_admin):
    HotelFactory()
    admin = f"/{settings.ADMIN_URL}"
    today = german_admin.get(f"{admin}bookings/booking/today/", **GERMAN).content.decode()
    assert "Anreisen" in today and "Abreisen" in today
    export = german_admin.get(f"{admin}bookings/booking/export/", **GERMAN).content.decode()
    assert "Buchungen herunterladen" in export and "Download bookings" not in export
    desk = german_admin.get(f"{admin}bookings/booking/new/", **GERMAN).content.decode()
    assert "Verfügbarkeit anzeigen" in desk


def test_the_home_page_names_destinations_in_the_readers_language(client):
    HotelFactory(city="Munich")
    CityName.objects.update_or_create(city="Munich", language="de", defaults={"name": "München"})  # seeded too
    CityName.objects.update_or_create(city="Munich", language="es", defaults={"name": "Múnich"})
    CityName.objects.filter(city="Munich", language="fr").delete()
    german = client.get("/de/").content.decode()
    assert ">München</a>" in german and "destination=M%C3%BCnchen" in german
    assert ">Múnich</a>" in client.get("/es/").content.decode()
    assert ">Munich</a>" in client.get("/fr/").content.decode()  # no French name: as hotels spell it
    assert ">Munich</a>" in client.get("/").content.decode()
    # Following the German link finds the hotel.
    found = client.get(
        "/de/search/",
        {
            "destination": "München",
            "check_in": future(10),
            "check_out": future(12),
            "adults": 2,
            "children": 0,
            "rooms": 1,
        },
    )
    assert found.status_code == 200
    assert client.get("/de/destinations/", {"q": "mün"}).json() == {"cities": ["München"]}


def test_the_results_show_room_type_and_rate_names_in_the_readers_language(client):
    hotel = HotelFactory(city="Paris")
    rt = RoomTypeFactory(hotel=hotel, name="Double room", name_fr="Chambre double")
    open_nights(rt, future(10), 3, price="90.00")
    RatePlan.objects.filter(room_type=rt).update(name_fr="Tarif flexible")
    plan_name_en = RatePlan.objects.get(room_type=rt).name_en
    query = {
        "destination": "Paris",
        "check_in": future(10).isoformat(),
        "check_out": future(12).isoformat(),
        "adults": 2,
        "children": 0,
        "rooms": 1,
    }
    french = client.get("/fr/search/", query).content.decode()
    assert "Chambre double" in french and "Double room" not in french
    assert "Tarif flexible" in french
    german = client.get("/de/search/", query).content.decode()
    assert "Double room" in german and (not plan_name_en or plan_name_en in german)  # no German: the default

    # A configuration of rooms goes through the other query: the same names.
    stay = Stay.of_rooms(check_in=future(10), check_out=future(12), party=[(1, []), (1, [])])
    with translation.override("fr"):
        (found,) = hotel_search(city="Paris", stay=stay)
    assert [line.room_type_name for line in found.lines] == ["Chambre double", "Chambre double"]
    assert found.best_plan.name == "Tarif flexible"


def test_the_hotel_page_gives_beds_and_country_in_the_readers_language(client):
    hotel = HotelFactory(country="Germany", slug="hotel-isar")
    rt = RoomTypeFactory(hotel=hotel, beds="1 double bed", beds_de="1 Doppelbett")
    open_nights(rt, future(10), 3)
    stay = {"check_in": future(10), "check_out": future(12), "adults": 2, "children": 0, "rooms": 1}
    german = client.get(f"/de/hotels/{hotel.slug}/", stay).content.decode()
    assert "Deutschland" in german and "1 Doppelbett" in german and "1 double bed" not in german
    french = client.get(f"/fr/hotels/{hotel.slug}/", stay).content.decode()
    assert "Allemagne" in french and "1 double bed" in french  # no French beds typed: the default language's


def test_destinations_are_sorted_as_read_accents_included(client):
    for city in ("Zurich", "Edinburgh", "Berlin"):
        HotelFactory(city=city)
    CityName.objects.update_or_create(city="Edinburgh", language="fr", defaults={"name": "Édimbourg"})
    page = client.get("/fr/").content.decode()
    assert page.index(">Berlin<") < page.index(">Édimbourg<") < page.index(">Zurich<")
