"""The rooms a guest puts together on a hotel page before "Reserve": a basket of lines, each a rate plan with its
own party (adults and children's ages), for the stay's dates.

The basket lives in the page's query string (``room=<plan>:<adults>:<ages>``, e.g. ``room=12:2:4,9``), so it works
without JavaScript or a session, survives a change of dates and can be bookmarked; the booking flow receives the
same lines in a plain POST. Every price comes from ``hotel_offers`` (``stay_quote``), one room per line.
"""

from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Hotel, RatePlan, RoomType
from .offers import RoomOffer, hotel_offers
from .payment_terms import payment_terms_combine, payment_terms_line
from .stay import Stay

MAX_AGE = 17


class BasketLineInvalid(ValueError):
    """A line that can't be read or can't be booked as asked; ``message`` is for the guest."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class BasketLine:
    rate_plan_id: int
    adults: int
    children_ages: tuple[int, ...] = ()

    @property
    def children(self) -> int:
        return len(self.children_ages)

    def param(self) -> str:
        return f"{self.rate_plan_id}:{self.adults}:{','.join(str(a) for a in self.children_ages)}"

    @classmethod
    def parse(cls, value: str) -> "BasketLine":
        """``"12:2:4,9"`` → a line; raises :class:`BasketLineInvalid` for anything else."""
        parts = str(value).split(":")
        if len(parts) == 2:
            parts.append("")
        if len(parts) != 3 or not parts[0].isdecimal() or not parts[1].isdecimal():
            raise BasketLineInvalid(_("That room choice isn't valid any more: please choose the room again."))
        return cls.build(rate_plan_id=int(parts[0]), adults=int(parts[1]), ages=parts[2])

    @classmethod
    def build(cls, *, rate_plan_id: int, adults: int, ages: str | list | tuple = "") -> "BasketLine":
        """A line from form input; ``ages`` as "4, 9" or a list. Raises :class:`BasketLineInvalid`."""
        if isinstance(ages, str):
            pieces = [p for p in ages.replace(";", ",").replace(" ", ",").split(",") if p]
        else:
            pieces = [str(a) for a in ages]
        if any(not p.isdecimal() or int(p) > MAX_AGE for p in pieces):
            raise BasketLineInvalid(_("Ages are whole numbers from 0 to 17, separated by commas (e.g. 4, 9)."))
        if len(pieces) > 10:
            raise BasketLineInvalid(_("At most 10 children in a room."))
        if adults < 1:
            raise BasketLineInvalid(_("Each room needs at least one adult."))
        if adults > 30:
            raise BasketLineInvalid(_("At most 30 adults in a room."))
        return cls(rate_plan_id=rate_plan_id, adults=adults, children_ages=tuple(int(p) for p in pieces))

    def stay(self, stay: Stay) -> Stay:
        """The stay's dates with this line's party, in one room."""
        return Stay(
            check_in=stay.check_in,
            check_out=stay.check_out,
            adults=self.adults,
            children=self.children,
            rooms=1,
            children_ages=self.children_ages,
        )


def party_label(adults: int, ages) -> str:
    """ "2 adults, 1 child (aged 7)" """
    text = ngettext("%(count)d adult", "%(count)d adults", adults) % {"count": adults}
    if ages:
        children = ngettext("%(count)d child", "%(count)d children", len(ages)) % {"count": len(ages)}
        aged = _("aged %(ages)s") % {"ages": ", ".join(str(a) for a in ages)}
        text = f"{text}, {children} ({aged})"
    return text


def room_fit_problem(room_type: RoomType, *, adults: int, children: int) -> str:
    """Why ``room_type`` can't host this party in one room ("" when it can): the guest-facing message."""
    if adults < 1:
        return _("Each room needs at least one adult.")
    if adults > room_type.max_adults:
        return ngettext(
            "A %(room)s hosts at most %(count)d adult.",
            "A %(room)s hosts at most %(count)d adults.",
            room_type.max_adults,
        ) % {"room": room_type.name, "count": room_type.max_adults}
    if children > room_type.max_children:
        if not room_type.max_children:
            return _("A %(room)s does not take children.") % {"room": room_type.name}
        return ngettext(
            "A %(room)s hosts at most %(count)d child.",
            "A %(room)s hosts at most %(count)d children.",
            room_type.max_children,
        ) % {"room": room_type.name, "count": room_type.max_children}
    if adults + children > room_type.max_occupancy:
        return ngettext(
            "A %(room)s hosts at most %(count)d guest.",
            "A %(room)s hosts at most %(count)d guests.",
            room_type.max_occupancy,
        ) % {"room": room_type.name, "count": room_type.max_occupancy}
    return ""


