from django import forms

from bookings.forms import GuestDetailsForm
from hotels.forms import StayForm


class SupplierOfferForm(StayForm):
    """Which supplier offer: sent by the results page's link (GET) and again with the guest's details (POST)."""

    supplier = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    hotel = forms.IntegerField(min_value=1, max_value=2**62, widget=forms.HiddenInput)
    room_type = forms.IntegerField(min_value=1, max_value=2**62, widget=forms.HiddenInput)
    rate_plan = forms.IntegerField(min_value=1, max_value=2**62, required=False, widget=forms.HiddenInput)


class SupplierGuestForm(GuestDetailsForm):
    expected_total = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0, widget=forms.HiddenInput)
