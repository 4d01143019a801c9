from django.urls import path

from . import views

app_name = "bookings"
urlpatterns = [
    path("start/", views.booking_start, name="start"),
]
