from django.conf import settings
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.urls import include, path, re_path
from django.views.generic import TemplateView

from config.health import healthz, readyz


def supplier_hotels_moved(request, rest):
    """Links to /partner-hotels/… from before supplier wording: a permanent redirect that keeps the query string
    and the method (308), so a booking form opened at the old address still posts."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(
        f"/supplier-hotels/{rest}" + (f"?{query}" if query else ""), preserve_request=True
    )


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("", include("hotels.urls")),
    path("accounts/", include("accounts.urls")),
    path("legal/", include("accounts.legal_urls")),
    path("bookings/", include("bookings.urls")),
    path("payments/", include("payments.urls")),
    path("supplier-hotels/", include("suppliers.urls")),
    re_path(r"^partner-hotels/(?P<rest>.*)$", supplier_hotels_moved),  # the old address of supplier-hotels/
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
