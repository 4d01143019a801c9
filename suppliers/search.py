"""Supplier hotels for a results page (``SupplierOfferSource``, an offer source of ``hotels.sources``): every enabled supplier asked at once, within a time budget.

A late answer is dropped for this page, never waited for (its thread still finishes and fills the cache for the
next page); answers are cached per (supplier, query) for ``SUPPLIER_CACHE_SECONDS``; a supplier that fails
``SUPPLIER_BREAKER_FAILURES`` times in a row is skipped for ``SUPPLIER_BREAKER_SECONDS`` (circuit breaker, state
in its database row, so every instance of the site sees it). Every failure is logged with the supplier's name.
"""

import hashlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from hotels.sources import ResoldHotel

from .client import SupplierBusy, SupplierClient, SupplierError, SupplierHotelOffers
from .models import Supplier

logger = logging.getLogger("staybook.suppliers")
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="supplier")


def _cache_key(supplier, city: str, stay) -> str:
    raw = repr((supplier.pk, supplier.base_url, city.casefold(), stay))
    return "supplier-offers:" + hashlib.sha256(raw.encode()).hexdigest()


def supplier_failed(supplier, reason: str) -> None:
    logger.warning("supplier %s failed: %s", supplier.name, reason, extra={"supplier": supplier.name})
    now = timezone.now()
    Supplier.objects.filter(pk=supplier.pk).update(
        consecutive_failures=F("consecutive_failures") + 1, last_error=reason[:255], last_error_at=now
    )
    Supplier.objects.filter(pk=supplier.pk, consecutive_failures__gte=settings.SUPPLIER_BREAKER_FAILURES).update(
        open_until=now + timedelta(seconds=settings.SUPPLIER_BREAKER_SECONDS), consecutive_failures=0
    )


def _backoff_key(supplier) -> str:
    return f"supplier-backoff:{supplier.pk}"


def supplier_busy(supplier, seconds: int) -> None:
    """The supplier answered 429 (we spent our quota there): leave it alone for ``seconds``, on every instance
    (the shared cache). Not a failure: the circuit breaker counts only answers that went wrong."""
    logger.info("supplier %s asked us to slow down for %s s", supplier.name, seconds, extra={"supplier": supplier.name})
    cache.set(_backoff_key(supplier), True, seconds)


def supplier_succeeded(supplier) -> None:
    Supplier.objects.filter(pk=supplier.pk).update(
        consecutive_failures=0, open_until=None, last_success_at=timezone.now()
    )


def _ask(supplier, city: str, stay, key: str) -> list[SupplierHotelOffers]:
    """Runs in a pool thread, with no database: the answer, cached when it comes (even after its page is gone)."""
    try:
        hotels = SupplierClient(supplier).availability(city=city, stay=stay)
    except SupplierError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a supplier does must not reach our page
        raise SupplierError(f"{type(exc).__name__}: {str(exc)[:150]}") from exc
    cache.set(key, hotels, settings.SUPPLIER_CACHE_SECONDS)
    return hotels


class SupplierSearch:
    """The suppliers' answers for one page, asked as soon as it is created (so they travel while our own search
    runs) and collected by :meth:`offers` within the budget counted from creation."""

    def __init__(self, *, city: str, stay, budget: float | None = None):
        self.budget = settings.SUPPLIER_BUDGET_MS / 1000 if budget is None else budget
        self.started = time.monotonic()
        self.answers, self.pending = [], {}
        self.complete = True  # False once a supplier failed or was late for this page
        for supplier in Supplier.objects.filter(enabled=True):
            if supplier.is_open or cache.get(_backoff_key(supplier)):
                continue
            key = _cache_key(supplier, city, stay)
            cached = cache.get(key)
            if cached is not None:
                self.answers.extend(cached)
            else:
                self.pending[_pool.submit(_ask, supplier, city, stay, key)] = supplier

    def offers(self, *, own_hotels=()) -> list[SupplierHotelOffers]:
        """The hotels that answered in time, cheapest first; hotels already in ``own_hotels`` (same name and city)
        or sent by two suppliers are shown once."""
        answers = list(self.answers)
        if self.pending:
            timeout = max(0.0, self.budget - (time.monotonic() - self.started))
            done, late = wait(self.pending, timeout=timeout)
            for future in done:
                supplier = self.pending[future]
                if future.exception() is None:
                    answers.extend(future.result())
                    supplier_succeeded(supplier)
                elif isinstance(future.exception(), SupplierBusy):
                    supplier_busy(supplier, future.exception().retry_after)
                else:
                    supplier_failed(supplier, str(future.exception()))
                    self.complete = False
            self.complete = self.complete and not late
            for future in late:
                supplier_failed(
                    self.pending[future], f"no answer within {self.budget * 1000:.0f} ms: dropped from the page"
                )
            self.pending = {}
        seen = {(h.name.casefold(), h.city.casefold()) for h in own_hotels}
        merged = []
        for hotel in sorted(answers, key=lambda h: (h.best.total, h.hotel["name"])):
            name_key = (hotel.hotel["name"].casefold(), hotel.hotel["city"].casefold())
            if name_key in seen:
                continue
            seen.add(name_key)
            merged.append(hotel)
        return merged


def supplier_offers(*, city: str, stay, own_hotels=(), budget: float | None = None) -> list[SupplierHotelOffers]:
    """The enabled suppliers' hotels in ``city`` for ``stay`` that answered within ``budget`` seconds (the
    ``SUPPLIER_BUDGET_MS`` setting by default): :class:`SupplierSearch` asked and collected at once."""
    return SupplierSearch(city=city, stay=stay, budget=budget).offers(own_hotels=own_hotels)


class SupplierOfferSource:
    """The suppliers as an offer source of the results page (``SEARCH_OFFER_SOURCES``): their hotels as
    :class:`hotels.sources.ResoldHotel` cards whose "Book" link leads to ``suppliers:book`` for the same stay."""

    def __init__(self, *, city: str, stay):
        self.stay = stay
        self.search = SupplierSearch(city=city, stay=stay)

    @property
    def complete(self) -> bool:
        return self.search.complete

    def hotels(self, *, own_hotels) -> list[ResoldHotel]:
        return [self._card(hotel) for hotel in self.search.offers(own_hotels=own_hotels)]

    def _card(self, hotel: SupplierHotelOffers) -> ResoldHotel:
        best = hotel.best
        choice = {
            "supplier": hotel.supplier_id,
            "hotel": hotel.remote_id,
            "room_type": best.remote_room_type_id,
            "rate_plan": best.remote_rate_plan_id or "",
        }
        return ResoldHotel(
            seller=hotel.supplier_name,
            name=hotel.hotel["name"],
            city=hotel.hotel["city"],
            address=hotel.hotel["address"],
            stars=hotel.hotel["stars"],
            total=best.total,
            currency=best.currency,
            room_type_name=best.room_type["name"],
            rate_plan_name=best.rate_plan_name,
            policy=best.policy,
            book_url=f"{reverse('suppliers:book')}?{urlencode(choice)}&{self.stay.query()}",
        )
