from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    name = "suppliers"
    verbose_name = "Suppliers (partner hotels)"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the receivers)
