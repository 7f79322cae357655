"""The customer's clock: the time zone a request's date-times are read in.

A rule file with `customer timezone of FR at delivery.postcode` reads each date-time of a request
(a `date` fact given with a time, a `datetime` fact, a period's anchor) in the zone of the
customer's region, found as the calendar finds its holidays: a Guadeloupe postcode reads
`2012-04-21T20:00-04:00` as 21 April, where Paris would read 22 April. Where the two readings
disagree on the day, the customer's stands (in doubt, for the consumer: C. conso L133-2 in 2012,
L211-1 since 2016). A date without a time (`2012-04-21`) is a day already: nothing to convert.

When the region is unknown (no postcode, or one that names no region), the request is read in the
zone of every region of the country. Readings that give the same answer (outcome, clause,
rigidity) settle it; when they differ, the decision is `needs_info` and asks for the region fact,
as an unknown postcode does when the regions' holidays disagree: the engine does not guess which
reading favours the customer, since that depends on the fact (a later day is late for a request,
and generous for a delivery).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from policycheck.calendar import CalendarError, default_timezone, resolve_region
from policycheck.calendar.local_time import zone
from policycheck.calendar.regions import country_timezones
from policycheck.evaluation.decision import Decision, Outcome, json_value
from policycheck.evaluation.facts import FactSchema, FactValue
from policycheck.evaluation.personal import shown
from policycheck.evaluation.words import long_date
from policycheck.language import nodes

# A request's facts as read in one time zone: (the zone, the facts). A plain tuple: one is made
# for every request.
Reading = tuple[ZoneInfo, dict[str, FactValue]]


@dataclass(frozen=True, slots=True)
class CustomerClock:
    """Where the customer's zone comes from: a country and the fact naming their region."""

    country: str
    region_fact: str
    path: tuple[str, ...] = ()  # the region fact's place in the nested facts

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", tuple(self.region_fact.split(".")))

    @classmethod
    def of(cls, header: nodes.Header) -> CustomerClock | None:
        """The clock a rule file's header declares, if any."""
        customer = header.customer_zone
        return cls(customer.country, customer.region_fact.name) if customer else None

    def zone_of(self, facts: Mapping[str, Any]) -> ZoneInfo | None:
        """The customer's zone from the region fact of the (nested, raw) facts; None when the
        fact is absent or names no region."""
        value = _at(facts, self.path)
        return _region_zone(self.country, value) if type(value) is str else None

    def zones(self, first: ZoneInfo) -> tuple[ZoneInfo, ...]:
        """Every zone a region of the country may be in, `first` (the policy's) first when it is
        one of them."""
        every = tuple(zone(name) for name in country_timezones(self.country))
        return (first, *(z for z in every if z != first)) if first in every else every


def read_on_clock(
    schema: FactSchema, clock: CustomerClock | None, tz: ZoneInfo, facts: Mapping[str, Any]
) -> list[Reading]:
    """The facts as read on the customer's clock: in their region's zone; their region unknown,
    in each zone that reads a date-time differently (`tz`, the policy's, first); without a
    clock, in `tz`. Raises FactsError for invalid facts."""
    if clock is None:
        return [(tz, schema.validate(facts))]
    customer = clock.zone_of(facts)
    if customer is not None:
        return [(customer, schema.validate(facts, customer))]
    first = (tz, schema.validate(facts))
    if not gives_time(schema, facts):
        return [first]
    readings: list[Reading] = [first]
    for zone_ in clock.zones(tz):
        known = schema.validate(facts, zone_)
        if all(known != other for _, other in readings):
            readings.append((zone_, known))
    return readings


def gives_time(schema: FactSchema, facts: Mapping[str, Any]) -> bool:
    """True when a date or datetime fact is given with a time (more than YYYY-MM-DD): only then
    can the clock that reads it change its value."""
    for path in schema.timed:
        value: Any = facts
        for part in path:  # facts decoded from JSON are dicts: the general case only if not
            value = value.get(part) if type(value) is dict else _at(value, (part,))
        if type(value) is str and len(value) != 10:
            return True
    return False


def raw_value(facts: Mapping[str, Any], name: str) -> Any:
    """The value of the dotted fact `name` in nested, not yet validated facts (None if absent)."""
    return _at(facts, _parts(name))


