from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners (API)")

    def ready(self):
        from .api import auth  # noqa: F401 - registers the OpenAPI security scheme
