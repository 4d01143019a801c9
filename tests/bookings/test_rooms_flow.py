"""The website's booking of several rooms, each with its own rate and party: from the hotel page's basket to the
bank, the booking page, the receipt and the e-mails; and the changes a guest makes on the booking page."""

import io
from decimal import Decimal

import pytest
from django.test import TestCase
from django.urls import reverse
from pypdf import PdfReader

from bookings.models import Booking
from hotels.models import NightInventory
from notifications.models import OutboundEmail
from tests.factories import RoomTypeFactory, TaxFactory, future, open_nights

from .test_flow import APPROVE, GUEST, come_back, pay_at_bank

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]

PASSWORD = {"password1": "un-guessable 42!", "password2": "un-guessable 42!"}


@pytest.fixture
def two_types(db):
    double = RoomTypeFactory(name="Garden Double", max_adults=2, max_children=0, max_occupancy=2)
    family = RoomTypeFactory(
        hotel=double.hotel, name="Family Suite", max_adults=2, max_children=2, max_occupancy=4, plan__name="Family rate"
    )
    TaxFactory(hotel=double.hotel, amount=Decimal("2.00"))
    open_nights(double, future(10), 4, price="100.00", rooms=2)
    open_nights(family, future(10), 4, price="150.00", rooms=1)
    return double, family


def basket(double, family):
    return [f"{double.rate_plans.get().pk}:2:", f"{family.rate_plans.get().pk}:1:7"]


def reserve(client, rooms, nights=2):
    return client.post(
        reverse("bookings:start"),
        {"check_in": future(10).isoformat(), "check_out": future(10 + nights).isoformat(), "room": rooms},
    )


def sold(rt):
    return list(NightInventory.objects.filter(room_type=rt).order_by("date").values_list("rooms_sold", flat=True))


def book_two_rooms(client, double, family):
    start = reserve(client, basket(double, family))
    assert start.status_code == 302, start
    guest_page = client.get(start["Location"])
    assert "Who stays in each room?" in guest_page.content.decode()
    details = client.post(start["Location"], {**GUEST, **PASSWORD, "room_0": "", "room_1": "Kim Hopper"})
    assert details.status_code == 302, details.context and details.context["rooms_form"].errors
    review = client.get(details["Location"])
    html = review.content.decode()
    # 2 × 100 + 2.00 × 2 guests × 2 nights = 208; 2 × 150 + 2.00 × 2 guests × 2 nights = 308 (the child pays tax)
    assert "Room 1: Garden Double, Standard rate" in html and "Room 2: Family Suite, Family rate" in html
    assert "Guest: Grace Hopper" in html and "Guest: Kim Hopper" in html
    pay = client.post(details["Location"], {"expected_total": "516.00"})
    assert pay.status_code == 302, [str(m) for m in pay.wsgi_request._messages]
    return pay


def test_guest_books_two_rooms_of_two_types_and_sees_both_on_the_booking_page_and_receipt(client, bank, two_types):
    double, family = two_types
    pay = book_two_rooms(client, double, family)
    booking = Booking.objects.get()
    assert booking.rooms == 2 and booking.total == Decimal("516.00")
    assert sold(double) == [1, 1, 0, 0] and sold(family) == [1, 1, 0, 0]
    with TestCase.captureOnCommitCallbacks(execute=True):
        come_back(client, pay_at_bank(pay["Location"], APPROVE))
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    page = client.get(booking.get_absolute_url()).content.decode()
    assert "Room 1: Garden Double" in page and "Room 2: Family Suite" in page
    assert "2 adults" in page and "1 adult, 1 child (aged 7)" in page
    assert "Guest: Grace Hopper" in page and "Guest: Kim Hopper" in page
    assert "€208.00" in page and "€308.00" in page and "€516.00" in page
    receipt = client.get(reverse("bookings:receipt", kwargs={"reference": booking.reference}))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(receipt.content)).pages)
    assert "Garden Double" in text and "Family Suite" in text and "Kim Hopper" in text and "516.00" in text
    # the hotel's copy (the guest's waits until their new account's address is verified: accounts.verification)
    email = OutboundEmail.objects.get(booking=booking, kind="booking_confirmed_hotel")
    from django.core import mail

    body = next(m.body for m in mail.outbox if m.subject == email.subject)
    assert "Room 2:" in body and "Family Suite" in body and "Kim Hopper" in body


def test_a_basket_that_no_longer_fits_goes_back_with_a_message(client, two_types):
    double, family = two_types
    plan = family.rate_plans.get().pk
    response = reserve(client, [f"{plan}:5:"])
    assert response.status_code == 302
    followed = client.get(response["Location"])
    assert "Room 1: A Family Suite hosts at most 2 adults." in followed.content.decode()
    garbage = reserve(client, ["nonsense"])
    assert garbage.status_code == 302 and not Booking.objects.exists()


