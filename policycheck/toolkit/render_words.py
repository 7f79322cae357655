"""A rule file's formal parts in plain words: facts, calendars, discretion.

Conditions are said by `evaluation.phrases.Phrases` (the same words as explanations), the words
for dates, facts and values come from `evaluation.words`: one place for both. For people who
read the terms, not the rule language: `not product.used` reads "the device has not been used
since delivery", `product.category in [device, accessory]` "the product category is device or
accessory".
"""

from __future__ import annotations

from policycheck.calendar import Unit
from policycheck.evaluation.phrases import Phrases
from policycheck.evaluation.words import join, name_words, period_words, value_words
from policycheck.language import nodes
from policycheck.language.symbols import Symbols
from policycheck.language.symbols import calendar_unit as symbols_unit

__all__ = [
    "Phrases",
    "calendar_unit",
    "calendar_words",
    "discretion_words",
    "join",
    "name_words",
    "period_words",
    "type_words",
    "value_words",
]

_TYPES = {
    "bool": "yes/no",
    "date": "date",
    "datetime": "date and time",
    "number": "number",
    "money": "amount of money",
    "text": "text",
}
_LEVELS = {"agent": "an agent", "supervisor": "a supervisor"}


def type_words(fact_type: nodes.FactType) -> str:
    """`yes/no`, `date`, `one of: device, accessory, map`."""
    if fact_type.kind == "enum":
        return "one of: " + ", ".join(name_words(v) for v in fact_type.values)
    return _TYPES.get(fact_type.kind, fact_type.kind)


def calendar_words(calendar: nodes.CalendarDecl, country: str | None) -> str:
    """`Monday to Saturday, closed on the public holidays of France in the region given by
    the delivery postcode, not extended (...)`."""
    first, last = (nodes.WEEKDAYS[d].capitalize() for d in (calendar.first_day, calendar.last_day))
    parts = [f"{first} to {last}"]
    unit = symbols_unit(calendar)
    if calendar.counts is not None and unit is not None:
        parts = [f"counted in {unit.label(2).removeprefix('2 ')}"]
    if calendar.country is not None:
        holidays = f"closed on the public holidays of {country or calendar.country}"
        if calendar.region_fact is not None:
            region = "the " + name_words(calendar.region_fact.name)
            holidays += f" in the region given by {region} (when it is unknown, every region of "
            holidays += "the country is tried and the answer stands only if they all agree)"
        parts.append(holidays)
    if calendar.extended:
        parts.append(
            "extended: a period that ends on a Saturday, Sunday or public holiday runs to the next "
            "working day (Regulation 1182/71 art. 3(4))"
        )
    elif calendar.counts is not None:
        parts.append("no extension")
    elif calendar.last_day == 5:
        parts.append("no extension: a period may end on a Saturday")
    elif calendar.last_day == 6:
        parts.append("no extension: a period may end on a Sunday or a public holiday")
    else:
        parts.append("no extension")
    return ", ".join(parts)


def calendar_unit(calendar: nodes.CalendarDecl) -> str:
    """`jours ouvrables`: what a calendar counts, in words."""
    unit = symbols_unit(calendar)
    if unit is None:
        return calendar.name
    return "calendar days" if unit is Unit.DAYS else unit.label(2).removeprefix("2 ")


def discretion_words(discretion: nodes.Discretion, symbols: Symbols) -> str:
    """`an agent may waive a refusal when the request is late by at most 3 jours ouvrables`."""
    who = _LEVELS.get(discretion.level, discretion.level)
    if discretion.reason == "near_miss":
        late = period_words(symbols, discretion.tolerance, discretion.unit or "days")
        return f"{who} may waive a refusal when the request is late by at most {late}"
    if discretion.reason == "formal":
        return f"{who} may waive a refusal that rests only on a formal requirement"
    return f"{who} may waive any refusal under this clause"
