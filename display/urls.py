from django.urls import path

from . import views

app_name = "display"
urlpatterns = [path("currency/", views.display_currency_set, name="currency")]
