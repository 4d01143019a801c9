from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners (API)"

    def ready(self):
        from .api import auth  # noqa: F401 - registers the OpenAPI security scheme
