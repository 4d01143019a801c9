from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import room_views, views

app_name = "api"
urlpatterns = [
    path("hotels/", views.HotelListView.as_view(), name="hotels"),
    path("hotels/<int:hotel_id>/", views.HotelDetailView.as_view(), name="hotel"),
    path("availability/", views.AvailabilityView.as_view(), name="availability"),
    path("bookings/", views.BookingListCreateView.as_view(), name="bookings"),
    path("bookings/<str:reference>/", views.BookingDetailView.as_view(), name="booking"),
    path("bookings/<str:reference>/cancel/", views.BookingCancelView.as_view(), name="booking-cancel"),
    path("bookings/<str:reference>/modify/", room_views.BookingModifyView.as_view(), name="booking-modify"),
    path(
        "bookings/<str:reference>/modify/quote/",
        room_views.BookingModifyQuoteView.as_view(),
        name="booking-modify-quote",
    ),
    path(
        "bookings/<str:reference>/rooms/<int:line_id>/cancel/",
        room_views.BookingRoomCancelView.as_view(),
        name="booking-room-cancel",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
