"""The guest's company details for invoices."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BillingDetails


class BillingDetailsForm(forms.ModelForm):
    class Meta:
        model = BillingDetails
        fields = ["company_name", "address", "vat_id"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3, "maxlength": 500})}
        help_texts = {"vat_id": _("Optional, e.g. FR12345678901.")}

    def clean_address(self):
        address = self.cleaned_data["address"].strip()
        if len(address) > 500:
            raise forms.ValidationError(_("Please keep the address under 500 characters."))
        return address
