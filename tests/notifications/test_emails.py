"""What each e-mail says and to whom: recipients, subjects, both parts, the receipt, and nobody else's data."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import escape

from bookings.models import Booking
from bookings.services import Actor, GuestDetails, booking_hold
from bookings.workflow import booking_cancel, booking_confirm, payment_outcome_apply
from hotels.models import NightInventory
from hotels.stay import Stay
from notifications.models import OutboundEmail
from notifications.services import booking_emails_for_event, email_resend, email_send, reminders_send
from payments.gateways.base import PaymentStatus
from payments.models import Payment
from tests.factories import HotelFactory, RoomTypeFactory, UserFactory, future, open_nights

pytestmark = pytest.mark.django_db


def make_booking(*, email="ada@example.com", name="Ada", last_name="Test", hotel=None, ci=10, source="website", **kw):
    rt = RoomTypeFactory(hotel=hotel or HotelFactory())
    open_nights(rt, future(ci), 2, price="100.00")
    return booking_hold(
        room_type=rt,
        stay=Stay(check_in=future(ci), check_out=future(ci + 2), adults=2),
        guest=GuestDetails(
            first_name=name, last_name=last_name, email=email, special_requests=kw.pop("requests", "Baby cot please")
        ),
        source=source,
        **kw,
    )


def confirmed(django_capture_on_commit_callbacks, **kw):
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(**kw)
        booking_confirm(booking=booking)
    return booking


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_confirmation_mails_guest_with_receipt_and_hotel_with_details(django_capture_on_commit_callbacks, settings):
    booking = confirmed(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    guest = next(m for m in mail.outbox if m.to == ["ada@example.com"])
    hotel = next(m for m in mail.outbox if m.to == [booking.hotel.reservations_email])

    assert guest.subject == f"Your stay at {booking.hotel.name} is confirmed — {booking.reference}"
    [(filename, content, mimetype)] = guest.attachments
    assert mimetype == "application/pdf" and content.startswith(b"%PDF")
    assert filename == f"receipt-{booking.receipt.number}.pdf"
    # a booking without an account links to its page through a signed link (accounts.guest_links)
    booking_url = f"{settings.SITE_URL}/bookings/manage/"
    for part in (guest.body, html_of(guest)):
        assert booking.reference in part and booking_url in part
        assert "€100.00" in part and "€200.00" in part  # the snapshot's night lines and total
        assert "Free cancellation until" in part  # the policy agreed at booking time

    assert booking.reference in hotel.subject and "Ada Test" in hotel.subject
    assert not hotel.attachments
    for part in (hotel.body, html_of(hotel)):
        assert "Baby cot please" in part and "Double Room × 1" in part.replace(" x ", " × ")
        assert "ada@example.com" in part and "€200.00" in part
    assert "Payment:" in hotel.body  # payment status line
    assert all(e.status == "sent" and e.attempts == 1 and e.sent_at for e in OutboundEmail.objects.all())


@pytest.mark.parametrize(
    "event, kinds",
    [
        ("confirmed", ["booking_confirmed_guest", "booking_confirmed_hotel"]),
        ("cancelled", ["booking_cancelled_guest", "booking_cancelled_hotel"]),
        ("payment_failed", ["payment_failed_guest"]),
        ("expired", ["hold_expired_guest"]),
        ("late_payment_refunded", ["late_payment_refunded_guest"]),
        ("checked_in", []),
        ("held", []),
    ],
)
def test_each_event_mails_the_right_people(django_capture_on_commit_callbacks, event, kinds):
    booking = make_booking()
    with django_capture_on_commit_callbacks(execute=True):
        booking_emails_for_event(booking=booking, event=event)
    assert sorted(OutboundEmail.objects.values_list("kind", flat=True)) == kinds
    assert len(mail.outbox) == len(kinds)
    for message in mail.outbox:
        email = OutboundEmail.objects.get(recipient=message.to[0])
        expected = booking.hotel.reservations_email if email.kind.endswith("_hotel") else "ada@example.com"
        assert message.to == [expected]
        assert message.subject == email.subject and booking.reference in message.subject
        assert booking.reference in message.body and booking.reference in html_of(message)
        assert html_of(message).lstrip().startswith("<!doctype html>")
        assert f"<title>{escape(message.subject)}</title>" in html_of(message)
        assert "<" not in message.body  # the text part is text


def test_prices_are_the_snapshot_even_after_the_rates_change(django_capture_on_commit_callbacks):
    booking = confirmed(django_capture_on_commit_callbacks)
    NightInventory.objects.filter(room_type=booking.room_type).update(price=Decimal("999.00"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        email_resend(booking=booking, kind="booking_confirmed_hotel")
    [message] = mail.outbox
    assert "€200.00" in message.body and "999" not in message.body + html_of(message)


def test_card_shown_as_brand_and_last_four_only(django_capture_on_commit_callbacks):
    booking = make_booking()
    Payment.objects.create(
        booking=booking,
        gateway="sandbox",
        amount=booking.total,
        currency="EUR",
        status=Payment.Status.PAID,
        idempotency_key="pay-1",
        card_brand="visa",
        card_last4="4242",
        paid_at=timezone.now(),
        bank_responses=[{"pan": "4242424242424242"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        booking_confirm(booking=booking)
    guest = next(m for m in mail.outbox if m.to == ["ada@example.com"])
    for part in (guest.body, html_of(guest)):
        assert "Visa ending 4242" in part
        assert not re.search(r"\d{12,}", part.replace(" ", ""))


def test_text_part_is_plain_and_html_part_is_escaped(django_capture_on_commit_callbacks):
    booking = confirmed(
        django_capture_on_commit_callbacks, name="Seán", last_name="O'Brien", requests="Cot & <b>crib</b>"
    )
    hotel = next(m for m in mail.outbox if m.to == [booking.hotel.reservations_email])
    assert "Seán O'Brien" in hotel.subject and "Seán O'Brien" in hotel.body
    assert "Cot & <b>crib</b>" in hotel.body
    assert "Cot &amp; &lt;b&gt;crib&lt;/b&gt;" in html_of(hotel) and "O&#x27;Brien" in html_of(hotel)


def test_no_other_guests_data_in_a_message(django_capture_on_commit_callbacks):
    ada = confirmed(django_capture_on_commit_callbacks, email="ada@example.com", name="Ada", last_name="Lovelace")
    mail.outbox.clear()
    bob = confirmed(
        django_capture_on_commit_callbacks, hotel=ada.hotel, email="bob@example.com", name="Bob", last_name="Byron"
    )
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        text = message.subject + message.body + html_of(message)
        assert "ada@example.com" not in text and "Lovelace" not in text and ada.reference not in text
        assert bob.reference in text


def test_same_event_queues_once(django_capture_on_commit_callbacks):
    booking = confirmed(django_capture_on_commit_callbacks)
    assert booking_emails_for_event(booking=booking, event="confirmed") == []
    assert OutboundEmail.objects.count() == 2


def test_cancellation_mails_guest_and_hotel(django_capture_on_commit_callbacks):
    booking = confirmed(django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor_kind=Actor.STAFF)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(["ada@example.com", booking.hotel.reservations_email])
    assert all("cancelled" in m.subject.lower() for m in mail.outbox)
    guest = next(m for m in mail.outbox if m.to == ["ada@example.com"])
    assert "Cancellation charge: €0.00" in guest.body


def test_payment_failed_mails_the_guest(django_capture_on_commit_callbacks):
    booking = make_booking()
    payment = Payment.objects.create(
        booking=booking, gateway="x", amount=booking.total, currency=booking.currency, idempotency_key="k"
    )
    declined = PaymentStatus(
        session_id="cs_1",
        status="failed",
        amount=booking.total,
        currency=booking.currency,
        reference="",
        transaction_id=None,
        authorization_code=None,
        card_brand=None,
        card_last4=None,
        failure_code="card_declined",
        raw={},
    )
    with django_capture_on_commit_callbacks(execute=True):
        payment_outcome_apply(payment=payment, outcome=declined)
    [message] = mail.outbox
    assert message.to == ["ada@example.com"] and "did not go through" in message.subject


def test_partner_bookings_mail_only_the_hotel(django_capture_on_commit_callbacks):
    booking = confirmed(django_capture_on_commit_callbacks, source="partner")
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor_kind=Actor.PARTNER)
    assert [m.to for m in mail.outbox] == [[Booking.objects.get().hotel.reservations_email]] * 2


def test_resend_makes_a_new_message(django_capture_on_commit_callbacks):
    booking = confirmed(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        again = email_resend(booking=booking)
    assert again.dedupe_key == f"booking_confirmed_guest:{booking.reference}:resend-1"
    assert OutboundEmail.objects.filter(kind="booking_confirmed_guest", status="sent").count() == 2
    assert len(mail.outbox) == 3
    assert mail.outbox[2].attachments[0][1] == mail.outbox[0].attachments[0][1]  # the same receipt, as issued


def test_reminder_follows_the_hotels_calendar_and_is_sent_once(django_capture_on_commit_callbacks, settings):
    settings.REMINDER_DAYS_BEFORE = 3
    tokyo = HotelFactory(timezone="Asia/Tokyo")
    booking = confirmed(django_capture_on_commit_callbacks, hotel=tokyo, ci=4)
    mail.outbox.clear()
    arrival = booking.check_in
    four_days_before = datetime.combine(arrival - timedelta(days=4), datetime.min.time(), tzinfo=ZoneInfo("UTC"))
    with django_capture_on_commit_callbacks(execute=True):
        # 10:00 UTC is 19:00 in Tokyo, four days before arrival there: too early.
        assert reminders_send(now=four_days_before + timedelta(hours=10)) == 0
        # 16:00 UTC is still four days before in UTC, but already 01:00 the next day in Tokyo: three days.
        assert reminders_send(now=four_days_before + timedelta(hours=16)) == 1
        assert reminders_send(now=four_days_before + timedelta(hours=20)) == 0
    [reminder] = mail.outbox
    assert reminder.to == ["ada@example.com"] and reminder.subject.startswith("See you soon")
    assert booking.reference in reminder.body and "/bookings/manage/" in html_of(reminder)


def test_reminders_skip_cancelled_and_partner_bookings(django_capture_on_commit_callbacks, settings):
    settings.REMINDER_DAYS_BEFORE = 3
    hotel = HotelFactory(timezone="UTC")
    cancelled = confirmed(django_capture_on_commit_callbacks, hotel=hotel, ci=3)
    booking_cancel(booking=cancelled, actor_kind=Actor.CUSTOMER)
    confirmed(django_capture_on_commit_callbacks, hotel=hotel, ci=3, source="partner")
    assert reminders_send() == 0


def test_welcome_mail_on_sign_up(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {
                "email": "New@Example.com",
                "first_name": "Nia",
                "last_name": "Z",
                "password1": "a long passphrase 9",
                "password2": "a long passphrase 9",
            },
        )
    assert response.status_code == 302
    [welcome] = mail.outbox
    assert welcome.to == ["new@example.com"] and welcome.subject == "Welcome to Staybook"
    # the welcome is the address's verification: our words and the link, nothing the visitor typed
    assert "/accounts/verify/" in welcome.body and "/accounts/verify/" in html_of(welcome)
    assert "Nia" not in welcome.body and "Nia" not in html_of(welcome)
    assert OutboundEmail.objects.get().kind == "welcome"


@pytest.mark.parametrize("kind", OutboundEmail.Kind.values)
def test_every_kind_has_its_three_templates(kind):
    for name in (f"{kind}_subject.txt", f"{kind}.txt", f"{kind}.html"):
        get_template(f"notifications/email/{name}")


def test_every_booking_template_renders(django_capture_on_commit_callbacks):
    booking = confirmed(django_capture_on_commit_callbacks)
    for kind in OutboundEmail.Kind.values:
        if kind == "welcome":
            continue
        email = OutboundEmail.objects.create(
            kind=kind, booking=booking, recipient="x@example.com", subject="s", dedupe_key=f"t:{kind}"
        )
        assert email_send(email_id=email.pk) == "sent"


def test_staff_see_the_outbox_and_send_a_message_again(client, django_capture_on_commit_callbacks):
    booking = confirmed(django_capture_on_commit_callbacks)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/notifications/outboundemail/")
    assert response.status_code == 200 and booking.reference in response.content.decode()
    original = OutboundEmail.objects.get(kind="booking_confirmed_guest")
    assert client.get(f"/admin/notifications/outboundemail/{original.pk}/change/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/notifications/outboundemail/", {"action": "resend", "_selected_action": [original.pk]}
        )
    assert response.status_code == 302
    assert OutboundEmail.objects.filter(kind="booking_confirmed_guest", status="sent").count() == 2
    assert [m.to for m in mail.outbox].count(["ada@example.com"]) == 2


def test_the_hotels_email_says_the_meal_plan_in_english_and_the_french_guests_in_french(
    django_capture_on_commit_callbacks,
):
    from django.utils import translation

    with translation.override("fr"):  # booked on the French site: the snapshot's label is written in French
        with django_capture_on_commit_callbacks(execute=True):
            booking = make_booking(email="zoe@example.fr")
            booking_confirm(booking=booking)
    assert booking.language == "fr" and booking.price_snapshot["rate_plan"]["meal_plan_label"] == "Chambre seule"
    guest = next(m for m in mail.outbox if m.to == ["zoe@example.fr"])
    hotel = next(m for m in mail.outbox if m.to == [booking.hotel.reservations_email])
    plan = booking.price_snapshot["rate_plan"]["name"]
    assert f"{plan}, Room only" in hotel.body and f"{plan} · Room only" in html_of(hotel)
    assert "Chambre seule" not in hotel.body + html_of(hotel)
    assert f"{plan}, Chambre seule" in guest.body and f"{plan} · Chambre seule" in html_of(guest)
    assert "Room only" not in guest.body + html_of(guest)
