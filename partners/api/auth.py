import re

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, throttling

from config.client_ip import client_ip
from partners.models import PartnerAPIKey

KEY_SHAPE = re.compile(r"[A-Za-z0-9]{1,16}\.[A-Za-z0-9]{1,64}")  # prefix.secret, as djangorestframework-api-key makes


class PartnerKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <key>``; the request's user is the Partner."""

    keyword = "Api-Key"

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        keyword, _space, key = header.partition(" ")
        if keyword != self.keyword or not key.strip():
            raise exceptions.AuthenticationFailed(_("Use the header Authorization: Api-Key <your key>."))
        if not KEY_SHAPE.fullmatch(key.strip()):
            raise exceptions.AuthenticationFailed(_("This API key is not valid or was revoked."))
        key = key.strip()
        # djangorestframework-api-key's get_from_key(), with the partner in the same query.
        usable = PartnerAPIKey.objects.get_usable_keys().select_related("partner")
        api_key = usable.filter(prefix=key.partition(".")[0]).first()
        if api_key is None or not api_key.is_valid(key) or api_key.has_expired or not api_key.partner.is_active:
            raise exceptions.AuthenticationFailed(_("This API key is not valid or was revoked."))
        return api_key.partner, api_key

    def authenticate_header(self, request):
        return self.keyword


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "partners.api.auth.PartnerKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: keys are issued per partner and shown once.",
        }


class PartnerRateThrottle(throttling.SimpleRateThrottle):
    """Requests per partner, counted in the shared cache (Redis in production, so every instance agrees)."""

    scope = "partner"

    def get_rate(self):
        return settings.PARTNER_API_THROTTLE_RATE

    def get_ident(self, request):
        return client_ip(
            request
        )  # the same client address as every other limit (X-Forwarded-For only from our proxies)

    def get_cache_key(self, request, view):
        partner = getattr(request, "user", None)
        ident = getattr(partner, "pk", None) or self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
