"""Guests from everywhere: every shipped language through the site's pages, e-mails, receipt and API, with
locale formats; the language switcher; the catalogues' CI check."""

import io
import re
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from babel.dates import format_date
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader
from rest_framework.test import APIClient

from bookings.models import Booking
from bookings.services import GuestDetails, booking_hold
from bookings.workflow import booking_confirm
from hotels.models import Hotel
from hotels.pricing import plan_closed_reason
from hotels.stay import Stay
from notifications.services import reminders_send
from partners.models import Partner
from partners.services import partner_key_issue
from tests.factories import HotelFactory, RatePlanFactory, RoomTypeFactory, UserFactory, future, open_nights

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

# What each language must show: a word of the page, the money of 2 nights at 617.25 (CLDR via Babel).
HOME = {
    "en": "Find your next stay",
    "fr": "Trouvez votre prochain séjour",
    "de": "Finden Sie Ihre nächste Unterkunft",
    "es": "Encuentre su próxima estancia",
}
RESULTS = {"en": "1 hotel in Paris", "fr": "1 hôtel à Paris", "de": "1 Hotel in Paris", "es": "1 hotel en Paris"}
HOTEL = {
    "en": "Rooms and prices",
    "fr": "Chambres et tarifs",
    "de": "Zimmer und Preise",
    "es": "Habitaciones y precios",
}
BOOKING = {
    "en": "Booking reference",
    "fr": "Référence de réservation",
    "de": "Buchungsnummer",
    "es": "Referencia de la reserva",
}
NOT_FOUND = {
    "en": "We can’t find that page",
    "fr": "Nous ne trouvons pas cette page",
    "de": "Diese Seite finden wir leider nicht",
    "es": "No encontramos esa página",
}
TOTAL = {"en": "€1,234.50", "fr": "1 234,50 €", "de": "1.234,50 €", "es": "1.234,50 €"}
LANGUAGES = ["en", "fr", "de", "es"]


def text(response) -> str:
    """The page with non-breaking and narrow spaces as plain spaces (CLDR writes 1 234,50 € with them)."""
    return response.content.decode().replace("\u202f", " ").replace("\xa0", " ")


def prefixed(language: str, path: str) -> str:
    return path if language == "en" else f"/{language}{path}"


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Each request activates its language and the test client leaves it active: start every test in English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def paris(db):
    rt = RoomTypeFactory(hotel=HotelFactory(name="Hôtel Lumière", city="Paris", slug="hotel-lumiere"))
    open_nights(rt, future(10), 3, price="617.25")
    return rt


