"""The booking flow's room fixture, for the guest and privacy flows."""

from tests.bookings.test_flow import room  # noqa: F401
