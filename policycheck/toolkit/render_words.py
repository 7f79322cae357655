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
from policycheck.evaluation.words import (
    fact_label,
    join,
    lang_of,
    name_words,
    period_words,
    value_words,
)
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
    "en": {
        "bool": "yes/no",
        "date": "date",
        "datetime": "date and time",
        "number": "number",
        "money": "amount of money",
        "text": "text",
        "enum": "one of: ",
    },
    "fr": {
        "bool": "oui/non",
        "date": "date",
        "datetime": "date et heure",
        "number": "nombre",
        "money": "somme d'argent",
        "text": "texte",
        "enum": "l'un de : ",
    },
}
_LEVELS = {
    "en": {"agent": "an agent", "supervisor": "a supervisor"},
    "fr": {"agent": "un agent", "supervisor": "un superviseur"},
}
_DAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_CALENDAR = {
    "en": {
        "to": "{first} to {last}",
        "counted": "counted in {unit}",
        "holidays": "closed on the public holidays of {country}",
        "region": " in the region given by {region} (when it is unknown, every region of the "
        "country is tried and the answer stands only if they all agree)",
        "extended": "extended: a period that ends on a Saturday, Sunday or public holiday runs to "
        "the next working day (Regulation 1182/71 art. 3(4))",
        "none": "no extension",
        "saturday": "no extension: a period may end on a Saturday",
        "sunday": "no extension: a period may end on a Sunday or a public holiday",
        "calendar_days": "calendar days",
        "near_miss": "{who} may waive a refusal when the request is late by at most {late}",
        "formal": "{who} may waive a refusal that rests only on a formal requirement",
        "always": "{who} may waive any refusal under this clause",
    },
    "fr": {
        "to": "du {first} au {last}",
        "counted": "compté en {unit}",
        "holidays": "fermé les jours fériés de {country}",
        "region": " dans la région donnée par {region} (quand elle est inconnue, chaque région "
        "du pays est essayée et la réponse ne vaut que si toutes concordent)",
        "extended": "prorogé : un délai qui expire un samedi, un dimanche ou un jour férié est "
        "prorogé jusqu'au jour ouvrable suivant (règlement 1182/71 art. 3(4))",
        "none": "pas de prorogation",
        "saturday": "pas de prorogation : un délai peut expirer un samedi",
        "sunday": "pas de prorogation : un délai peut expirer un dimanche ou un jour férié",
        "calendar_days": "jours calendaires",
        "near_miss": "{who} peut lever un refus quand la demande est en retard d'au plus {late}",
        "formal": "{who} peut lever un refus qui ne repose que sur une exigence de forme",
        "always": "{who} peut lever tout refus au titre de cette clause",
    },
}


def type_words(fact_type: nodes.FactType, language: str = "en") -> str:
    """`yes/no`, `date`, `one of: device, accessory, map`."""
    words = _TYPES[lang_of(language)]
    if fact_type.kind == "enum":
        return words["enum"] + ", ".join(name_words(v) for v in fact_type.values)
    return words.get(fact_type.kind, fact_type.kind)


def calendar_words(
    calendar: nodes.CalendarDecl,
    country: str | None,
    language: str = "en",
    region_label: str | None = None,
) -> str:
    """`Monday to Saturday, closed on the public holidays of France in the region given by
    the delivery postcode, not extended (...)`."""
    lang = lang_of(language)
    words = _CALENDAR[lang]
    days = _DAYS_FR if lang == "fr" else tuple(d.capitalize() for d in nodes.WEEKDAYS)
    first, last = days[calendar.first_day], days[calendar.last_day]
    parts = [words["to"].format(first=first, last=last)]
    unit = symbols_unit(calendar)
    if calendar.counts is not None and unit is not None:
        parts = [words["counted"].format(unit=unit.label(2, lang).removeprefix("2 "))]
    if calendar.country is not None:
        holidays = words["holidays"].format(country=country or calendar.country)
        if calendar.region_fact is not None:
            name = calendar.region_fact.name
            region = region_label or fact_label(name, None, lang)
            holidays += words["region"].format(region=region)
        parts.append(holidays)
    if calendar.extended:
        parts.append(words["extended"])
    elif calendar.counts is not None:
        parts.append(words["none"])
    elif calendar.last_day == 5:
        parts.append(words["saturday"])
    elif calendar.last_day == 6:
        parts.append(words["sunday"])
    else:
        parts.append(words["none"])
    return ", ".join(parts)


def calendar_unit(calendar: nodes.CalendarDecl, language: str = "en") -> str:
    """`jours ouvrables`: what a calendar counts, in words."""
    lang = lang_of(language)
    unit = symbols_unit(calendar)
    if unit is None:
        return calendar.name
    if unit is Unit.DAYS:
        return _CALENDAR[lang]["calendar_days"]
    return unit.label(2, lang).removeprefix("2 ")


def discretion_words(discretion: nodes.Discretion, symbols: Symbols, language: str = "en") -> str:
    """`an agent may waive a refusal when the request is late by at most 3 jours ouvrables`."""
    lang = lang_of(language)
    who = _LEVELS[lang].get(discretion.level, discretion.level)
    words = _CALENDAR[lang]
    if discretion.reason == "near_miss":
        late = period_words(symbols, discretion.tolerance, discretion.unit or "days", lang)
        return words["near_miss"].format(who=who, late=late)
    if discretion.reason == "formal":
        return words["formal"].format(who=who)
    return words["always"].format(who=who)
