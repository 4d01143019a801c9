import re
import time
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from accounts.services import AccountExists, user_create
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
    response = reset_password_by_email(client, "ADA@example.com", "a brand new secret 7")
    assert response["Location"] == reverse("accounts:password_reset_complete")
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


def test_one_address_cannot_try_many_accounts(client, monkeypatch):
    # django-ratelimit counts in fixed windows: hold its clock still so the 31 posts cannot straddle two of them
    now = time.time()
    monkeypatch.setattr("django_ratelimit.core.time", SimpleNamespace(time=lambda: now))
    codes = [
        client.post(reverse("accounts:login"), {"username": f"user{i}@example.com", "password": "x"}).status_code
        for i in range(31)
    ]
    assert codes[:30] == [200] * 30 and codes[30] == 429


# --- user_create: the rule the sign-up page and the booking flow share ---------------------------------------


def test_user_create_queues_the_welcome_email_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user = user_create(email=" Grace@Example.COM ", password="engine 1843 notes", first_name="Grace", last_name="H")
    assert callbacks and mail.outbox == []  # nothing leaves before the account is committed
    for callback in callbacks:
        callback()
    [message] = mail.outbox
    assert message.to == ["grace@example.com"] and message.subject == "Welcome to Staybook"
    assert user.email == "grace@example.com" and user.check_password("engine 1843 notes")


def test_user_create_refuses_a_taken_email_in_any_case_and_bad_input():
    UserFactory(email="ada@example.com")
    with pytest.raises(AccountExists):
        user_create(email="ADA@Example.com", password="engine 1843 notes", first_name="A", last_name="L")
    with pytest.raises(ValidationError):
        user_create(email="new@example.com", password="password", first_name="A", last_name="L")
    with pytest.raises(ValidationError):
        user_create(
            email="new@example.com", password="engine 1843 notes", first_name="A", last_name="L", phone="1" * 99
        )
    with pytest.raises(TypeError):
        user_create("new@example.com", "engine 1843 notes", "A", "L")  # keyword-only
    assert User.objects.count() == 1


