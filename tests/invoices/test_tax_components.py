"""Room and meals carry their own VAT rate: a breakfast plan's meals are taxed at the meals rate, on the hotel
page, in the booking's snapshot and on its invoice; hotels whose taxes predate components price as before."""

from decimal import Decimal

import pytest

from bookings.services import GuestDetails, booking_hold
from hotels.models import HotelTax
from hotels.pricing import stay_quote
from hotels.stay import Stay
from payments.invoices import vat_breakdown
from tests.factories import RatePlanFactory, RoomTypeFactory, UserFactory, future, open_nights, standard_plan

from .conftest import pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("audited")]


def test_a_tax_without_component_is_levied_on_the_whole_accommodation_as_before():
    class OldTax:  # what callers passed before components existed
        name, kind, amount, included_in_price = "VAT", "percent", Decimal("10"), False

    class BreakfastPlan:
        name, derivation, derivation_value = "Breakfast", "amount", Decimal("24.00")

    nights = [(future(10), Decimal("100.00")), (future(11), Decimal("100.00"))]
    quote = stay_quote(currency="EUR", nightly_prices=nights, rooms=1, adults=2, taxes=[OldTax()], plan=BreakfastPlan())
    assert quote.room_total == Decimal("248.00")
    assert quote.taxes[0].amount == Decimal("24.80") and quote.total == Decimal("272.80")


def test_breakfast_is_taxed_at_the_meals_rate_and_invoiced_per_rate(bank):
    room_type = RoomTypeFactory()
    open_nights(room_type, future(10), 2, rooms=5, price="100.00")
    hotel = room_type.hotel
    HotelTax.objects.create(hotel=hotel, name="VAT 10%", kind="percent", amount="10", included_in_price=True)
    HotelTax.objects.create(
        hotel=hotel, name="VAT 20% (meals)", kind="percent", amount="20", included_in_price=True, component="meals"
    )
    RatePlanFactory(
        room_type=room_type,
        name="Breakfast included",
        meal_plan="breakfast",
        parent=standard_plan(room_type),
        derivation="amount",
        derivation_value=Decimal("24.00"),
        adjustment_component="meals",
        position=1,
    )
    plan = room_type.rate_plans.get(name="Breakfast included")
    booking = booking_hold(
        room_type=room_type,
        rate_plan=plan,
        stay=Stay(check_in=future(10), check_out=future(12), adults=2),
        guest=GuestDetails(first_name="Ada", last_name="Lovelace", email="ada@example.com"),
        customer=UserFactory(),
    )
    snapshot = booking.price_snapshot
    assert booking.total == Decimal("248.00")  # VAT included: the price is the same, its VAT split differs
    vat = {v["component"]: v for v in snapshot["vat"]}
    assert vat["room"]["base"] == "200.00" and vat["room"]["amount"] == "18.18"
    assert vat["meals"]["base"] == "48.00" and vat["meals"]["amount"] == "8.00"
    pay(booking)
    invoice = booking.invoices.get()
    rows = {row["rate"]: row for row in invoice.vat_breakdown}
    assert rows["10.00"]["gross"] == "200.00" and rows["10.00"]["vat"] == "18.18"
    assert rows["20.00"]["gross"] == "48.00" and rows["20.00"]["vat"] == "8.00"
    assert sum(Decimal(r["gross"]) for r in rows.values()) == invoice.total == booking.total
    assert vat_breakdown(booking, invoice.lines) == invoice.vat_breakdown
