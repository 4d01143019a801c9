from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from bookings.models import Booking
from bookings.services import Actor, GuestDetails, booking_cancel, booking_confirm, booking_hold, booking_payment_failed
from hotels.selectors import Stay
from notifications.models import OutboundEmail
from notifications.services import email_resend, email_send, emails_retry_failed, reminders_send
from tests.factories import HotelFactory, RoomTypeFactory, future, open_nights

pytestmark = pytest.mark.django_db


def make_booking(*, email="ada@example.com", name="Ada", hotel=None, ci=10, source="website"):
    rt = RoomTypeFactory(hotel=hotel or HotelFactory())
    open_nights(rt, future(ci), 2, price="100.00")
    return booking_hold(
        room_type=rt,
        stay=Stay(check_in=future(ci), check_out=future(ci + 2), adults=2),
        guest=GuestDetails(first_name=name, last_name="Test", email=email, special_requests="Baby cot please"),
        source=source,
    )


def confirmed(django_capture_on_commit_callbacks, **kw):
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(**kw)
        booking_confirm(booking=booking)
    return booking


def test_confirmation_mails_guest_with_receipt_and_hotel_with_details(django_capture_on_commit_callbacks):
    booking = confirmed(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    guest = next(m for m in mail.outbox if m.to == ["ada@example.com"])
    hotel = next(m for m in mail.outbox if m.to == [booking.hotel.reservations_email])
    assert booking.reference in guest.subject and "confirmed" in guest.subject
    [(filename, content, mimetype)] = guest.attachments
    assert mimetype == "application/pdf" and content.startswith(b"%PDF") and filename.endswith(".pdf")
    html = guest.alternatives[0][0]
    assert "€200.00" in html and booking.reference in html and "/bookings/" + booking.reference in guest.body
    assert "Baby cot please" in hotel.body and "Double Room" in hotel.body and booking.guest_name in hotel.body
    assert all(e.status == "sent" and e.attempts == 1 for e in OutboundEmail.objects.all())


def test_no_other_guests_data_in_a_message(django_capture_on_commit_callbacks):
    confirmed(django_capture_on_commit_callbacks, email="ada@example.com", name="Ada")
    mail.outbox.clear()
    other = confirmed(django_capture_on_commit_callbacks, email="bob@example.com", name="Bob")
    for message in mail.outbox:
        text = message.body + message.alternatives[0][0]
        assert "ada@example.com" not in text and "Ada" not in text
        assert other.reference in text


def test_sending_twice_sends_once(django_capture_on_commit_callbacks):
    confirmed(django_capture_on_commit_callbacks)
    email = OutboundEmail.objects.get(kind="booking_confirmed_guest")
    assert email_send(email_id=email.pk) == "skipped"
    assert len(mail.outbox) == 2


def test_same_event_queues_once(django_capture_on_commit_callbacks):
    booking = confirmed(django_capture_on_commit_callbacks)
    from notifications.services import booking_emails_for_event

    assert booking_emails_for_event(booking=booking, event="confirmed") == []
    assert OutboundEmail.objects.count() == 2


def test_failure_is_recorded_then_retried(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.notifications.backends.BrokenBackend"
    settings.CELERY_TASK_EAGER_PROPAGATES = False
    booking = make_booking()
    with django_capture_on_commit_callbacks(execute=True):
        booking_payment_failed(booking=booking)
    email = OutboundEmail.objects.get(kind="payment_failed_guest")
    assert email.status == "failed" and email.attempts >= 1 and "SMTP is down" in email.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert emails_retry_failed() == 1
    email.refresh_from_db()
    assert email.status == "sent" and len(mail.outbox) == 1


def test_cancellation_mails_guest_and_hotel(django_capture_on_commit_callbacks):
    booking = confirmed(django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor_kind=Actor.STAFF)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(["ada@example.com", booking.hotel.reservations_email])
    assert all("cancelled" in m.subject.lower() for m in mail.outbox)


def test_partner_bookings_mail_only_the_hotel(django_capture_on_commit_callbacks):
    confirmed(django_capture_on_commit_callbacks, source="partner")
    assert [m.to for m in mail.outbox] == [[Booking.objects.get().hotel.reservations_email]]


def test_resend_makes_a_new_message(django_capture_on_commit_callbacks):
    booking = confirmed(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        email_resend(booking=booking)
    assert OutboundEmail.objects.filter(kind="booking_confirmed_guest").count() == 2
    assert len(mail.outbox) == 3


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
    assert reminder.to == ["ada@example.com"] and "See you soon" in reminder.subject


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
    assert welcome.to == ["new@example.com"] and "Welcome" in welcome.subject


def test_every_booking_template_renders(django_capture_on_commit_callbacks):
    booking = confirmed(django_capture_on_commit_callbacks)
    for kind in OutboundEmail.Kind.values:
        if kind == "welcome":
            continue
        email = OutboundEmail.objects.create(
            kind=kind, booking=booking, recipient="x@example.com", subject="s", dedupe_key=f"t:{kind}"
        )
        assert email_send(email_id=email.pk) == "sent"
    assert Decimal(booking.total) > 0 and timezone.now()
