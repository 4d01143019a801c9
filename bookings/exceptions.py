"""Domain errors of the booking services. Each carries a stable ``code`` (the API's error code) and a message
written for the guest."""


class BookingError(Exception):
    code = "booking_error"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class StayInvalid(BookingError):
    code = "invalid_stay"


class SoldOut(BookingError):
    code = "sold_out"


class PriceChanged(BookingError):
    code = "price_changed"


class InvalidTransition(BookingError):
    code = "invalid_transition"