@dataclass
class PricedLine:
    """A basket line as the page shows it: its plan, its offer (price, policy) and, if it can't be booked, why."""

    line: BasketLine
    rate_plan: RatePlan | None
    offer: RoomOffer | None
    problem: str = ""

    @property
    def party(self) -> str:
        return party_label(self.line.adults, self.line.children_ages)


@dataclass
class PricedBasket:
    lines: list[PricedLine]
    currency: str

    @property
    def ok(self) -> bool:
        return bool(self.lines) and not any(p.problem for p in self.lines)

    @property
    def total(self):
        return sum((p.offer.total for p in self.lines if p.offer), start=0)

    def params(self) -> list[str]:
        return [p.line.param() for p in self.lines]

    @property
    def payment_terms(self) -> dict | None:
        """What is due now and later for the whole basket, each room on its own plan's terms."""
        terms = [p.offer.payment_terms for p in self.lines if p.offer]
        return payment_terms_combine(terms) if terms else None

    @property
    def payment_terms_line(self) -> str:
        return payment_terms_line(self.payment_terms) if self.payment_terms else ""


def basket_plans(*, hotel: Hotel, plan_ids) -> dict[int, RatePlan]:
    """The hotel's plans among ``plan_ids``, with their room types (others' plans are simply not found)."""
    plans = RatePlan.objects.filter(pk__in=set(plan_ids), room_type__hotel=hotel).select_related("room_type")
    return {plan.pk: plan for plan in plans}


def basket_price(*, hotel: Hotel, stay: Stay, lines: list[BasketLine]) -> PricedBasket:
    """Price every line for ``stay``'s dates (one ``hotel_offers`` call per distinct party) and say what stops a
    line: a plan not sold here, a party the room can't host, a rate closed or sold out, more rooms of a type than
    are left. The booking services check all of it again when the rooms are held."""
    plans = basket_plans(hotel=hotel, plan_ids=[line.rate_plan_id for line in lines])
    offers_by_party: dict[tuple, dict[int, RoomOffer]] = {}
    wanted = Counter(plans[line.rate_plan_id].room_type_id for line in lines if line.rate_plan_id in plans)
    priced = []
    for line in lines:
        plan = plans.get(line.rate_plan_id)
        if plan is None or not plan.is_active or not plan.room_type.is_active:
            priced.append(PricedLine(line, plan, None, _("This rate is not sold any more: please remove it.")))
            continue
        problem = room_fit_problem(plan.room_type, adults=line.adults, children=line.children)
        if problem:
            priced.append(PricedLine(line, plan, None, problem))
            continue
        key = (line.adults, line.children_ages)
        if key not in offers_by_party:
            offers = hotel_offers(hotel=hotel, stay=line.stay(stay))
            offers_by_party[key] = {offer.rate_plan.pk: offer for offer in offers}
        offer = offers_by_party[key].get(plan.pk)
        if offer is None:
            problem = _("%(room)s, %(rate)s can't be booked for these dates.") % {
                "room": plan.room_type.name,
                "rate": plan.name,
            }
        elif wanted[plan.room_type_id] > offer.rooms_available:
            problem = ngettext(
                "Only %(count)d %(room)s is left for these dates.",
                "Only %(count)d rooms of type %(room)s are left for these dates.",
                offer.rooms_available,
            ) % {"count": offer.rooms_available, "room": plan.room_type.name}
        priced.append(PricedLine(line, plan, offer, problem))
    return PricedBasket(lines=priced, currency=hotel.currency)


def basket_lines_read(values) -> tuple[list[BasketLine], str]:
    """The basket from the query string's ``room`` values: the lines that read, and a message if any did not (or
    if there are more than a booking may hold)."""
    lines, problem = [], ""
    for value in values:
        try:
            lines.append(BasketLine.parse(value))
        except BasketLineInvalid as exc:
            problem = exc.message
    if len(lines) > settings.BOOKING_MAX_ROOMS:
        lines = lines[: settings.BOOKING_MAX_ROOMS]
        problem = _("You can book up to %(count)d rooms at once.") % {"count": settings.BOOKING_MAX_ROOMS}
    return lines, problem
