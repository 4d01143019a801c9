from django.urls import path

from . import views

app_name = "hotels"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("destinations/", views.destination_suggestions, name="destinations"),
    path("hotels/<slug:slug>/", views.hotel_detail, name="detail"),
]
