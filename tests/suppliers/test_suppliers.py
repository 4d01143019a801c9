"""Supplier hotels (resold from other sites) in search and booked end to end, against real HTTP suppliers on local ports: the
sandbox supplier shipped in the repo (with its fault modes) and this very site's partner API (live_server)."""

import logging
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from bookings.models import Booking
from hotels.stay import Stay
from partners.models import Partner
from partners.services import partner_key_issue
from suppliers.models import Supplier, SupplierBooking
from suppliers.sandbox_supplier import API_KEY, run_sandbox_supplier
from suppliers.search import supplier_offers
from tests.bookings.test_flow import APPROVE, come_back, pay_at_bank
from tests.factories import HotelFactory, RoomTypeFactory, UserFactory, future, open_nights

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]  # the books add up after every flow


@pytest.fixture
def sandbox():
    server = run_sandbox_supplier(delay=3.0)
    yield server
    server.shutdown()


@pytest.fixture
def supplier(sandbox):
    return Supplier.objects.create(name="Sandbox Travel", base_url=sandbox.url, api_key=API_KEY, timeout_ms=2000)


@pytest.fixture
def own_hotel(db):
    rt = RoomTypeFactory(hotel=HotelFactory(name="Our Paris Hotel", city="Paris"))
    open_nights(rt, future(10), 5, price="130.00")
    return rt.hotel


def search_params(**over):
    return {
        "destination": "Paris",
        "check_in": future(10).isoformat(),
        "check_out": future(12).isoformat(),
        "adults": 2,
        "children": 0,
        "rooms": 1,
        **over,
    }


def stay():
    return Stay(check_in=future(10), check_out=future(12), adults=2)


def test_search_mixes_supplier_hotels_with_ours_by_price(client, supplier, own_hotel):
    page = client.get(reverse("hotels:search"), search_params())
    body = page.content.decode()
    assert page.status_code == 200 and "+ 3 from suppliers" in body
    names = [h.name for h in page.context["results"].hotels]
    # Sandbox prices: 2 nights × 90 / 115 / 140 + 8.00 city tax = 188 / 238 / 288; ours 2 × 130 = 260.
    assert names == ["Partner Inn Paris", "Harbour Lodge Paris", "Our Paris Hotel", "Maison des Amis Paris"]
    assert "via Sandbox Travel" in body and "€188.00" in body and "Book with Sandbox Travel" in body


def test_the_same_hotel_twice_is_shown_once(client, supplier, sandbox, own_hotel):
    Supplier.objects.create(name="Sandbox Twin", base_url=sandbox.url, api_key=API_KEY)
    HotelFactory(name="Harbour Lodge Paris", city="Paris")  # ours too, but without rooms these dates
    hotels = supplier_offers(city="Paris", stay=stay(), own_hotels=[own_hotel])
    assert sorted(h.hotel["name"] for h in hotels) == [
        "Harbour Lodge Paris",
        "Maison des Amis Paris",
        "Partner Inn Paris",
    ]
    ours = supplier_offers(
        city="Paris", stay=stay(), own_hotels=[HotelFactory.build(name="partner inn paris", city="Paris")]
    )
    assert "Partner Inn Paris" not in [h.hotel["name"] for h in ours]


def test_a_supplier_that_never_answers_costs_the_page_no_more_than_the_budget(
    client, settings, supplier, sandbox, own_hotel, caplog
):
    settings.SUPPLIER_BUDGET_MS = 400
    sandbox.mode = "hang"
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="staybook.suppliers"):
        page = client.get(reverse("hotels:search"), search_params())
    elapsed = time.monotonic() - started
    assert page.status_code == 200 and "Our Paris Hotel" in page.content.decode()
    assert "from suppliers" not in page.content.decode()
    assert elapsed < 3.0  # the supplier hangs for 60 s; the page waited 0.4 s for it
    assert any(
        "Sandbox Travel" in r.getMessage() and "no answer within 400 ms" in r.getMessage() for r in caplog.records
    )
    assert Supplier.objects.get().last_error.startswith("no answer within")


@pytest.mark.parametrize("mode", ["error", "garbage", "currency"])
def test_broken_suppliers_leave_our_results_alone(client, supplier, sandbox, own_hotel, mode, caplog):
    sandbox.mode = mode
    with caplog.at_level(logging.WARNING, logger="staybook.suppliers"):
        page = client.get(reverse("hotels:search"), search_params())
    assert page.status_code == 200 and "Our Paris Hotel" in page.content.decode()
    assert "from suppliers" not in page.content.decode()
    if mode != "currency":  # another currency is dropped offer by offer, not a failure of the supplier
        assert Supplier.objects.get().consecutive_failures == 1
        assert any("Sandbox Travel failed" in r.getMessage() for r in caplog.records)


def test_thousands_of_hotels_never_hold_up_or_break_the_page(client, settings, supplier, sandbox, own_hotel):
    settings.SUPPLIER_BUDGET_MS = 800
    sandbox.mode = "many"
    started = time.monotonic()
    page = client.get(reverse("hotels:search"), search_params())
    assert page.status_code == 200 and "Our Paris Hotel" in page.content.decode()
    assert time.monotonic() - started < 3.0


