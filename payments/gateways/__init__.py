"""Payment gateways, chosen by ``settings.PAYMENT_GATEWAY`` the way Django's EMAIL_BACKEND is::

PAYMENT_GATEWAY = "payments.gateways.sandbox.SandboxBankGateway"
PAYMENT_GATEWAY_OPTIONS = {"base_url": "...", "api_key": "...", "webhook_secret": "...", "timeout": (3.05, 10)}
"""

import os
import threading

DEFAULT_GATEWAY = "payments.gateways.sandbox.SandboxBankGateway"
_local = threading.local()


def get_gateway():
    """The configured gateway, instantiated with ``**settings.PAYMENT_GATEWAY_OPTIONS``.

    One instance per thread, process and configuration is kept, so its pooled HTTP connections are reused across
    requests without being shared between threads or forked workers; changing the settings (as tests do) gives
    a fresh instance."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    path = getattr(settings, "PAYMENT_GATEWAY", DEFAULT_GATEWAY)
    options = dict(getattr(settings, "PAYMENT_GATEWAY_OPTIONS", {}))
    key = (os.getpid(), path, repr(sorted(options.items())))
    cache = _local.__dict__.setdefault("gateways", {})
    if key not in cache:
        cache[key] = import_string(path)(**options)
    return cache[key]