def stay_query():
    return {
        "check_in": future(10).isoformat(),
        "check_out": future(12).isoformat(),
        "adults": 2,
        "children": 0,
        "rooms": 1,
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_home_results_and_hotel_pages_speak_each_language_with_its_formats(client, paris, language):
    home = client.get(prefixed(language, "/"))
    assert home.status_code == 200 and html_lang(text(home)) == language and HOME[language] in text(home)

    results = client.get(prefixed(language, "/search/"), {"destination": "Paris", **stay_query()})
    page = text(results)
    assert results.status_code == 200 and html_lang(page) == language
    assert RESULTS[language] in page and TOTAL[language] in page
    weekday = format_date(future(12), "EEE", locale=language).rstrip(".")
    assert weekday.lower() in page.lower()  # "Change search: Paris, <day> – <day>": the locale's day names

    hotel = client.get(prefixed(language, f"/hotels/{paris.hotel.slug}/"), stay_query())
    page = text(hotel)
    assert hotel.status_code == 200 and html_lang(page) == language
    assert HOTEL[language] in page and TOTAL[language] in page


@pytest.mark.parametrize("language", LANGUAGES)
def test_booking_page_and_error_page_in_each_language(client, paris, language):
    user = UserFactory()
    booking = booking_hold(
        room_type=paris,
        stay=Stay(check_in=future(10), check_out=future(12), adults=2),
        guest=GuestDetails(first_name="Ελένη", last_name="李小龍", email=user.email),
        customer=user,
    )
    client.force_login(user)
    response = client.get(prefixed(language, f"/bookings/{booking.reference}/"))
    page = text(response)
    assert response.status_code == 200 and html_lang(page) == language
    assert BOOKING[language] in page and TOTAL[language] in page
    assert format_date(booking.check_in, "EEEE", locale=language).lower() in page.lower()
    assert "Ελένη 李小龍" in page  # nothing assumes Latin script

    missing = client.get(prefixed(language, "/no-such-page/"))
    assert missing.status_code == 404
    assert html_lang(text(missing)) == language and NOT_FOUND[language] in text(missing)


def test_the_money_of_the_yen_has_no_decimals_in_any_language():
    from django.utils import translation

    from display.money import format_money

    for language in LANGUAGES:
        with translation.override(language):
            assert re.fullmatch(r"[^0-9]*1[ ,.\u202f\xa0]?235[^0-9,.]*", format_money(Decimal("1235"), "JPY"))
    with translation.override("fr"):
        assert format_money(Decimal("-5"), "EUR").startswith("\u2212")


def test_a_french_booking_is_made_mailed_reminded_and_receipted_in_french(
    client, bank, paris, django_capture_on_commit_callbacks, settings
):
    start = client.post(
        "/fr/bookings/start/",
        {
            "room_type": paris.pk,
            "children": 0,
            "rooms": 1,
            **{k: v for k, v in stay_query().items() if k != "children" and k != "rooms"},
        },
    )
    assert start.status_code == 302 and start["Location"].startswith("/fr/bookings/new/")
    with django_capture_on_commit_callbacks(execute=True):
        guest = client.post(
            start["Location"],
            {
                "first_name": "Ελένη",
                "last_name": "Dupont",
                "email": "elene@example.com",
                "password1": "un-guessable 42!",
                "password2": "un-guessable 42!",
            },
        )
    assert guest.status_code == 302, text(guest)
    review = client.get(guest["Location"])
    assert "Vérifiez votre réservation" in text(review) and "1 234,50 €" in text(review)
    pay = client.post(guest["Location"], {"expected_total": "1234.50"})
    assert pay.status_code == 302 and pay["Location"].startswith(bank.url)
    booking = Booking.objects.get()
    assert booking.language == "fr"

    # The account made while booking confirms its address first (in French: it signed up on /fr/).
    [verification] = [m for m in mail.outbox if m.to == ["elene@example.com"]]
    assert "Confirmer mon adresse e-mail" in verification.alternatives[0][0]
    link = re.search(r"https?://[^/\s]+(/\S+)", verification.body).group(1)
    assert client.get(link).status_code in (200, 302)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_confirm(booking=booking)
    [confirmation] = [m for m in mail.outbox if m.to == ["elene@example.com"]]
    assert confirmation.subject == f"Votre séjour à l’établissement Hôtel Lumière est confirmé — {booking.reference}"
    body = confirmation.body.replace("\u202f", " ").replace("\xa0", " ")
    assert "Bonjour Ελένη," in body and "1 234,50 €" in body and "Annulation gratuite jusqu’au" in body
    assert f"{settings.SITE_URL}/fr/bookings/{booking.reference}/" in body
    [(html, _)] = confirmation.alternatives
    assert '<html lang="fr">' in html and "Votre réservation est confirmée" in html
    [(filename, pdf, _)] = confirmation.attachments
    receipt = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    receipt = receipt.replace("\u202f", " ").replace("\xa0", " ")
    assert "Reçu" in receipt and "Total payé" in receipt and "1 234,50 €" in receipt
    assert format_date(booking.check_in, "MMMM", locale="fr") in receipt  # French month names
    hotel_mail = next(m for m in mail.outbox if m.to == [booking.hotel.reservations_email])
    assert hotel_mail.subject.startswith("New reservation")  # the hotel's messages stay in the site's language

    # Beat sends the reminder days later, outside any request: still French.
    settings.REMINDER_DAYS_BEFORE = 3
    mail.outbox.clear()
    arrival = timezone.make_aware(
        timezone.datetime.combine(booking.check_in - timedelta(days=3), timezone.datetime.min.time())
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=arrival + timedelta(hours=12)) == 1
    [reminder] = mail.outbox
    assert reminder.subject == f"À bientôt à l’établissement Hôtel Lumière — {booking.reference}"
    assert "votre séjour à l’établissement Hôtel Lumière commence le" in reminder.alternatives[0][0]


def test_the_partner_api_answers_errors_in_the_language_asked(paris):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Api-Key {partner_key_issue(partner=Partner.objects.create(name='Agentur'))}"
    )
    german = client.get("/api/v1/availability/", {"city": "Paris"}, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert german.status_code == 400
    assert german.json()["error"]["message"] == "Einige Felder sind ungültig."
    assert german["Content-Language"] == "de"
    english = client.get("/api/v1/availability/", {"city": "Paris"})
    assert english.json()["error"]["message"] == "Some fields are not valid."
    unknown_key = APIClient().get("/api/v1/availability/", HTTP_AUTHORIZATION="Api-Key nope", HTTP_ACCEPT_LANGUAGE="es")
    assert unknown_key.status_code == 401
    assert unknown_key.json()["error"]["message"] == "Esta clave de API no es válida o ha sido revocada."


def test_the_language_switcher_keeps_the_page_and_is_remembered(client, paris):
    query = "destination=Paris&check_in=" + future(10).isoformat() + "&check_out=" + future(12).isoformat()
    switched = client.get(reverse("language_set"), {"language": "de", "next": f"/search/?{query}"})
    assert switched.status_code == 302 and switched["Location"] == f"/de/search/?{query}"
    back = client.get(reverse("language_set"), {"language": "en", "next": f"/de/search/?{query}"})
    assert back["Location"] == f"/search/?{query}"
    # English chosen: a French browser is no longer sent to /fr/.
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="fr").status_code == 200
    assert (
        client.get(reverse("language_set"), {"language": "fr", "next": "https://evil.example/"})["Location"] == "/fr/"
    )
    # every page links its other languages, for the switcher and for search engines
    home = text(client.get("/de/"))
    assert '<link rel="alternate" hreflang="fr" href="/fr/">' in home and 'hreflang="en" href="/"' in home


