from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from config.health import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("", include("hotels.urls")),
    path("accounts/", include("accounts.urls")),
    path("bookings/", include("bookings.urls")),
    path("payments/", include("payments.urls")),
    path("partner-hotels/", include("suppliers.urls")),
    path("api/v1/", include("partners.api.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]


def handler404(request, exception=None):
    """JSON errors under /api/, the site's page elsewhere."""
    if request.path.startswith("/api/"):
        from partners.api.errors import json_404

        return json_404(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        from partners.api.errors import json_500

        return json_500(request)
    from django.views.defaults import server_error

    return server_error(request)


if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += [path("styleguide/", TemplateView.as_view(template_name="styleguide.html"))]
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
