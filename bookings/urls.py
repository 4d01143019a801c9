from django.urls import path

from . import change_views, views

app_name = "bookings"
urlpatterns = [
    path("", views.my_bookings, name="my_bookings"),
    path("start/", views.booking_start, name="start"),
    path("new/<str:token>/guest/", views.booking_guest, name="guest"),
    path("new/<str:token>/review/", views.booking_review, name="review"),
    path("guest-email/", views.guest_email_verify, name="guest_email_verify"),
    path("manage/", views.guest_link_request, name="guest_link_request"),
    path("manage/<str:token>/", views.guest_link_open, name="guest_link"),
    path("<str:reference>/", views.booking_detail, name="detail"),
    path("<str:reference>/pay/", views.booking_pay, name="pay"),
    path("<str:reference>/receipt.pdf", views.booking_receipt, name="receipt"),
    path("<str:reference>/my-data.json", views.booking_data_export, name="data_export"),
    path("<str:reference>/cancel/", views.booking_cancel_view, name="cancel"),
    path("<str:reference>/rooms/<int:position>/cancel/", change_views.booking_cancel_room, name="cancel_room"),
    path("<str:reference>/change/dates/", change_views.booking_change_dates, name="change_dates"),
    path("<str:reference>/change/rooms/", change_views.booking_change_rooms, name="change_rooms"),
]
