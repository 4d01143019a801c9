"""Answers of 500 found by sending garbage to the site's pages (a scripted sweep of every page's parameters).

- ``next`` and ``change`` were checked to stay on the site, then handed to ``redirect()``, which reads a bare word
  ("abc", no slash or dot) as the name of a view: NoReverseMatch, a 500 for anyone (the guest e-mail code page
  with no code pending, the sign-up page while logged in, the sign-up itself once the account was made).
- A NUL character in a query parameter reached PostgreSQL through the admin's list filters and autocomplete
  ("text fields cannot contain NUL"): a 500 in the staff console. It is never meaningful: any request carrying one
  in the staff console's query string gets 400 (the site's forms already refuse it with a message).
"""

import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory
from tests.staff.conftest import manager_a, two_hotels  # noqa: F401

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def lenient(client):
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("change", ["abc", "my_bookings", "admin:index"])
def test_the_guest_code_page_with_a_bare_word_to_go_back_to_is_not_a_500(lenient, change):
    answer = lenient.get(reverse("bookings:guest_email_verify"), {"change": change})
    assert answer.status_code == 302
    assert answer["Location"] == reverse("bookings:my_bookings") or answer["Location"].startswith("/accounts/login")


def test_the_sign_up_page_while_logged_in_with_a_bare_word_next_is_not_a_500(lenient):
    lenient.force_login(UserFactory())
    answer = lenient.get(reverse("accounts:signup"), {"next": "abc"})
    assert answer.status_code == 302 and answer["Location"] == reverse("bookings:my_bookings")


def test_a_sign_up_with_a_bare_word_next_lands_on_my_bookings(lenient):
    answer = lenient.post(
        reverse("accounts:signup") + "?next=abc",
        {
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "password1": "un-guessable 42!",
            "password2": "un-guessable 42!",
            "terms": "on",
        },
    )
    assert User.objects.filter(email="ada@example.com").exists(), answer.context and answer.context["form"].errors
    assert answer.status_code == 302 and answer["Location"] == reverse("bookings:my_bookings")


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/admin/bookings/booking/", {"status": "a\x00b"}),
        ("/admin/payments/payment/", {"status": "a\x00b"}),
        ("/admin/payments/refund/", {"status": "a\x00b"}),
        (
            "/admin/autocomplete/",
            {"term": "a\x00b", "app_label": "bookings", "model_name": "booking", "field_name": "room_type"},
        ),
    ],
)
def test_a_nul_in_the_staff_consoles_parameters_is_a_400(lenient, manager_a, url, params):  # noqa: F811
    lenient.force_login(manager_a)
    assert lenient.get(url, params).status_code == 400