def test_a_first_visit_follows_accept_language_and_a_logged_in_guest_their_account(client, paris):
    first = client.get("/search/?destination=Paris", HTTP_ACCEPT_LANGUAGE="fr-CH, fr;q=0.9, en;q=0.8")
    assert first.status_code == 302 and first["Location"] == "/fr/search/?destination=Paris"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB").status_code == 200
    assert client.get("/de/", HTTP_ACCEPT_LANGUAGE="fr").status_code == 200  # the URL wins

    user = UserFactory(preferred_language="es")
    client.force_login(user)
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="de")["Location"] == "/es/"
    client.get(reverse("language_set"), {"language": "de", "next": "/es/"})
    user.refresh_from_db()
    assert user.preferred_language == "de"


def test_the_ci_check_fails_on_a_fuzzy_or_missing_translation(tmp_path):
    shipped = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
    check = [sys.executable, str(ROOT / "scripts" / "i18n.py"), "check"]
    assert subprocess.run([*check, str(shipped)], capture_output=True, text=True).returncode == 0  # nosec B603

    fuzzy = tmp_path / "fr" / "LC_MESSAGES" / "django.po"
    fuzzy.parent.mkdir(parents=True)
    source = shipped.read_text()
    fuzzy.write_text(source.replace('msgid "Find your next stay"', '#, fuzzy\nmsgid "Find your next stay"', 1))
    result = subprocess.run([*check, str(fuzzy)], capture_output=True, text=True)  # nosec B603
    assert result.returncode == 1 and "'Find your next stay': fuzzy" in result.stdout

    fuzzy.write_text(source.replace('msgstr "Trouvez votre prochain séjour"', 'msgstr ""', 1))
    result = subprocess.run([*check, str(fuzzy)], capture_output=True, text=True)  # nosec B603
    assert result.returncode == 1 and "'Find your next stay': not translated" in result.stdout


