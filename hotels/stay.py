"""The stay a guest asks about: dates, party and rooms. Search, offers, bookings, the partner API and the suppliers
all take one; links between pages, the booking draft in the session and the suppliers' requests all carry it as
the same query-string fields (:meth:`Stay.params`, read back by :meth:`Stay.from_params`)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

FIELDS = ("check_in", "check_out", "adults", "children", "children_ages", "rooms")


@dataclass(frozen=True)
class Stay:
    check_in: date
    check_out: date
    adults: int
    children: int = 0
    rooms: int = 1
    children_ages: tuple = ()  # as given; may be shorter than ``children`` (older API clients)

    @property
    def nights(self) -> int:
        return (self.check_out - self.check_in).days

    @property
    def people(self) -> int:
        return self.adults + self.children

    @property
    def ages(self) -> tuple:
        """One entry per child: the age given, or None where it wasn't (priced by ``hotels.pricing.child_charge``)."""
        given = tuple(self.children_ages[: self.children])
        return given + (None,) * (self.children - len(given))

    def params(self) -> dict[str, str]:
        """The stay as query-string fields (the names ``hotels.forms.StayForm`` reads): ISO dates, ages as "4,9"."""
        return {
            "check_in": self.check_in.isoformat(),
            "check_out": self.check_out.isoformat(),
            "adults": str(self.adults),
            "children": str(self.children),
            "children_ages": ",".join(str(a) for a in self.children_ages),
            "rooms": str(self.rooms),
        }

    def query(self) -> str:
        """:meth:`params` as a query string (without "?"), for links from one page to the next."""
        return urlencode(self.params(), safe=",")

    @classmethod
    def from_params(cls, data: Mapping) -> "Stay":
        """A stay from already validated fields: a form's or a serializer's ``cleaned_data`` (dates and lists), or
        :meth:`params` read back (ISO strings, ages as "4,9"; older booking drafts hold ages as a list). Invalid
        input raises ``ValueError``/``KeyError``: validate with ``StayForm`` first."""
        check_in, check_out = data["check_in"], data["check_out"]
        ages = data.get("children_ages") or ()
        if isinstance(ages, str):
            ages = [part for part in ages.split(",") if part]
        return cls(
            check_in=check_in if isinstance(check_in, date) else date.fromisoformat(check_in),
            check_out=check_out if isinstance(check_out, date) else date.fromisoformat(check_out),
            adults=int(data["adults"]),
            children=int(data.get("children") or 0),
            rooms=int(data.get("rooms") or 1),
            children_ages=tuple(int(a) for a in ages),
        )
