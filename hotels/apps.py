from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotelsConfig(AppConfig):
    name = "hotels"
    verbose_name = _("Hotels")

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