def test_sign_up_sends_the_welcome_email(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:signup"), signup_data(email="grace@example.com"))
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["grace@example.com"] and "/accounts/verify/" in message.body


def test_taken_email_offers_to_log_in_keeping_next(client):
    UserFactory(email="ada@example.com")
    response = client.post(reverse("accounts:signup") + "?next=/bookings/", signup_data(email="Ada@Example.com"))
    page = response.content.decode()
    assert 'An account with this e-mail already exists. <a href="/accounts/login/?next=%2Fbookings%2F">' in page
    assert "Log in instead?</a>" in page


# --- pages: labels, autocomplete, no inline style or script ---------------------------------------------------


def test_account_pages_are_labelled_autocompleted_and_free_of_inline_code(client):
    pages = {name: client.get(reverse(f"accounts:{name}")).content.decode() for name in ("login", "signup")}
    pages["password_reset"] = client.get(reverse("accounts:password_reset")).content.decode()
    client.force_login(UserFactory())
    for name in ("profile", "password_change"):
        pages[name] = client.get(reverse(f"accounts:{name}")).content.decode()
    assert '<label for="id_username">E-mail' in pages["login"]
    assert 'autocomplete="current-password"' in pages["login"]
    for value in ("email", "given-name", "family-name", "new-password"):
        assert f'autocomplete="{value}"' in pages["signup"]
    for value in ("given-name", "family-name", "tel"):
        assert f'autocomplete="{value}"' in pages["profile"]
    assert 'autocomplete="current-password"' in pages["password_change"]
    for name, page in pages.items():
        main = page.split("<main", 1)[-1]
        assert not re.search(r"\s(style|on[a-z]+)=", main), name


# --- login, lockout, logout -----------------------------------------------------------------------------------


def test_changing_the_case_of_the_email_does_not_buy_more_attempts(client, settings):
    UserFactory(email="ada@example.com")
    variants = ["ada@example.com", "Ada@example.com", "aDa@example.com", "adA@example.com", "ADA@EXAMPLE.COM"]
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": variants[attempt % 5], "password": "wrong"})
    locked = client.post(reverse("accounts:login"), {"username": "AdA@example.com", "password": PASSWORD})
    assert locked.status_code == 429
    text = " ".join(locked.content.decode().split())
    assert "Too many failed attempts. Try again in 15 minutes or reset your password." in text
    assert 'href="/accounts/password-reset/"' in text


def test_resetting_the_password_lifts_the_lockout(client, settings):
    UserFactory(email="ada@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "ada@example.com", "password": "wrong"})
    assert (
        client.post(reverse("accounts:login"), {"username": "ada@example.com", "password": PASSWORD}).status_code == 429
    )
    reset_password_by_email(client, "ada@example.com", "a brand new secret 7")
    login = client.post(reverse("accounts:login"), {"username": "ada@example.com", "password": "a brand new secret 7"})
    assert login.status_code == 302


def test_a_successful_login_clears_earlier_failures(client, settings):
    UserFactory(email="ada@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("accounts:login"), {"username": "ada@example.com", "password": "wrong"})
    assert (
        client.post(reverse("accounts:login"), {"username": "ADA@example.com", "password": PASSWORD}).status_code == 302
    )
    client.post(reverse("accounts:logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("accounts:login"), {"username": "ada@example.com", "password": "wrong"})
    assert (
        client.post(reverse("accounts:login"), {"username": "ada@example.com", "password": PASSWORD}).status_code == 302
    )


def test_login_and_logout_keep_next_on_site(client):
    UserFactory(email="ada@example.com")
    response = client.post(
        reverse("accounts:login") + "?next=/accounts/profile/", {"username": "ada@example.com", "password": PASSWORD}
    )
    assert response["Location"] == "/accounts/profile/"
    assert client.post(reverse("accounts:logout") + "?next=https://evil.example/")["Location"] == "/"


@pytest.mark.parametrize(
    "target", ["https://evil.example", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_signed_in_visitors_are_not_sent_off_site(client, target):
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:signup"), {"next": target})["Location"] == "/bookings/"
    assert client.get(reverse("accounts:login"), {"next": target})["Location"] == "/bookings/"


# --- profile and password change ------------------------------------------------------------------------------


def test_profile_shows_the_email_but_never_changes_it(client):
    user = UserFactory(email="ada@example.com")
    client.force_login(user)
    assert "ada@example.com" in client.get(reverse("accounts:profile")).content.decode()
    client.post(
        reverse("accounts:profile"),
        {"email": "evil@example.com", "first_name": "A", "last_name": "L", "phone": "", "country": ""},
    )
    user.refresh_from_db()
    assert user.email == "ada@example.com"


def test_password_change_needs_login_and_the_old_password(client):
    assert client.get(reverse("accounts:password_change"))["Location"].startswith("/accounts/login/")
    user = UserFactory()
    client.force_login(user)
    new = {"new_password1": "a brand new secret 7", "new_password2": "a brand new secret 7"}
    wrong = client.post(reverse("accounts:password_change"), {"old_password": "nope", **new})
    assert wrong.status_code == 200
    right = client.post(reverse("accounts:password_change"), {"old_password": PASSWORD, **new})
    assert right["Location"] == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password("a brand new secret 7") and user.password.startswith("argon2")


# --- garbage in, never a 500 ----------------------------------------------------------------------------------

GARBAGE = ["ǅ\u202e" * 5000, "\x00", "a@" + "b" * 300 + ".com", "💥" * 200, ""]


@pytest.mark.parametrize("garbage", GARBAGE)
def test_garbage_into_login_reset_and_profile_never_500(client, garbage):
    assert client.post(reverse("accounts:login"), {"username": garbage, "password": garbage}).status_code in (200, 302)
    assert client.post(reverse("accounts:password_reset"), {"email": garbage}).status_code in (200, 302)
    assert client.post(reverse("accounts:signup"), {"email": garbage, "password1": garbage}).status_code == 200
    assert client.get(reverse("accounts:login"), {"next": garbage}).status_code == 200
    assert client.get(reverse("accounts:password_reset_confirm", args=["x" * 50, "y-" * 40])).status_code in (200, 302)
    client.force_login(UserFactory())
    fields = {"first_name": garbage, "last_name": garbage, "phone": garbage, "country": garbage}
    assert client.post(reverse("accounts:profile"), fields).status_code in (200, 302)


# --- staff console ----------------------------------------------------------------------------------------------


def test_admin_lists_searches_and_adds_users_by_email(client):
    client.force_login(UserFactory(email="boss@example.com", is_staff=True, is_superuser=True))
    UserFactory(email="grace@example.com", first_name="Grace", last_name="Hopper")
    changelist = reverse("admin:accounts_user_changelist")
    page = client.get(changelist, {"q": "hopper"}).content.decode()
    assert "grace@example.com" in page and "Date joined" in page
    add = client.post(
        reverse("admin:accounts_user_add"),
        {"email": "New@Example.com", "password1": "engine 1843 notes", "password2": "engine 1843 notes"},
    )
    assert add.status_code == 302
    created = User.objects.get(email="new@example.com")
    assert created.password.startswith("argon2")
    assert client.get(reverse("admin:accounts_user_change", args=[created.pk])).status_code == 200


# --- helpers ----------------------------------------------------------------------------------------------------


def signup_data(**overrides):
    return {
        "email": "ada@example.com",
        "first_name": "Grace",
        "last_name": "Hopper",
        "password1": "engine 1843 notes",
        "password2": "engine 1843 notes",
        **overrides,
    }


def reset_password_by_email(client, email, new_password):
    """Ask for a reset, follow the e-mailed link, choose ``new_password``; returns the final response."""
    mail.outbox.clear()
    client.post(reverse("accounts:password_reset"), {"email": email})
    [message] = mail.outbox
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line).strip()
    form_page = client.get(urlparse(link).path, follow=True)  # the link is on SITE_URL
    assert form_page.status_code == 200 and form_page.context["validlink"]
    return client.post(form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
