""" "Pay" pressed in two tabs at once: ``payment_start`` reuses an open payment only once it is ``pending`` with a
bank URL; the first request's payment is still ``created`` (its bank call in flight, outside the lock), so the second
opens another session. Both can be paid, and ``payment_outcome_apply`` treats a payment that arrives for a booking
already confirmed by the other as "confirmed, nothing changed": the second charge is kept, never refunded."""

from decimal import Decimal

import pytest
import requests
from django.test import Client
from django.urls import reverse

from bookings import workflow
from bookings.models import Booking
from payments.gateways.sandbox import SandboxBankGateway
from payments.models import Payment
from tests.attack.helpers import in_other_connection
from tests.bookings.test_workflow import APPROVE, age_refunds, bank_refunds, held
from tests.factories import UserFactory


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pay_pressed_in_two_tabs_never_charges_the_guest_twice(bank, monkeypatch):
    customer = UserFactory()
    booking = held(customer=customer)
    url = reverse("bookings:pay", kwargs={"reference": booking.reference})

    def tab():
        browser = Client()
        browser.force_login(customer)
        answer = browser.post(url)
        assert answer.status_code == 302 and answer["Location"].startswith(bank.url), answer
        return answer["Location"]

    real_create = SandboxBankGateway.create_session
    other_tab = []

    def create_session_while_the_other_tab_clicks(self, **kwargs):
        if not other_tab:
            other_tab.append(None)
            other_tab[0] = in_other_connection(tab)
        return real_create(self, **kwargs)

    monkeypatch.setattr(SandboxBankGateway, "create_session", create_session_while_the_other_tab_clicks)
    first_tab = tab()
    bank_pages = {first_tab, other_tab[0]}
    for page in bank_pages:  # the guest pays in each tab they see
        requests.post(
            page,
            data={"card_number": APPROVE, "expiry": "12/39", "cvc": "123", "action": "pay"},
            allow_redirects=False,
            timeout=5,
        )
    for payment in Payment.objects.all():  # the return pages / webhooks arrive
        workflow.payment_sync(payment=payment)
    age_refunds()
    workflow.refunds_reconcile()

    booking.refresh_from_db()
    charged = sum(
        (p.amount for p in Payment.objects.filter(status__in=["paid", "partially_refunded", "refunded"])), Decimal("0")
    )
    refunded = sum(
        (Decimal(r["amount"]) for p in Payment.objects.exclude(bank_transaction_id="") for r in bank_refunds(bank, p)),
        Decimal("0"),
    )
    assert booking.status == Booking.Status.CONFIRMED
    assert charged - refunded == booking.total, (
        f"{len(bank_pages)} bank sessions opened for one booking; charged {charged}, refunded {refunded}, "
        f"for a booking of {booking.total}"
    )
