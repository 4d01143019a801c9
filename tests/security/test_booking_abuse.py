"""Finding 4: every door that creates an account shares the sign-up limit, and booking mail goes only to an
address the booker has shown they can read (their own, or another one confirmed with a code)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from bookings.models import Booking
from suppliers.models import Supplier
from suppliers.sandbox_supplier import API_KEY, run_sandbox_supplier
from tests.bookings.test_flow import GUEST, room, start  # noqa: F401 - room is a fixture
from tests.factories import UserFactory, future

pytestmark = pytest.mark.django_db
PASSWORD = "un-guessable 42!"


def test_the_guest_step_shares_the_sign_up_limit(client, room):  # noqa: F811
    for n in range(10):  # accounts.limits.ACCOUNT_CREATE_RATE
        client.post("/accounts/signup/", {"email": f"bulk{n}@example.com"})
    guest_url = start(client, room)
    response = client.post(guest_url, {**GUEST, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 429
    assert not User.objects.filter(email=GUEST["email"]).exists()


def test_sign_ups_through_the_guest_step_count_against_the_sign_up_page(client, room):  # noqa: F811
    for n in range(10):
        client.logout()
        guest_url = start(client, room)
        client.post(
            guest_url, {**GUEST, "email": f"guest{n}@example.com", "password1": PASSWORD, "password2": PASSWORD}
        )
    client.logout()
    assert User.objects.filter(email__startswith="guest").count() == 10
    assert client.post("/accounts/signup/", {"email": "one-more@example.com"}).status_code == 429


@pytest.fixture
def customer(client):
    user = UserFactory(email="mallory@example.com")
    client.force_login(user)
    return user


def code_from(message) -> str:
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def test_a_different_guest_address_is_confirmed_before_anything_is_held(client, customer, room):  # noqa: F811
    guest_url = start(client, room)
    victim = {**GUEST, "email": "victim@example.org", "first_name": "Click", "last_name": "http://evil.example"}
    response = client.post(guest_url, victim)
    assert response.status_code == 302 and response["Location"].startswith(reverse("bookings:guest_email_verify"))
    [message] = mail.outbox
    assert message.to == ["victim@example.org"]
    assert "evil.example" not in message.body and "Click" not in message.body  # only our own words
    review_url = reverse("bookings:review", kwargs={"token": guest_url.split("/")[3]})
    assert client.get(review_url)["Location"].startswith(reverse("bookings:guest_email_verify"))
    assert client.post(review_url, {"expected_total": "248.00"}).status_code == 302
    assert not Booking.objects.exists()

    verify_url = response["Location"]
    wrong = client.post(verify_url, {"code": "000000" if code_from(message) != "000000" else "111111"})
    assert wrong.status_code == 400 and "has expired" in wrong.content.decode()
    right = client.post(verify_url, {"code": code_from(message)})
    assert right.status_code == 302 and right["Location"] == review_url
    assert client.get(review_url).status_code == 200


def test_the_code_stops_working_after_five_wrong_tries(client, customer, room):  # noqa: F811
    response = client.post(start(client, room), {**GUEST, "email": "other@example.org"})
    code = code_from(mail.outbox[0])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(response["Location"], {"code": wrong})
    assert client.post(response["Location"], {"code": code}).status_code == 400


def test_the_bookers_own_address_needs_no_code(client, customer, room):  # noqa: F811
    response = client.post(start(client, room), {**GUEST, "email": "Mallory@Example.com"})
    assert response["Location"].endswith("/review/") and not mail.outbox


def test_codes_are_limited_per_account(client, customer, room):  # noqa: F811
    for n in range(5):
        client.post(start(client, room), {**GUEST, "email": f"target{n}@example.org"})
    assert len(mail.outbox) == 5
    response = client.post(start(client, room), {**GUEST, "email": "target-more@example.org"})
    assert response.status_code == 200 and "too many codes" in response.content.decode()
    assert len(mail.outbox) == 5


@pytest.fixture
def supplier():
    server = run_sandbox_supplier()
    yield Supplier.objects.create(name="Sandbox Travel", base_url=server.url, api_key=API_KEY, timeout_ms=2000)
    server.shutdown()


def test_a_partner_hotel_booking_confirms_a_different_guest_address_too(client, customer, supplier, bank):
    offer = (
        f"{reverse('suppliers:book')}?supplier={supplier.pk}&hotel=9001&room_type=90010&rate_plan=900100"
        f"&check_in={future(10)}&check_out={future(12)}&adults=2&children=0&rooms=1"
    )
    page = client.get(offer)
    assert page.status_code == 200
    typed = {**GUEST, "email": "friend@example.org", "expected_total": page.context["form"].initial["expected_total"]}
    response = client.post(offer, typed)
    assert response["Location"].startswith(reverse("bookings:guest_email_verify")) and not Booking.objects.exists()
    back = client.post(response["Location"], {"code": code_from(mail.outbox[0])})
    again = client.get(back["Location"])
    assert again.context["form"].initial["email"] == "friend@example.org"
    assert again.context["form"].initial["first_name"] == "Grace"
    paid = client.post(offer, typed)
    assert paid.status_code == 302 and paid["Location"].startswith(bank.url)
    assert Booking.objects.get().guest_email == "friend@example.org"