def test_an_answer_with_thousands_of_hotels_is_capped(settings, supplier, sandbox):
    settings.SUPPLIER_MAX_HOTELS, settings.SUPPLIER_MAX_ANSWER_BYTES = 25, 50_000_000
    sandbox.mode = "many"
    hotels = supplier_offers(city="Paris", stay=stay(), budget=20)
    assert len(hotels) == 25


def test_the_circuit_breaker_skips_a_failing_supplier_then_tries_again(settings, supplier, sandbox):
    settings.SUPPLIER_BREAKER_FAILURES, settings.SUPPLIER_BREAKER_SECONDS = 3, 60
    sandbox.mode = "error"
    for _ in range(3):
        cache.clear()
        assert supplier_offers(city="Paris", stay=stay()) == []
    supplier.refresh_from_db()
    assert supplier.is_open and supplier.open_until > timezone.now() + timedelta(seconds=50)
    asked = len(sandbox.requests)
    cache.clear()
    assert supplier_offers(city="Paris", stay=stay()) == []
    assert len(sandbox.requests) == asked  # skipped while open
    sandbox.mode = "ok"
    Supplier.objects.update(open_until=timezone.now() - timedelta(seconds=1))  # the cool-down is over
    assert len(supplier_offers(city="Paris", stay=stay())) == 3
    supplier.refresh_from_db()
    assert not supplier.is_open and supplier.consecutive_failures == 0 and supplier.last_success_at


def test_answers_are_cached_per_supplier_and_query(supplier, sandbox):
    supplier_offers(city="Paris", stay=stay())
    supplier_offers(city="Paris", stay=stay())
    assert sandbox.requests.count("GET /api/v1/availability/") == 1
    supplier_offers(city="London", stay=stay())
    assert sandbox.requests.count("GET /api/v1/availability/") == 2


