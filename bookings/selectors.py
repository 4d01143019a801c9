from django.db.models import QuerySet
from django.utils import timezone

from .models import Booking

TAB_FILTERS = {
    "upcoming": {
        "check_out__gte": None,
        "status__in": [Booking.Status.CONFIRMED, Booking.Status.PENDING_PAYMENT, Booking.Status.CHECKED_IN],
    },
    "past": {
        "check_out__lt": None,
        "status__in": [
            Booking.Status.CONFIRMED,
            Booking.Status.CHECKED_IN,
            Booking.Status.CHECKED_OUT,
            Booking.Status.NO_SHOW,
        ],
    },
    "cancelled": {"status__in": [Booking.Status.CANCELLED, Booking.Status.EXPIRED, Booking.Status.PAYMENT_FAILED]},
}


def customer_bookings(*, customer, tab: str = "upcoming") -> QuerySet:
    """A customer's bookings for one tab of "My bookings", with hotel and room type joined (one query)."""
    today = timezone.now().date()
    filters = {key: (today if value is None else value) for key, value in TAB_FILTERS[tab].items()}
    order = "check_in" if tab == "upcoming" else "-check_in"
    return Booking.objects.filter(customer=customer, **filters).select_related("hotel", "room_type").order_by(order)
