from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from .forms import LoginForm, ProfileForm, SignupForm, email_taken_error
from .limits import account_create_limited, reset_address_key
from .services import AccountExists, user_create, user_lockout_clear

# Forms that send e-mail are limited per IP (and the reset form per target address).
EMAIL_FORM_RATE = "10/h"
LOGIN_IP_RATE = "30/m"


def safe_next(request, default: str) -> str:
    """The ``next`` parameter if it stays on this site, else ``default`` (no open redirects)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect(safe_next(request, reverse("bookings:my_bookings")))
    next_url = safe_next(request, "")
    login_url = reverse("accounts:login") + (f"?{urlencode({'next': next_url})}" if next_url else "")
    form = SignupForm(request.POST or None, login_url=login_url)
    if account_create_limited(request):
        return render(request, "429.html", status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_create(
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except AccountExists:  # taken between the form's check and the insert
            form.add_error("email", email_taken_error(login_url))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Staybook, %(name)s!") % {"name": user.first_name})
            return redirect(next_url or reverse("bookings:my_bookings"))
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


@method_decorator(ratelimit(key="ip", rate=LOGIN_IP_RATE, method="POST", block=False), name="dispatch")
class LoginView(auth_views.LoginView):
    """E-mail login. django-axes locks an account (and an account+IP pair) after repeated failures; the IP limit
    here stops one address from trying many accounts."""

    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if getattr(request, "limited", False):
            return render(request, "429.html", status=429)
        return super().post(request, *args, **kwargs)


@ratelimit(key="ip", rate=EMAIL_FORM_RATE, method="POST", block=False)
@ratelimit(key=reset_address_key, rate="3/h", method="POST", block=False)
def password_reset(request, *args, **kwargs):
    if getattr(request, "limited", False):
        return render(request, "429.html", status=429)
    return auth_views.PasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        email_template_name="accounts/email/password_reset.txt",
        html_email_template_name="accounts/email/password_reset.html",
        subject_template_name="accounts/email/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password_reset_done"),
        extra_email_context={"site_url": settings.SITE_URL},  # the link's domain is ours, never the Host header's
    )(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choosing a new password through the e-mailed link also lifts an axes lockout on the account: the link proves
    the guest owns the mailbox, and the locked-out page sends them here."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        user_lockout_clear(user=form.user)
        return response


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})
