from django.urls import path

from . import views

app_name = "suppliers"
urlpatterns = [path("book/", views.supplier_book, name="book")]
