from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


def _active_language() -> str:
    """The request's language as a shipped language code (what a new account's e-mails are written in)."""
    from django.conf import settings
    from django.utils import translation

    try:
        return translation.get_supported_language_variant(translation.get_language() or settings.LANGUAGE_CODE)
    except LookupError:
        return ""


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        # Signed up on /fr/…: the account's e-mails (its verification first) are in French until the guest says.
        extra_fields.setdefault("preferred_language", _active_language())
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A customer or a staff member, identified by e-mail (stored lower-case, unique case-insensitively)."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    country = models.CharField(_("country"), max_length=64, blank=True)
    # A code of settings.LANGUAGES, or "" (the browser's): the site and the account's e-mails use it.
    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        super().save(*args, **kwargs)

    @property
    def email_verified(self) -> bool:
        """False only for a sign-up account that has not proven its address yet (see :class:`EmailVerification`)."""
        verification = getattr(self, "email_verification", None)
        return verification is None or verification.verified_at is not None


class EmailVerification(models.Model):
    """An account created by sign-up whose e-mail address has not been proven yet (one row per such account).

    Accounts made otherwise (staff, ``createsuperuser``, the admin) have no row and count as verified: whoever made
    them vouched for the address. Until ``verified_at`` is set the address receives nothing but the verification
    message itself (``accounts.verification``); booking e-mails wait in the outbox as ``held``."""

    user = models.OneToOneField(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="email_verification"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        verbose_name_plural = _("e-mail verifications")
        verbose_name = _("e-mail verification")

    def __str__(self):
        return f"{self.user_id}: {'verified' if self.verified_at else 'waiting'}"


class Consent(models.Model):
    """One answer of a person to one question (what, when, given or withdrawn); the latest row is the answer now.
    Rows are never edited, so the history of an answer is its rows."""

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Offers and news by e-mail")

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    given = models.BooleanField(_("given"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name_plural = _("consents")
        ordering = ["created_at", "id"]
        verbose_name = _("consent")
        indexes = [models.Index(fields=["user", "purpose", "-created_at"], name="consent_user_purpose_idx")]

    def __str__(self):
        return f"{self.purpose}: {'given' if self.given else 'withdrawn'} {self.created_at:%Y-%m-%d}"


class Anonymisation(models.Model):
    """A record that personal data was erased: of an account (deleted by its owner) or of a booking (with its
    account, or by the retention task). Holds no personal data itself; staff see it on the booking."""

    class Reason(models.TextChoices):
        ACCOUNT_DELETED = "account_deleted", _("The guest deleted their account")
        BOOKING_DATA_DELETED = "booking_data_deleted", _("The guest erased this booking's data")
        RETENTION = "retention", _("Retention period over")

    booking = models.OneToOneField(
        "bookings.Booking",
        verbose_name=_("booking"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="anonymisation",
    )
    user = models.OneToOneField(
        User, verbose_name=_("user"), on_delete=models.CASCADE, null=True, blank=True, related_name="anonymisation"
    )
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name_plural = _("anonymisations")
        ordering = ["-created_at"]
        verbose_name = _("anonymisation")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(booking__isnull=False) | models.Q(user__isnull=False),
                name="anonymisation_has_subject",
            )
        ]

    def __str__(self):
        return f"{self.get_reason_display()} ({self.created_at:%Y-%m-%d})"


class LegalPage(models.Model):
    """The privacy policy, terms and imprint: edited by staff in the admin, one row per page and language (the
    default language's row is the fallback). Plain text, paragraphs by blank lines: no staff-written HTML on the
    site."""

    class Slug(models.TextChoices):
        PRIVACY = "privacy", _("Privacy policy")
        TERMS = "terms", _("Terms and conditions")
        IMPRINT = "imprint", _("Imprint")

    slug = models.CharField(_("slug"), max_length=20, choices=Slug.choices)
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        help_text=_("Language code (fr, de…); empty for the default language."),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Plain text. Separate paragraphs with a blank line."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name_plural = _("legal pages")
        ordering = ["slug", "language"]
        verbose_name = _("legal page")
        constraints = [models.UniqueConstraint(fields=["slug", "language"], name="legal_page_slug_language_unique")]

    def __str__(self):
        return f"{self.get_slug_display()} ({self.language or 'default'})"
