"""Payment gateways, chosen by ``settings.PAYMENT_GATEWAY`` the way Django's EMAIL_BACKEND is."""


def get_gateway():
    from django.conf import settings
    from django.utils.module_loading import import_string

    return import_string(settings.PAYMENT_GATEWAY)(**settings.PAYMENT_GATEWAY_OPTIONS)
