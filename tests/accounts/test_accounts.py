import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


def test_sign_up_logs_in_with_an_argon2_hash(client):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "Ada@Example.com",
            "first_name": "Ada",
            "last_name": "L",
            "password1": "engine 1843 notes",
            "password2": "engine 1843 notes",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/bookings/"
    user = User.objects.get()
    assert user.email == "ada@example.com" and user.password.startswith("argon2")
    assert client.get("/bookings/").status_code == 200


def test_duplicate_email_in_another_case_and_weak_password(client):
    UserFactory(email="ada@example.com")
    taken = client.post(
        reverse("accounts:signup"),
        {
            "email": "ADA@example.com",
            "first_name": "A",
            "last_name": "L",
            "password1": "engine 1843 notes",
            "password2": "engine 1843 notes",
        },
    )
    assert "already exists" in taken.content.decode()
    weak = client.post(
        reverse("accounts:signup"),
        {
            "email": "new@example.com",
            "first_name": "A",
            "last_name": "L",
            "password1": "12345678",
            "password2": "12345678",
        },
    )
    assert "too common" in weak.content.decode() or "entirely numeric" in weak.content.decode()
    assert User.objects.count() == 1


def test_login_logout_and_no_logout_by_get(client):
    UserFactory(email="ada@example.com")
    response = client.post(reverse("accounts:login"), {"username": "ADA@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get("/bookings/").status_code == 302


def test_login_is_locked_after_repeated_failures(client, settings):
    UserFactory(email="ada@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "ada@example.com", "password": "wrong"})
    locked = client.post(reverse("accounts:login"), {"username": "ada@example.com", "password": PASSWORD})
    assert locked.status_code == 429 and "Too many failed attempts" in locked.content.decode()
    other_ip = client.post(
        reverse("accounts:login"), {"username": "ada@example.com", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert other_ip.status_code == 429  # locked per account too, whatever the IP


def test_password_reset_end_to_end(client):
    UserFactory(email="ada@example.com")
    client.post(reverse("accounts:password_reset"), {"email": "ada@example.com"})
    [message] = mail.outbox
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line).strip()
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a brand new secret 7", "new_password2": "a brand new secret 7"},
    )
    assert response.status_code == 302
    login = client.post(reverse("accounts:login"), {"username": "ada@example.com", "password": "a brand new secret 7"})
    assert login.status_code == 302


def test_profile_requires_login_and_saves(client):
    assert client.get(reverse("accounts:profile")).status_code == 302
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"), {"first_name": "Grace", "last_name": "Hopper", "phone": "+1 555", "country": "USA"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.country) == ("Grace", "USA")


def test_next_parameter_never_redirects_off_site(client):
    UserFactory(email="ada@example.com")
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/steal",
        {"username": "ada@example.com", "password": PASSWORD},
    )
    assert response["Location"] == "/bookings/"
    response = client.post(
        reverse("accounts:signup") + "?next=//evil.example",
        {
            "email": "b@example.com",
            "first_name": "B",
            "last_name": "C",
            "password1": "engine 1843 notes",
            "password2": "engine 1843 notes",
        },
    )
    assert response["Location"] == "/bookings/"


@pytest.mark.parametrize("field", ["email", "first_name", "password1"])
def test_garbage_sign_up_input_never_500(client, field):
    data = {
        "email": "x@example.com",
        "first_name": "A",
        "last_name": "B",
        "password1": "engine 1843 notes",
        "password2": "engine 1843 notes",
        field: "ǅ\u202e" * 5000,
    }
    assert client.post(reverse("accounts:signup"), data).status_code == 200


def test_one_address_cannot_try_many_accounts(client):
    from django.core.cache import cache

    cache.clear()
    codes = [
        client.post(reverse("accounts:login"), {"username": f"user{i}@example.com", "password": "x"}).status_code
        for i in range(31)
    ]
    assert codes[:30] == [200] * 30 and codes[30] == 429
