"""The website booking flow end to end, with the real sandbox bank on a local port."""

from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.urls import reverse

from accounts.models import User
from bookings.models import Booking
from hotels.models import NightInventory
from payments.models import Payment, Receipt
from tests.factories import RoomTypeFactory, TaxFactory, UserFactory, future, open_nights

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]  # the books add up after every flow

APPROVE, DECLINE, HANG = "4242424242424242", "4000000000000002", "4000000000000119"


def start(client, rt, nights=2, rooms=1, adults=2):
    response = client.post(
        reverse("bookings:start"),
        {
            "room_type": rt.pk,
            "check_in": future(10).isoformat(),
            "check_out": future(10 + nights).isoformat(),
            "adults": adults,
            "children": 0,
            "rooms": rooms,
        },
    )
    assert response.status_code == 302, response.content
    return response["Location"]


GUEST = {
    "first_name": "Grace",
    "last_name": "Hopper",
    "email": "grace@example.com",
    "phone": "+33 1 23 45 67 89",
    "special_requests": "Quiet room please",
}


def to_review(client, rt, **kw):
    guest_url = start(client, rt, **kw)
    response = client.post(guest_url, {**GUEST, "password1": "un-guessable 42!", "password2": "un-guessable 42!"})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    return response["Location"]


def pay_at_bank(bank_url, card):
    """What the customer's browser does on the bank's hosted page; returns our return URL."""
    page = requests.get(bank_url, timeout=5)
    assert page.status_code == 200
    answer = requests.post(
        bank_url,
        data={"card_number": card, "expiry": "12/39", "cvc": "123", "name": "Grace Hopper", "action": "pay"},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code in (302, 303), answer.text[:500]
    return answer.headers["Location"]


def come_back(client, return_url):
    parsed = urlparse(return_url)
    return client.get(parsed.path, parse_qs(parsed.query))


def sold(rt):
    return list(NightInventory.objects.filter(room_type=rt).order_by("date").values_list("rooms_sold", flat=True))


@pytest.fixture
def room(db):
    rt = RoomTypeFactory(name="Garden Double")
    TaxFactory(hotel=rt.hotel, amount=Decimal("2.00"))
    open_nights(rt, future(10), 3, price="120.00", rooms=2)
    return rt


def test_guest_books_and_pays_end_to_end(client, bank, room):
    review_url = to_review(client, room)
    user = User.objects.get(email="grace@example.com")
    assert user.password.startswith("argon2")
    review = client.get(review_url)
    assert "€248.00" in review.content.decode()  # 2 × 120 + 2.00 × 2 guests × 2 nights
    pay = client.post(review_url, {"expected_total": "248.00"})
    assert pay.status_code == 302 and pay["Location"].startswith(bank.url)
    booking = Booking.objects.get()
    assert booking.status == "pending_payment" and sold(room) == [1, 1, 0]

    detail = come_back(client, pay_at_bank(pay["Location"], APPROVE))
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    payment = Payment.objects.get()
    assert payment.status == "paid" and payment.card_last4 == "4242" and payment.card_brand == "visa"
    assert payment.bank_transaction_id and payment.authorization_code
    assert APPROVE not in str(payment.bank_responses)
    assert detail.status_code == 302
    page = client.get(detail["Location"])
    assert "is confirmed" in page.content.decode()
    receipt = client.get(reverse("bookings:receipt", kwargs={"reference": booking.reference}))
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    assert Receipt.objects.get().number.startswith("R")


def test_double_clicked_pay_opens_one_session_and_charges_once(client, bank, room):
    review_url = to_review(client, room)
    first = client.post(review_url, {"expected_total": "248.00"})
    second = client.post(review_url, {"expected_total": "248.00"})
    assert first["Location"] == second["Location"]
    assert Booking.objects.count() == 1 and Payment.objects.count() == 1
    return_url = pay_at_bank(first["Location"], APPROVE)
    come_back(client, return_url)
    come_back(client, return_url)  # back button / reload on the return page
    assert Booking.objects.get().status == "confirmed"
    assert Payment.objects.get().status == "paid"
    assert sold(room) == [1, 1, 0]


def test_declined_card_releases_the_nights(client, bank, room):
    review_url = to_review(client, room)
    pay = client.post(review_url, {"expected_total": "248.00"})
    response = come_back(client, pay_at_bank(pay["Location"], DECLINE))
    assert Booking.objects.get().status == "payment_failed"
    assert Payment.objects.get().failure_code == "card_declined"
    assert sold(room) == [0, 0, 0]
    assert "declined" in client.get(response["Location"]).content.decode()


def test_bank_that_never_answers_leaves_the_payment_unknown(client, bank, room):
    review_url = to_review(client, room)
    pay = client.post(review_url, {"expected_total": "248.00"})
    response = come_back(client, pay_at_bank(pay["Location"], HANG))
    payment = Payment.objects.get()
    assert payment.status == "unknown"
    assert Booking.objects.get().status == "pending_payment"
    assert "waiting for the bank" in client.get(response["Location"]).content.decode()


def test_tampered_total_is_refused_and_nothing_is_held(client, bank, room):
    review_url = to_review(client, room)
    response = client.post(review_url, {"expected_total": "1.00"})
    assert response.status_code == 302 and response["Location"] == review_url
    assert not Booking.objects.exists() and sold(room) == [0, 0, 0]
    garbage = client.post(review_url, {"expected_total": "lots"})
    assert garbage.status_code == 302 and not Booking.objects.exists()


def test_tampered_quantity_beyond_availability_is_refused(client, room):
    client.force_login(UserFactory())
    response = client.post(
        reverse("bookings:start"),
        {
            "room_type": room.pk,
            "check_in": future(10).isoformat(),
            "check_out": future(12).isoformat(),
            "adults": 30,
            "children": 0,
            "rooms": 30,
        },
    )
    assert response.status_code == 302
    assert not Booking.objects.exists()


@pytest.mark.other_sales
def test_sold_out_between_review_and_pay_names_the_night(client, bank, room):
    review_url = to_review(client, room)
    NightInventory.objects.filter(room_type=room, date=future(11)).update(rooms_sold=2)
    response = client.post(review_url, {"expected_total": "248.00"}, follow=True)
    assert "no longer available" in response.content.decode()
    assert not Booking.objects.exists()


def test_existing_account_must_log_in_and_keeps_the_draft(client, room):
    UserFactory(email="grace@example.com")
    guest_url = start(client, room)
    response = client.post(guest_url, {**GUEST, "password1": "un-guessable 42!", "password2": "un-guessable 42!"})
    assert "already exists" in response.content.decode()
    login = client.post(
        reverse("accounts:login") + f"?next={guest_url}",
        {"username": "grace@example.com", "password": "correct horse battery"},
    )
    assert login.status_code == 302 and login["Location"] == guest_url
    assert client.get(guest_url).status_code == 200


def test_the_guest_pages_log_in_links_come_back_to_the_booking(client, room):
    """The guest step's own "Log in" links return to the booking after logging in (the header's link, rendered
    before the page's content, used to overwrite them with the bare login address)."""
    UserFactory(email="grace@example.com")
    guest_url = start(client, room)
    page = client.post(guest_url, {**GUEST, "password1": "un-guessable 42!", "password2": "un-guessable 42!"})
    html = page.content.decode()
    header, _, rest = html.partition('<main id="main"')
    content = rest.partition("</main>")[0]
    login = reverse("accounts:login")
    assert f'href="{login}"' in header
    assert content.count(f'href="{login}?next={guest_url}"') >= 2  # the notice and the e-mail field's error
    assert f'href="{login}"' not in content


def test_customers_cannot_see_each_others_bookings(client, bank, room):
    review_url = to_review(client, room)
    client.post(review_url, {"expected_total": "248.00"})
    booking = Booking.objects.get()
    client.force_login(UserFactory(email="mallory@example.com"))
    for name in ("detail", "receipt", "cancel"):
        assert client.get(reverse(f"bookings:{name}", kwargs={"reference": booking.reference})).status_code == 404
    assert client.post(reverse("bookings:cancel", kwargs={"reference": booking.reference})).status_code == 404
    assert booking.reference not in client.get(reverse("bookings:my_bookings")).content.decode()
    client.logout()
    anonymous = client.get(reverse("bookings:detail", kwargs={"reference": booking.reference}))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_cancel_refunds_through_the_bank_and_releases(client, bank, room, django_capture_on_commit_callbacks):
    review_url = to_review(client, room)
    pay = client.post(review_url, {"expected_total": "248.00"})
    come_back(client, pay_at_bank(pay["Location"], APPROVE))
    booking = Booking.objects.get()
    url = reverse("bookings:cancel", kwargs={"reference": booking.reference})
    assert "€248.00" in client.get(url).content.decode()  # free cancellation: all refunded
    with django_capture_on_commit_callbacks(execute=True):  # the refund is sent by a task after the commit
        client.post(url)
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.refunded_amount == Decimal("248.00")
    assert Payment.objects.get().status == "refunded"
    assert sold(room) == [0, 0, 0]
    again = client.post(url, follow=True)
    assert "already cancelled" in again.content.decode()
    assert Payment.objects.get().refunds.count() == 1


def test_webhook_confirms_and_a_bad_signature_is_rejected(client, bank, room):
    from payments.gateways import get_gateway

    review_url = to_review(client, room)
    pay = client.post(review_url, {"expected_total": "248.00"})
    pay_at_bank(pay["Location"], APPROVE)
    payment = Payment.objects.get()
    status = get_gateway().get_status(payment.bank_session_id)
    import hashlib
    import hmac
    import json
    import time

    body = json.dumps(
        {"id": "evt_test", "type": "payment.succeeded", "created": int(time.time()), "data": status.raw}
    ).encode()
    ts = str(int(time.time()))
    good = hmac.new(bank.webhook_secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    url = reverse("payments:webhook")
    bad = client.post(url, body, content_type="application/json", HTTP_BANK_SIGNATURE=f"t={ts},v1={'0' * 64}")
    assert bad.status_code == 400
    unsigned = client.post(url, body, content_type="application/json")
    assert unsigned.status_code == 400
    assert Booking.objects.get().status == "pending_payment"
    for _ in range(2):
        ok = client.post(url, body, content_type="application/json", HTTP_BANK_SIGNATURE=f"t={ts},v1={good}")
        assert ok.status_code == 200
    assert Booking.objects.get().status == "confirmed"
    assert Booking.objects.get().status_changes.filter(to_status="confirmed").count() == 1
