"""The results page as one read: a page of our hotels with what each card shows (the total the guest pays, the
cancellation line of the cheapest offer, the link to the hotel page for the same stay) and, on the first page,
the hotels resold from other sites (``hotels.sources``) among them by total."""

from dataclasses import dataclass
from decimal import Decimal

from .models import Hotel
from .policy import cancellation_policy_snapshot, policy_line
from .pricing import stay_total
from .search import hotel_search_cached
from .sources import ResoldHotel, offer_sources
from .stay import Stay


@dataclass
class ResultsPage:
    hotels: list[Hotel | ResoldHotel]  # in the order shown
    total_count: int  # our hotels over all pages
    resold_count: int  # resold hotels on this page (first page only)
    page: int
    page_count: int
    complete: bool = True  # False when a source could not answer in time: the page may lack its hotels

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count


def results_page(
    *,
    city: str,
    stay: Stay,
    sort: str = "price",
    min_total: Decimal | None = None,
    max_total: Decimal | None = None,
    stars: list[int] | None = None,
    amenities: list[str] | None = None,
    page: int = 1,
    page_size: int = 10,
) -> ResultsPage:
    """Page ``page`` of the hotels in ``city`` that can host ``stay`` (``hotels.search.hotel_search_cached``), each
    with ``stay_total`` (taxes included, what the card shows and the merge compares), ``best_policy`` and
    ``page_url``. Resold hotels are asked before our search runs, so both overlap; they are not filtered by stars
    or amenities, and come after ours unless sorted by price; they are not asked about a room configuration."""
    # Suppliers sell a pooled party only, so they are not asked about a room configuration (several rooms each
    # with its own party): none could say that each room fits.
    sources = offer_sources(city=city, stay=stay) if page == 1 and not stay.room_parties else []
    hotels = hotel_search_cached(
        city=city,
        stay=stay,
        sort=sort,
        min_total=min_total,
        max_total=max_total,
        stars=stars,
        amenities=amenities,
        limit=page_size,
        offset=(page - 1) * page_size,
    )
    total_count = hotels[0].result_count if hotels else 0
    query = "?" + stay.query()
    for hotel in hotels:
        hotel.page_url = hotel.get_absolute_url() + query
        hotel.first_photo = next(iter(hotel.card.photos), None)
        hotel.top_amenities = hotel.card.amenities[:5]
        if hotel.lines:  # a room configuration: each room's line priced alone, as a booking of it would be
            hotel.stay_total = sum(
                stay_total(
                    room_total=line.line_total,
                    night_count=stay.nights,
                    rooms=1,
                    people=line.party.people,
                    taxes=hotel.card.taxes,
                )
                for line in hotel.lines
            )
        else:
            hotel.stay_total = stay_total(
                room_total=hotel.best_total,
                night_count=stay.nights,
                rooms=stay.rooms,
                people=stay.people,
                taxes=hotel.card.taxes,
            )
        hotel.best_policy = policy_line(cancellation_policy_snapshot(hotel.best_plan, hotel, stay.check_in))
    resold = [hotel for source in sources for hotel in source.hotels(own_hotels=hotels)]
    if len(sources) > 1:
        resold.sort(key=lambda h: (h.total, h.name))
    return ResultsPage(
        hotels=_merged(hotels, resold, by_price=sort == "price"),
        total_count=total_count,
        resold_count=len(resold),
        page=page,
        page_count=max(1, -(-total_count // page_size)),
        complete=all(getattr(source, "complete", True) for source in sources),
    )


def _merged(hotels: list[Hotel], resold: list[ResoldHotel], *, by_price: bool) -> list:
    """Our page with the resold hotels among ours by total (sorted by price), or after them."""
    if not by_price:
        return [*hotels, *resold]
    merged, rest = [], list(resold)
    for hotel in hotels:
        while rest and rest[0].total < hotel.stay_total:
            merged.append(rest.pop(0))
        merged.append(hotel)
    return merged + rest