def test_the_admin_shows_an_unhealthy_supplier(client, supplier):
    Supplier.objects.update(open_until=timezone.now() + timedelta(seconds=30), last_error="HTTP 500")
    client.force_login(UserFactory(email="root@example.com", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:suppliers_supplier_changelist")).content.decode()
    assert "unhealthy" in page and "HTTP 500" in page and API_KEY not in page


# --- booking -----------------------------------------------------------------------------------------------------


def book_supplier_hotel(client, bank, name="Partner Inn Paris"):
    client.force_login(UserFactory(email="traveller@example.com", first_name="Ada", last_name="Byron"))
    results = client.get(reverse("hotels:search"), search_params())
    resold = next(h for h in results.context["results"].hotels if getattr(h, "is_resold", False) and h.name == name)
    page = client.get(resold.book_url)
    assert page.status_code == 200 and "via Sandbox Travel" in page.content.decode()
    pay = client.post(
        resold.book_url,
        {
            "first_name": "Ada",
            "last_name": "Byron",
            "email": "traveller@example.com",
            "phone": "",
            "special_requests": "",
            "expected_total": str(resold.total),
        },
    )
    assert pay.status_code == 302 and pay["Location"].startswith(bank.url), pay
    return Booking.objects.get(), pay["Location"]


def test_a_guest_books_and_pays_for_a_supplier_hotel_which_is_then_placed(
    client, bank, supplier, sandbox, own_hotel, django_capture_on_commit_callbacks
):
    booking, bank_url = book_supplier_hotel(client, bank)
    assert booking.status == "pending_payment" and booking.total == Decimal("188.00") and not booking.hotel.is_active
    with django_capture_on_commit_callbacks(execute=True):
        come_back(client, pay_at_bank(bank_url, APPROVE))
    booking.refresh_from_db()
    link = SupplierBooking.objects.get()
    assert booking.status == "confirmed" and link.status == "placed" and link.remote_reference.startswith("SP-")
    placed = sandbox.bookings[link.remote_reference]
    assert placed["idempotency_key"] == f"staybook-{booking.reference}"
    assert (
        placed["request"]["expected_total"] == "188.00" and placed["request"]["partner_reference"] == booking.reference
    )
    detail = client.get(booking.get_absolute_url()).content.decode()
    assert f"their reference <strong>{link.remote_reference}</strong>" in detail
    # Placing again (a redelivered task) books nothing twice.
    from suppliers.services import supplier_booking_place

    supplier_booking_place(booking=booking)
    assert len(sandbox.bookings) == 1
    # The mirror hotel never shows in our own search.
    assert "Partner Inn Paris" not in [
        h.name
        for h in client.get(reverse("hotels:search"), search_params()).context["results"].hotels
        if not getattr(h, "is_resold", False)
    ]


def test_a_refusal_by_the_supplier_refunds_the_guest_and_says_so(
    client, bank, supplier, sandbox, own_hotel, django_capture_on_commit_callbacks
):
    booking, bank_url = book_supplier_hotel(client, bank)
    sandbox.mode = "refuse"
    with django_capture_on_commit_callbacks(execute=True):
        come_back(client, pay_at_bank(bank_url, APPROVE))
    booking.refresh_from_db()
    link = SupplierBooking.objects.get()
    assert link.status == "refused" and booking.status == "cancelled"
    assert booking.refunded_amount == booking.total == Decimal("188.00") and booking.cancellation_penalty == 0
    detail = client.get(booking.get_absolute_url()).content.decode()
    assert "Sandbox Travel could not confirm this room" in detail and "refunded in full" in detail


def test_a_cancellation_is_forwarded_to_the_supplier(
    client, bank, supplier, sandbox, own_hotel, django_capture_on_commit_callbacks
):
    booking, bank_url = book_supplier_hotel(client, bank)
    with django_capture_on_commit_callbacks(execute=True):
        come_back(client, pay_at_bank(bank_url, APPROVE))
    link = SupplierBooking.objects.get()
    assert link.status == "placed"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("bookings:cancel", kwargs={"reference": booking.reference}))
    link.refresh_from_db()
    booking.refresh_from_db()
    assert booking.status == "cancelled" and link.status == "cancelled"
    assert sandbox.bookings[link.remote_reference]["status"] == "cancelled"
    assert booking.refunded_amount == 0  # the supplier's rate was non-refundable: its policy was kept


def test_a_price_change_before_paying_is_shown_not_charged(client, bank, supplier, sandbox, own_hotel):
    client.force_login(UserFactory(email="traveller@example.com"))
    results = client.get(reverse("hotels:search"), search_params())
    resold = next(h for h in results.context["results"].hotels if getattr(h, "is_resold", False))
    response = client.post(
        resold.book_url,
        {"first_name": "Ada", "last_name": "Byron", "email": "traveller@example.com", "expected_total": "1.00"},
        follow=True,
    )
    assert "The price changed" in response.content.decode() and not Booking.objects.exists()


def test_junk_offer_links_are_refused_plainly(client, supplier):
    client.force_login(UserFactory(email="traveller@example.com"))
    for query in ("", "supplier=x", f"supplier={supplier.pk}&hotel=1&room_type=1&check_in=2020-01-01"):
        response = client.get(reverse("suppliers:book") + "?" + query, follow=True)
        assert response.status_code == 200 and "isn&#x27;t valid any more" in response.content.decode()
    query = f"supplier={supplier.pk}&hotel=424242&room_type=1&" + "&".join(
        f"{k}={v}" for k, v in search_params().items() if k != "destination"
    )
    response = client.get(reverse("suppliers:book") + "?" + query, follow=True)
    assert "no longer available at our partner" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_any_instance_of_this_site_can_be_a_supplier(live_server):
    """Our own partner API, served for real on a local port, is a supplier: offers parse, bookings place."""
    rt = RoomTypeFactory(hotel=HotelFactory(name="Hôtel du Réseau", city="Lyon"))
    open_nights(rt, future(10), 5, price="120.00")
    partner = Partner.objects.create(name="Our other site")
    supplier = Supplier.objects.create(
        name="Staybook Lyon", base_url=live_server.url, api_key=partner_key_issue(partner=partner), timeout_ms=5000
    )
    [hotel] = supplier_offers(city="Lyon", stay=stay(), budget=10)
    assert hotel.hotel["name"] == "Hôtel du Réseau" and hotel.best.total == Decimal("240.00")
    from bookings.services import GuestDetails
    from suppliers.services import supplier_booking_hold, supplier_booking_place

    booking = supplier_booking_hold(
        supplier=supplier,
        remote_hotel_id=hotel.remote_id,
        remote_room_type_id=hotel.best.remote_room_type_id,
        remote_rate_plan_id=hotel.best.remote_rate_plan_id,
        stay=stay(),
        guest=GuestDetails(first_name="Ada", last_name="Byron", email="ada@example.com"),
        customer=None,
        expected_total=Decimal("240.00"),
    )
    Booking.objects.filter(pk=booking.pk).update(status="confirmed")
    booking.refresh_from_db()
    link = supplier_booking_place(booking=booking)
    remote = Booking.objects.get(reference=link.remote_reference)
    assert link.status == "placed" and remote.partner == partner and remote.partner_reference == booking.reference
    assert remote.total == booking.total and remote.status == "confirmed"


def test_links_to_the_old_partner_hotels_address_still_lead_to_the_offer(client, supplier):
    query = f"supplier={supplier.pk}&hotel=1&room_type=2&rate_plan=&check_in=2031-05-01"
    response = client.get("/partner-hotels/book/?" + query)
    assert response.status_code == 308 and response["Location"] == reverse("suppliers:book") + "?" + query
    assert reverse("suppliers:book") == "/supplier-hotels/book/"


def test_with_no_offer_source_configured_no_supplier_is_asked(client, settings, supplier, sandbox, own_hotel):
    settings.SEARCH_OFFER_SOURCES = []
    page = client.get(reverse("hotels:search"), search_params())
    assert [h.name for h in page.context["results"].hotels] == ["Our Paris Hotel"]
    assert "from suppliers" not in page.content.decode() and not sandbox.requests
