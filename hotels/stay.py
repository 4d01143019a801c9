"""The stay a guest asks about: dates, party and rooms. Search, offers, bookings, the partner API and the suppliers
all take one; links between pages, the booking draft in the session and the suppliers' requests all carry it as
the same query-string fields (:meth:`Stay.params`, read back by :meth:`Stay.from_params`).

A stay is either a party pooled over ``rooms`` identical rooms (adults, children, rooms: the older form, still read
and still what bookings of one line mean) or a **room configuration**: one :class:`RoomParty` per room, for example
"2 rooms: 2 adults; 1 adult + 1 child aged 7", carried as ``party=2;1+7`` (rooms separated by ";", in each room the
adults and then each child's age). A configured stay also has the pooled totals (adults, children, ages, rooms), so
every reader of those keeps working; the search places each room in a room type of its own size."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple
from urllib.parse import urlencode

from django.utils.translation import gettext as _

FIELDS = ("check_in", "check_out", "adults", "children", "children_ages", "rooms", "party")
MAX_PARTY_ROOMS = 8  # rooms in one configuration (as Expedia's Rapid API allows)
MAX_ROOM_ADULTS = 10
MAX_CHILD_AGE = 17


class PartyError(ValueError):
    """A room configuration that can't be read; the message says why, for the form."""


class RoomParty(NamedTuple):
    """Who stays in one room of a configuration."""

    adults: int
    ages: tuple[int, ...] = ()  # each child's age on arrival

    @property
    def children(self) -> int:
        return len(self.ages)

    @property
    def people(self) -> int:
        return self.adults + len(self.ages)

    def text(self) -> str:
        return str(self.adults) + ("+" + ",".join(str(age) for age in self.ages) if self.ages else "")


def party_text(party) -> str:
    """The query-string form of a configuration: "2;1+7" (see the module docstring)."""
    return ";".join(room.text() for room in party)


def parse_party(text: str) -> tuple[RoomParty, ...]:
    """ "2; 1 + 7" (or "2|1 7", "2;1+4,9"…) → (RoomParty(2), RoomParty(1, (7,))): rooms separated by ";" or "|", in
    each room the first number is the adults and the others are the children's ages. Raises :class:`PartyError`
    with a message for the guest."""
    rooms = [room.strip() for room in re.split(r"[;|]", text)]
    if rooms and not rooms[-1]:
        rooms.pop()  # a trailing ";"
    if not rooms:
        raise PartyError(_("Say who stays in each room, e.g. 2; 1 + 7."))
    if len(rooms) > MAX_PARTY_ROOMS:
        raise PartyError(_("At most %(count)s rooms per search.") % {"count": MAX_PARTY_ROOMS})
    party = []
    for number, room in enumerate(rooms, start=1):
        numbers = [part for part in re.split(r"[+,\s]+", room) if part]
        if not numbers or not all(part.isdecimal() and len(part) <= 3 for part in numbers):
            raise PartyError(
                _("Room %(number)s: give the adults, then each child's age, e.g. 2 + 4, 9.") % {"number": number}
            )
        adults, ages = int(numbers[0]), tuple(int(age) for age in numbers[1:])
        if adults < 1:
            raise PartyError(_("Room %(number)s needs at least one adult.") % {"number": number})
        if adults > MAX_ROOM_ADULTS:
            raise PartyError(
                _("Room %(number)s: at most %(count)s adults in a room.") % {"number": number, "count": MAX_ROOM_ADULTS}
            )
        if any(age > MAX_CHILD_AGE for age in ages):
            raise PartyError(
                _("Room %(number)s: children's ages are whole numbers from 0 to %(age)s.")
                % {"number": number, "age": MAX_CHILD_AGE}
            )
        party.append(RoomParty(adults, ages))
    if sum(room.children for room in party) > 10:
        raise PartyError(_("At most 10 children per search."))
    return tuple(party)


@dataclass(frozen=True)
class Stay:
    check_in: date
    check_out: date
    adults: int
    children: int = 0
    rooms: int = 1
    children_ages: tuple = ()  # as given; may be shorter than ``children`` (older API clients)
    party: tuple[RoomParty, ...] = ()  # a configuration of 2+ rooms, or () for the pooled party (module docstring)

    @classmethod
    def of_rooms(cls, *, check_in: date, check_out: date, party) -> "Stay":
        """A stay for a room configuration, with its pooled totals."""
        party = tuple(RoomParty(adults, tuple(ages)) for adults, ages in party)
        ages = tuple(age for room in party for age in room.ages)
        return cls(
            check_in=check_in,
            check_out=check_out,
            adults=sum(room.adults for room in party),
            children=len(ages),
            rooms=len(party),
            children_ages=ages,
            party=party if len(party) > 1 else (),  # one room: the pooled party of one room, nothing more to say
        )

    @property
    def room_parties(self) -> tuple[RoomParty, ...] | None:
        """The configuration (two rooms or more: a one-room configuration is kept as the pooled party of one room,
        so only the stay's totals travel), else None."""
        return self.party or None

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
        """The stay as query-string fields (the names ``hotels.forms.StayForm`` reads): ISO dates, ages as "4,9";
        a configured stay adds ``party`` ("2;1+7") to its pooled totals."""
        params = {
            "check_in": self.check_in.isoformat(),
            "check_out": self.check_out.isoformat(),
            "adults": str(self.adults),
            "children": str(self.children),
            "children_ages": ",".join(str(a) for a in self.children_ages),
            "rooms": str(self.rooms),
        }
        if self.party:
            params["party"] = party_text(self.party)
        return params

    def query(self) -> str:
        """:meth:`params` as a query string (without "?"), for links from one page to the next."""
        return urlencode(self.params(), safe=",;")

    @classmethod
    def from_params(cls, data: Mapping) -> "Stay":
        """A stay from already validated fields: a form's or a serializer's ``cleaned_data`` (dates and lists), or
        :meth:`params` read back (ISO strings, ages as "4,9"; older booking drafts hold ages as a list). Invalid
        input raises ``ValueError``/``KeyError``: validate with ``StayForm`` first. With ``party`` (its text, or the
        rooms as a form cleans them), the configuration decides the totals."""
        check_in, check_out = data["check_in"], data["check_out"]
        check_in = check_in if isinstance(check_in, date) else date.fromisoformat(check_in)
        check_out = check_out if isinstance(check_out, date) else date.fromisoformat(check_out)
        party = data.get("party") or ()
        if party:
            party = parse_party(party) if isinstance(party, str) else party
            return cls.of_rooms(check_in=check_in, check_out=check_out, party=party)
        ages = data.get("children_ages") or ()
        if isinstance(ages, str):
            ages = [part for part in ages.split(",") if part]
        return cls(
            check_in=check_in,
            check_out=check_out,
            adults=int(data["adults"]),
            children=int(data.get("children") or 0),
            rooms=int(data.get("rooms") or 1),
            children_ages=tuple(int(a) for a in ages),
        )
