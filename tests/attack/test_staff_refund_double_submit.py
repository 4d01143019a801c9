"""The staff refund page sent twice with the same form (a double click, a browser's "resend the form?", a second tab
opened before the first refund): each POST refunded the amount again, so a partial refund of 50.00 paid the
guest 100.00, within the payment so nothing refused it. The page now says what was already refunded when it was
shown; a POST made from a page whose figure is stale is refused with a message, nothing refunded.

Two POSTs racing each other are refused the same way: the figure is compared under the payment's lock
(``payments.services.refund_request``)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from bookings import workflow
from payments.models import Refund
from payments.services import PaymentError
from tests.attack.helpers import HeldSends
from tests.bookings.test_workflow import held, pay
from tests.staff.conftest import staff

pytestmark = [pytest.mark.django_db]


def the_form_as_shown(page) -> dict:
    """What the browser posts: the page's form with its initial values, the payment shown, the amount typed."""
    form = page.context["form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update(amount="50.00", reason="noisy room", payment=page.context["payment"].pk)
    return {k: ("" if v is None else str(v)) for k, v in data.items()}


def test_the_same_refund_form_posted_twice_refunds_once(client, bank, staff_roles, monkeypatch):
    HeldSends(monkeypatch)  # the bank is asked by a worker, later: both POSTs land before it answers
    booking = held()
    payment = pay(booking)  # 200.00
    client.force_login(staff(booking.hotel, "manager", "boss@hotel.example"))
    url = reverse("admin:bookings_booking_refund", args=[booking.pk])
    data = the_form_as_shown(client.get(url))

    first = client.post(url, data)
    second = client.post(url, data)

    assert first.status_code == 302
    assert second.status_code == 200 and "since this page was shown" in second.content.decode()
    assert list(Refund.objects.filter(payment=payment).values_list("amount", flat=True)) == [Decimal("50.00")]
    again = client.post(url, the_form_as_shown(client.get(url)))  # a fresh page may refund again, on purpose
    assert again.status_code == 302 and Refund.objects.filter(payment=payment).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_refunds_racing_from_the_same_page_refund_once(bank, monkeypatch):
    """Both POSTs checked at the same moment: the figure is compared under the payment's lock, so the second one
    finds the first one's refund and refunds nothing."""
    HeldSends(monkeypatch)
    booking = held()
    payment = pay(booking)
    barrier, outcomes = threading.Barrier(2), []

    def refund():
        try:
            barrier.wait(timeout=10)
            workflow.booking_refund(
                booking=booking,
                payment=payment,
                amount=Decimal("50.00"),
                reason="the same page, twice",
                expected_refunded=Decimal("0.00"),
            )
            outcomes.append("refunded")
        except PaymentError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refund) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["refund_stale", "refunded"]
    assert list(Refund.objects.filter(payment=payment).values_list("amount", flat=True)) == [Decimal("50.00")]
