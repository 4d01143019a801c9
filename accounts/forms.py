from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import User


def email_taken_error(login_url: str | None = None) -> forms.ValidationError:
    """The sign-up error for an e-mail that already has an account, with a link to log in instead."""
    return forms.ValidationError(
        format_html(
            'An account with this e-mail already exists. <a href="{}">Log in instead?</a>',
            login_url or reverse("accounts:login"),
        ),
        code="exists",
    )


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="E-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    error_messages = {
        "invalid_login": "That e-mail and password don't match an account. Check them, or reset your password.",
        "inactive": "This account is disabled.",
    }


class SignupForm(forms.Form):
    """Sign-up fields and friendly errors; :func:`accounts.services.user_create` holds the rules."""

    email = forms.EmailField(label="E-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = forms.CharField(
        label="First name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label="Last name", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    marketing = forms.BooleanField(
        label=_("Send me offers and news by e-mail (you can stop them at any time in your profile)"),
        required=False,
        initial=False,
    )

    def __init__(self, *args, login_url: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.login_url = login_url

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise email_taken_error(self.login_url)
        return email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords don't match.")
        elif p1:
            probe = User(
                email=data.get("email", ""), first_name=data.get("first_name", ""), last_name=data.get("last_name", "")
            )
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ProfileForm(forms.ModelForm):
    marketing = forms.BooleanField(label=_("Send me offers and news by e-mail"), required=False)

    class Meta:
        model = User
        fields = ["first_name", "last_name", "phone", "country"]
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "country": forms.TextInput(attrs={"autocomplete": "country-name"}),
        }


class AccountDeleteForm(forms.Form):
    """Deleting the account is final: the password, and a box that says so."""

    password = forms.CharField(
        label=_("Your password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account and my personal data will be erased for good."), required=True
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That password isn't right."))
        return password