def paid_two_rooms(client, double, family):
    pay = book_two_rooms(client, double, family)
    with TestCase.captureOnCommitCallbacks(execute=True):
        come_back(client, pay_at_bank(pay["Location"], APPROVE))
    booking = Booking.objects.get()
    assert booking.status == "confirmed"
    return booking


@pytest.mark.other_sales
def test_change_of_dates_onto_sold_out_nights_shows_a_message_and_leaves_the_booking_untouched(client, bank, two_types):
    double, family = two_types
    booking = paid_two_rooms(client, double, family)
    NightInventory.objects.filter(room_type=family, date=future(12)).update(rooms_sold=1)  # sold to someone else
    url = reverse("bookings:change_dates", kwargs={"reference": booking.reference})
    before = (sold(double), sold(family), booking.total, booking.check_out)
    response = client.post(url, {"check_in": future(10).isoformat(), "check_out": future(13).isoformat()})
    assert response.status_code == 400
    assert "Family Suite is no longer available on the night of" in response.content.decode()
    confirm = client.post(
        url, {"check_in": future(10).isoformat(), "check_out": future(13).isoformat(), "confirm": "1"}
    )
    assert confirm.status_code == 400
    booking.refresh_from_db()
    assert (sold(double), sold(family), booking.total, booking.check_out) == before
    assert not booking.changes.exists()


def test_change_to_past_dates_or_a_room_for_five_gets_a_form_message(client, bank, two_types):
    double, family = two_types
    booking = paid_two_rooms(client, double, family)
    dates = client.post(
        reverse("bookings:change_dates", kwargs={"reference": booking.reference}),
        {"check_in": future(-3).isoformat(), "check_out": future(-1).isoformat()},
    )
    assert dates.status_code == 400 and "The new dates can&#x27;t be in the past." in dates.content.decode()
    rooms_url = reverse("bookings:change_rooms", kwargs={"reference": booking.reference})
    form = {
        "room-TOTAL_FORMS": 2,
        "room-INITIAL_FORMS": 2,
        "room-0-rate_plan": double.rate_plans.get().pk,
        "room-0-adults": 5,
        "room-1-rate_plan": family.rate_plans.get().pk,
        "room-1-adults": 0,
    }
    rooms = client.post(rooms_url, form)
    html = rooms.content.decode()
    assert rooms.status_code == 400
    assert "A Garden Double hosts at most 2 adults." in html and "Each room needs at least one adult." in html
    booking.refresh_from_db()
    assert booking.total == Decimal("516.00") and not booking.changes.exists()


def test_shorter_stay_shows_the_difference_first_then_refunds_it_through_the_bank(client, bank, two_types):
    double, family = two_types
    booking = paid_two_rooms(client, double, family)
    url = reverse("bookings:change_dates", kwargs={"reference": booking.reference})
    dates = {"check_in": future(10).isoformat(), "check_out": future(11).isoformat()}
    quote = client.post(url, dates)
    html = quote.content.decode()
    assert quote.status_code == 200
    assert "€516.00" in html and "€258.00" in html and "Refund to your card" in html  # one night of each room
    booking.refresh_from_db()
    assert booking.check_out == future(12) and sold(double) == [1, 1, 0, 0]  # nothing changed yet
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = client.post(url, {**dates, "expected_total": "258.00", "confirm": "1"})
    assert done.status_code == 302
    booking.refresh_from_db()
    assert booking.check_out == future(11) and booking.total == Decimal("258.00")
    assert sold(double) == [1, 0, 0, 0] and sold(family) == [1, 0, 0, 0]
    payment = booking.payments.get()
    assert payment.refunded_amount == Decimal("258.00") and payment.refunds.get().status == "succeeded"


def test_cancelling_one_room_refunds_it_under_its_own_policy_through_the_bank(client, bank, two_types):
    double, family = two_types
    family_plan = family.rate_plans.get()
    family_plan.free_cancellation_days = 30  # its free cancellation is over: the first night is charged
    family_plan.save()
    booking = paid_two_rooms(client, double, family)
    room = booking.lines.get(room_type=family)
    page = client.get(booking.get_absolute_url()).content.decode()
    url = reverse("bookings:cancel_room", kwargs={"reference": booking.reference, "position": room.position})
    assert url in page
    confirm = client.get(url).content.decode()
    penalty = Decimal(room.price_snapshot["first_night"])
    assert penalty > 0
    assert f"€{penalty}" in confirm and f"€{room.total - penalty}" in confirm
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = client.post(url, {"quoted_penalty": str(penalty)})
    assert done.status_code == 302
    booking.refresh_from_db()
    room.refresh_from_db()
    assert booking.status == "confirmed" and room.status == "cancelled" and room.cancellation_penalty == penalty
    assert sold(family) == [0, 0, 0, 0] and sold(double) == [1, 1, 0, 0]
    payment = booking.payments.get()
    assert payment.refunded_amount == room.total - penalty
    assert payment.refunds.get().status == "succeeded"
    page = client.get(booking.get_absolute_url()).content.decode()
    assert "Cancelled" in page and url not in page
