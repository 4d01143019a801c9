import json
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from .forms import AccountDeleteForm, LoginForm, ProfileForm, SignupForm, email_taken_error
from .limits import account_create_limited, reset_address_key
from .models import Consent, LegalPage
from .privacy import DeletionRefused, account_delete, account_export, account_open_bookings
from .services import AccountExists, consent_given, consent_record, user_create, user_lockout_clear
from .verification import LinkExpired, LinkInvalid, email_verify, verification_resend, verification_user

# Forms that send e-mail are limited per IP (and the reset form per target address).
EMAIL_FORM_RATE = "10/h"
LOGIN_IP_RATE = "30/m"


def on_site(request, target: str) -> bool:
    """Whether ``target`` is a path on this site: never another site (an open redirect), nor a bare word, which
    ``redirect()`` would take for a view's name (NoReverseMatch: a 500)."""
    return url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and urlsplit(target).path.startswith("/")


def safe_next(request, default: str) -> str:
    """The ``next`` parameter if it stays on this site, else ``default`` (no open redirects)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if on_site(request, target) else default


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
                marketing=data["marketing"],
            )
        except AccountExists:  # taken between the form's check and the insert
            form.add_error("email", email_taken_error(login_url))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome to Staybook, %(name)s! We sent you a link to confirm your e-mail address.")
                % {"name": user.first_name},
            )
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
        email_verify(form.user)  # the reset link reached the mailbox: that proves the address as well
        return response


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    marketing = consent_given(user=request.user, purpose=Consent.Purpose.MARKETING)
    form = ProfileForm(request.POST or None, instance=request.user, initial={"marketing": marketing})
    if request.method == "POST" and form.is_valid():
        form.save()
        consent_record(user=request.user, purpose=Consent.Purpose.MARKETING, given=form.cleaned_data["marketing"])
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "email_verified": request.user.email_verified})


@require_http_methods(["GET"])
def verify_email(request, token):
    """The link in the welcome message: proves the address, sends what was held for it, attaches guest bookings."""
    try:
        user = verification_user(token)
    except LinkExpired:
        return render(request, "accounts/verify_email_failed.html", {"expired": True}, status=400)
    except LinkInvalid:
        return render(request, "accounts/verify_email_failed.html", {"expired": False}, status=400)
    claimed = email_verify(user)
    messages.success(request, _("Thank you: your e-mail address %(email)s is confirmed.") % {"email": user.email})
    if claimed:
        messages.info(request, _("Your earlier bookings made with this address are now in My bookings."))
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect("bookings:my_bookings")
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': reverse('bookings:my_bookings')})}")


@require_POST
@login_required
@ratelimit(key="user", rate="3/h", method="POST", block=False)
def verify_email_resend(request):
    if getattr(request, "limited", False):
        return render(request, "429.html", status=429)
    if request.user.email_verified:
        messages.info(request, _("Your e-mail address is already confirmed."))
    else:
        verification_resend(request.user)
        messages.success(request, _("We sent a new link to %(email)s.") % {"email": request.user.email})
    return redirect("accounts:profile")


# --- privacy: my data, deleting the account, legal pages (accounts.privacy) ---------------------------------------


def _json_download(data: dict, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET"])
def my_data(request):
    return render(
        request,
        "accounts/my_data.html",
        {"form": AccountDeleteForm(user=request.user), "open_bookings": account_open_bookings(request.user)},
    )


@login_required
@require_http_methods(["GET"])
def my_data_export(request):
    return _json_download(account_export(request.user), "staybook-my-data.json")


@login_required
@require_POST
@ratelimit(key="user", rate="10/h", method="POST", block=False)
def account_delete_view(request):
    if getattr(request, "limited", False):
        return render(request, "429.html", status=429)
    form = AccountDeleteForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            account_delete(request.user)
        except DeletionRefused as exc:
            form.add_error(None, exc.message)
        else:
            logout(request)
            return render(request, "accounts/deleted.html")
    return render(
        request,
        "accounts/my_data.html",
        {"form": form, "open_bookings": account_open_bookings(request.user)},
        status=400,
    )


def legal_page(request, slug):
    if slug not in LegalPage.Slug.values:
        raise Http404(_("No such page."))
    language = (get_language() or "").split("-")[0]
    pages = {p.language: p for p in LegalPage.objects.filter(slug=slug, language__in=[language, ""])}
    page = pages.get(language) or pages.get("")
    return render(
        request,
        "accounts/legal_page.html",
        {
            "page": page,
            "slug": slug,
            "default_title": LegalPage.Slug(slug).label,
            "retention_days": settings.GUEST_DATA_RETENTION_DAYS,
        },
    )