def test_every_shipped_language_has_a_complete_catalogue():
    from scripts.i18n import check, languages

    assert set(languages()) == {code for code, _ in settings.LANGUAGES} - {settings.LANGUAGE_CODE}
    assert check() == 0


def test_a_city_is_found_by_its_name_in_any_language_and_shown_in_the_readers(client):
    rt = RoomTypeFactory(hotel=HotelFactory(name="Hotel Isar", city="Munich", country="Germany"))
    open_nights(rt, future(10), 3, price="617.25")
    german = client.get("/de/search/", {"destination": "  münchen ", **stay_query()})
    page = text(german)
    assert german.status_code == 200 and "Hotel Isar" in page and "1 Hotel in München" in page
    spanish = text(client.get("/es/search/", {"destination": "Múnich", **stay_query()}))
    assert "Hotel Isar" in spanish and "1 hotel en Múnich" in spanish
    english = text(client.get("/search/", {"destination": "München", **stay_query()}))
    assert "Hotel Isar" in english and "1 hotel in Munich" in english  # typed in German, read in English
    nowhere = text(client.get("/de/search/", {"destination": "Atlantis", **stay_query()}))
    assert "In dieser Stadt haben wir noch keine Hotels" in nowhere


def test_catalogue_content_is_edited_per_language_with_the_default_as_fallback(client, admin_client, paris):
    hotel = paris.hotel
    Hotel.objects.filter(pk=hotel.pk).update(
        description_en="A quiet courtyard hotel.",
        description_de="Ein ruhiges Hotel mit Innenhof.",
        name_de="Hotel Licht",
    )
    paris.__class__.objects.filter(pk=paris.pk).update(name_de="Doppelzimmer")
    german = text(client.get(f"/de/hotels/{hotel.slug}/", stay_query()))
    assert "Ein ruhiges Hotel mit Innenhof." in german and "Hotel Licht" in german and "Doppelzimmer" in german
    french = text(client.get(f"/fr/hotels/{hotel.slug}/", stay_query()))
    assert "A quiet courtyard hotel." in french and "Hôtel Lumière" in french  # nothing in French: the default

    results = text(client.get("/de/search/", {"destination": "Paris", **stay_query()}))
    assert "Hotel Licht" in results

    partner = Partner.objects.create(name="Agentur")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {partner_key_issue(partner=partner)}")
    query = {"city": "Paris", "check_in": future(10).isoformat(), "check_out": future(12).isoformat(), "adults": 2}
    assert "Hotel Licht" in api.get("/api/v1/availability/", query, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Hôtel Lumière" in api.get("/api/v1/availability/", query, HTTP_ACCEPT_LANGUAGE="es").content.decode()

    # Staff edit each language in the admin.
    form = text(admin_client.get(f"/{settings.ADMIN_URL}hotels/hotel/{hotel.pk}/change/"))
    for field in ("name_en", "name_fr", "name_de", "name_es", "description_fr"):
        assert f'name="{field}"' in form


def test_the_profile_sets_the_accounts_language(client):
    user = UserFactory()
    client.force_login(user)
    form = text(client.get("/de/accounts/profile/"))
    assert '<option value="fr">Français</option>' in form
    saved = client.post("/de/accounts/profile/", {"first_name": "Ada", "last_name": "L", "preferred_language": "fr"})
    assert saved.status_code in (200, 302)
    user.refresh_from_db()
    assert user.preferred_language == "fr"
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="de")["Location"] == "/fr/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "language, expected",
    [
        ("fr", "exige un séjour d’au moins 3 nuits à partir du 12 mars"),
        ("de", "setzt ab dem 12. März einen Aufenthalt von mindestens 3 Nächten voraus"),
        ("es", "exige una estancia mínima de 3 noches a partir del 12 de marzo"),
    ],
)
def test_why_a_rate_cannot_sell_a_stay_is_said_in_the_guests_language(language, expected):
    plan = RatePlanFactory(name="Long stay", min_stay=3)
    with translation.override(language):
        reason = plan_closed_reason(plan, check_in=date(2027, 3, 12), check_out=date(2027, 3, 13), own={})
    assert reason.endswith(expected + ".")
    assert "Long stay" in reason
