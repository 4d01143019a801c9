from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

app_name = "api"
urlpatterns = [
    path("hotels/", views.HotelListView.as_view(), name="hotels"),
    path("hotels/<int:hotel_id>/", views.HotelDetailView.as_view(), name="hotel"),
    path("availability/", views.AvailabilityView.as_view(), name="availability"),
    path("bookings/", views.BookingListCreateView.as_view(), name="bookings"),
    path("bookings/<str:reference>/", views.BookingDetailView.as_view(), name="booking"),
    path("bookings/<str:reference>/cancel/", views.BookingCancelView.as_view(), name="booking-cancel"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