def _at(facts: Any, path: tuple[str, ...]) -> Any:
    value = facts
    for part in path:
        if type(value) is dict or isinstance(value, Mapping):
            value = value.get(part)
        else:
            return None
    return value


@functools.cache
def _parts(name: str) -> tuple[str, ...]:
    return tuple(name.split("."))


@functools.lru_cache(maxsize=4096)
def _region_zone(country: str, place: str) -> ZoneInfo | None:
    """The zone of the region at `place`, read as a calendar reads it (closures._regional_calendar):
    a postcode for FR, a region code elsewhere."""
    try:
        region = (
            resolve_region(country, postcode=place)
            if country == "FR"
            else resolve_region(country, region=place)
        )
    except CalendarError:
        return None
    name = default_timezone(region)
    return zone(name) if name else None


def _answer(decision: Decision) -> tuple[Any, ...]:
    """What a customer is told: readings that agree on it settle the request."""
    clause = decision.clause.id if decision.clause else None
    return (decision.outcome, clause, decision.rigid, decision.discretion, decision.layer)


def settle(
    readings: list[Reading],
    decisions: list[Decision],
    clock: CustomerClock,
    question: str,
    personal: frozenset[str] = frozenset(),
    label: Callable[[str, str], str] | None = None,
) -> Decision:
    """One decision from the decisions of every reading of a request whose region is unknown
    (the first: the policy's zone). The same answer: that one (without its deadline or margin
    where they differ); different answers: `needs_info`, asking for the region fact, and saying
    why in the explanation."""
    first = decisions[0]
    deadline = first.deadline if len({d.deadline for d in decisions}) == 1 else None
    if len({_answer(d) for d in decisions}) == 1:
        if len({(d.deadline, d.margin) for d in decisions}) == 1:
            return first
        margin = first.margin if len({d.margin for d in decisions}) == 1 else None
        unit = first.margin_unit if margin is not None else None
        return dataclasses.replace(first, deadline=deadline, margin=margin, margin_unit=unit)
    asked = {clock.region_fact: question}
    for decision in decisions:
        asked.update(zip(decision.missing_facts, decision.questions, strict=False))
    clauses = {d.clause for d in decisions}
    layers = {(d.layer, d.terms, d.law) for d in decisions}  # the same law beneath each reading?
    layer, terms, law = layers.pop() if len(layers) == 1 else ("contract", None, None)
    why = _why(readings, clock.region_fact, personal, label)
    explainer = first.explainer

    def explain_in_doubt(decision: Decision, language: str) -> str:
        said = explainer(decision, language) if explainer is not None else ""
        return f"{said} {why(language)}".strip()

    return dataclasses.replace(
        first,
        explainer=explain_in_doubt,
        outcome=Outcome.NEEDS_INFO,
        clause=first.clause if len(clauses) == 1 else None,
        deadline=deadline,
        margin=None,
        margin_unit=None,
        rigid=False,
        discretion=None,
        missing_facts=tuple(asked),
        questions=tuple(asked.values()),
        obligations=(),
        proposal=None,
        layer=layer,
        terms=terms,
        law=law,
    )


def _why(
    readings: list[Reading],
    region: str,
    personal: frozenset[str],
    label: Callable[[str, str], str] | None,
) -> Callable[[str], str]:
    """Words for a decision that waits on the customer's zone: each fact read differently, and
    its value on each clock (`request.date is 2012-09-20 in Europe/Paris, 2012-09-19 in ...`)."""
    first = readings[0][1]
    differing = [n for n in first if any(read.get(n) != first[n] for _, read in readings[1:])]

    def values(name: str, on: str, language: str) -> str:
        def value(read: Mapping[str, Any]) -> Any:
            found = shown(name, read.get(name), personal)
            return long_date(found, language) if isinstance(found, date) else json_value(found)

        return ", ".join(f"{value(read)} {on} {tz.key}" for tz, read in readings)

    def words(language: str) -> str:
        def named(name: str) -> str:
            return label(name, language) if label is not None else name

        if language == "fr":
            facts = "; ".join(f"{named(n)} : {values(n, 'selon', language)}" for n in differing)
            zone = named(region)
            return f"La réponse dépend du fuseau horaire du client, donné par {zone} : {facts}."
        facts = "; ".join(f"{named(n)} is {values(n, 'in', language)}" for n in differing)
        return f"The answer depends on the customer's time zone, given by {named(region)}: {facts}."

    return words
