"""The desk's settlement on a booking's admin page: what a change of a booking paid offline left to collect or to pay
back, and the form that records it (``bookings.settlement.offline_settlement_record``).

Amounts are prices: the block and the form need ``bookings.view_booking_prices`` and ``bookings.change_booking``
at the booking's hotel (a manager's role), as the offline payments' inline does; a booking of another hotel is a
404. Never sent to the bank."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hotels.staff import staff_can

from .admin_views import _scoped_booking
from .models import OfflinePayment
from .settlement import SettlementRefused, offline_settlement, offline_settlement_record

PRICES = "bookings.view_booking_prices"
CHANGE = "bookings.change_booking"


class DeskSettlementForm(forms.Form):
    direction = forms.ChoiceField(
        label=gettext_lazy("What happened"),
        choices=[
            (OfflinePayment.Direction.COLLECTED, gettext_lazy("Collected from the guest")),
            (OfflinePayment.Direction.PAID_BACK, gettext_lazy("Paid back to the guest")),
        ],
        widget=forms.HiddenInput,
    )
    method = forms.ChoiceField(
        label=gettext_lazy("How"),
        choices=[
            (OfflinePayment.Method.CASH, gettext_lazy("Cash")),
            (OfflinePayment.Method.BANK_TRANSFER, gettext_lazy("Bank transfer")),
            (OfflinePayment.Method.PAY_AT_HOTEL, gettext_lazy("Pays at the hotel")),
        ],
    )
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    reference = forms.CharField(
        label=gettext_lazy("Reference"),
        max_length=80,
        help_text=gettext_lazy("The receipt number or the transfer's reference."),
    )


def may_settle(user, booking) -> bool:
    return staff_can(user, PRICES, booking.hotel_id) and staff_can(user, CHANGE, booking.hotel_id)


def settlement_context(request, booking, *, paid_offline: bool | None = None) -> dict:
    """What the booking's admin page shows of the desk's settlement (nothing for a role that doesn't see prices)."""
    if not may_settle(request.user, booking):
        return {}
    settlement = offline_settlement(booking, paid_offline=paid_offline)
    if settlement is None:
        return {}
    context = {"desk_settlement": settlement}
    if settlement.to_collect > 0:
        context["settle_form"] = DeskSettlementForm(
            initial={"direction": OfflinePayment.Direction.COLLECTED, "amount": settlement.to_collect}
        )
    elif settlement.to_pay_back > 0:
        form = DeskSettlementForm(
            initial={"direction": OfflinePayment.Direction.PAID_BACK, "amount": settlement.to_pay_back}
        )
        form.fields["method"].choices = form.fields["method"].choices[:2]
        context["settle_form"] = form
    return context


@require_POST
def booking_settle(request, booking_id):
    booking = _scoped_booking(request, booking_id, CHANGE)
    if not may_settle(request.user, booking):
        raise PermissionDenied
    form = DeskSettlementForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect("admin:bookings_booking_change", booking.pk)
    data = form.cleaned_data
    try:
        offline = offline_settlement_record(
            booking=booking,
            direction=data["direction"],
            method=data["method"],
            reference=data["reference"],
            amount=data["amount"],
            actor=request.user,
        )
    except SettlementRefused as exc:
        messages.error(request, exc.message)
        return redirect("admin:bookings_booking_change", booking.pk)
    if offline.direction == OfflinePayment.Direction.PAID_BACK:
        text = _("Recorded: %(amount)s %(currency)s paid back to the guest (%(reference)s).")
    else:
        text = _("Recorded: %(amount)s %(currency)s collected from the guest (%(reference)s).")
    messages.success(
        request, text % {"amount": offline.amount, "currency": offline.currency, "reference": offline.reference}
    )
    return redirect("admin:bookings_booking_change", booking.pk)
