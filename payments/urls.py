from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("return/<str:reference>/", views.payment_return, name="return"),
    path("webhook/", views.payment_webhook, name="webhook"),
    path("pay/<str:reference>/", views.payment_link, name="link"),
    path("bookings/<str:reference>/billing/", views.billing_details, name="billing_details"),
    path("bookings/<str:reference>/documents/<str:number>.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("bookings/<str:reference>/receipts/<str:number>.pdf", views.payment_receipt_pdf, name="payment_receipt_pdf"),
]
