"""Hotels we resell from other sites, shown among ours on the results page, come from *offer sources* chosen by a
setting, the way ``EMAIL_BACKEND`` chooses how mail leaves: ``SEARCH_OFFER_SOURCES`` lists dotted paths of classes
(``suppliers.search.SupplierOfferSource`` asks the suppliers). The results page knows only this interface, so it
never imports the app behind a source, and a deployment without suppliers sets the list empty.

A source is a class built with ``(city=..., stay=...)`` when a results page starts, so its requests travel while
our own search runs, and asked ``hotels(own_hotels=...)`` once our page is known. It returns :class:`ResoldHotel`
rows (plain data: what a card shows and where "Book" leads), cheapest first, without the hotels already in
``own_hotels``; it must never raise for a failure of the site behind it (log it, return fewer hotels), and then
says so with ``complete = False`` (the page isn't cached without those hotels).
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .models import Hotel
from .policy import policy_line
from .stay import Stay


@dataclass(frozen=True)
class ResoldHotel:
    """A hotel resold from another site, as its results card shows it: its cheapest offer for the stay."""

    seller: str  # the site we resell it from, shown as "via <seller>"
    name: str
    city: str
    address: str
    stars: int
    total: Decimal  # what the guest pays, taxes included, in ``currency``
    currency: str
    room_type_name: str
    rate_plan_name: str
    policy: dict  # the cancellation policy snapshot the offer would be booked under
    book_url: str

    is_resold: ClassVar[bool] = True  # our own hotels on the same page are ``Hotel`` rows

    @property
    def policy_line(self) -> str:
        return policy_line(self.policy)


class OfferSource(Protocol):
    def __init__(self, *, city: str, stay: Stay) -> None: ...

    def hotels(self, *, own_hotels: list[Hotel]) -> list[ResoldHotel]: ...


def offer_sources(*, city: str, stay: Stay) -> list[OfferSource]:
    """The configured sources, each started for ``city`` and ``stay``."""
    return [import_string(path)(city=city, stay=stay) for path in settings.SEARCH_OFFER_SOURCES]
