"""Business words, in English and French: dates, fact names (their labels), values, questions.

One place for the words that explanations (`explain`) and documents (`toolkit.render`) share.
A fact is called by its label in the language asked for (`label fr "la date de livraison"`);
without one, by its name in words: `delivery.date` -> `the delivery date` in English,
`delivery date` in French (a name is not translated; a label is how a policy says it).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from policycheck.language import nodes
from policycheck.language.money import Money
from policycheck.language.symbols import Symbols

LANGUAGES = ("en", "fr")

_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
}
_YES_NO = {"en": ("yes", "no"), "fr": ("oui", "non")}
_QUOTES = {"en": ("“", "”"), "fr": ("« ", " »")}
_PARTICIPLES = frozenset({"done", "paid", "sent", "given", "made", "seen", "shown", "known"})
# `Has the device been used since delivery?`: a subject of one or two words, then a participle
# (maybe after an adverb): safe to turn into `the device has (not) been used since delivery`.
_HAS = re.compile(r"(Has|Have) ((?:the |a |an )?\w+) ((?:\w+ly )?(?:been|\w+ed|\w+en)\b.*?)\s*\?")


def lang_of(language: str) -> str:
    """`fr` or `en`: the languages the words exist in (others get English)."""
    return language if language in LANGUAGES else "en"


def long_date(day: date, language: str) -> str:
    """`21 April 2012`, `21 avril 2012`; an instant `31 March 2024 at 13:00 (UTC+02:00)`."""
    months = _MONTHS[lang_of(language)]
    text = f"{day.day} {months[day.month - 1]} {day.year}"
    if isinstance(day, datetime):  # a period in hours ends at an instant: say it with its offset
        offset = day.isoformat(timespec="minutes")[16:] or "+00:00"
        text += f" {'à' if language == 'fr' else 'at'} {day:%H:%M} (UTC{offset})"
    return text


def day_words(day: nodes.DayOfYear, language: str) -> str:
    """`31 January`, `31 janvier`: a day of any year."""
    if not day.month:  # an unknown month, as written (reported when checked)
        return f"{day.day} {day.written}"
    return f"{day.day} {_MONTHS[lang_of(language)][day.month - 1]}"


def name_words(name: str) -> str:
    """`product.original_packaging` -> `product original packaging`."""
    return name.replace(".", " ").replace("_", " ")


def quoted(text: str, language: str) -> str:
    """`“text”` in English, `« text »` in French."""
    left, right = _QUOTES[lang_of(language)]
    return f"{left}{text}{right}"


def yes_no(value: bool, language: str) -> str:
    """`yes`/`no`, `oui`/`non`."""
    return _YES_NO[lang_of(language)][0 if value else 1]


def join(items: list[str], word: str, language: str = "en") -> str:
    """`a`, `a and b`, `a, b, and c` (English: the serial comma, which lawyers read
    unambiguously); `a, b et c` in French."""
    if len(items) <= 2:
        return f" {word} ".join(items)
    comma = "," if lang_of(language) == "en" else ""
    return ", ".join(items[:-1]) + f"{comma} {word} " + items[-1]


def value_words(value: object, language: str = "en") -> str:
    """An enum value, date, number, text or yes/no as it reads in a sentence."""
    if isinstance(value, nodes.Ref):
        return name_words(value.name)
    if isinstance(value, nodes.Literal):
        value = value.value
    if isinstance(value, bool):
        return yes_no(value, language)
    if isinstance(value, date):
        return long_date(value, language)
    if isinstance(value, Decimal | int | float):
        return str(value)
    if isinstance(value, Money):
        return value.words(language)
    return quoted(str(value), language)


def fact_value(value: object, fact: nodes.FactDecl | None, language: str) -> str:
    """A request's value of a fact in words: an enum value by its name, others as values."""
    if value is None:
        return "inconnu" if lang_of(language) == "fr" else "unknown"
    if isinstance(value, str) and fact is not None and fact.type.kind == "enum":
        return name_words(value)
    if isinstance(value, str) and fact is not None and fact.type.kind == "text":
        return quoted(value, language)
    if isinstance(value, dict | list):  # money and the like: as JSON shows it
        return str(value)
    return value_words(value, language)


def fact_label(name: str, fact: nodes.FactDecl | None, language: str) -> str:
    """What the fact is called: its label in `language`, else its name in words (`the
    delivery date`; in French `delivery date`)."""
    label = fact.label(language) if fact is not None else None
    if label:
        return label
    return name_words(name) if lang_of(language) == "fr" else "the " + name_words(name)


def bare_label(name: str, fact: nodes.FactDecl | None, language: str) -> str:
    """The label without a leading English article, for `product used: yes`."""
    label = fact_label(name, fact, language)
    return label.removeprefix("the ") if lang_of(language) == "en" else label


def bool_words(
    name: str, fact: nodes.FactDecl | None, positive: bool, language: str, policy_language: str
) -> str:
    """A yes/no fact as a statement. English: from its English question when that is safe to
    turn around (`the device has not been used since delivery`), else from its label, else from
    a participle name (`the service has been activated`); French, and English otherwise:
    `label: yes` / `label : non`."""
    lang = lang_of(language)
    question = fact.question_in("en", policy_language) if fact is not None else None
    asked = _HAS.fullmatch(question or "") if lang == "en" else None
    if asked is not None:
        aux, subject, rest = asked.group(1).lower(), asked.group(2), asked.group(3)
        return f"{subject} {aux} {'' if positive else 'not '}{rest}"
    if lang == "en" and (fact is None or fact.label("en") is None):
        section, _, leaf = name.rpartition(".")
        if section and (leaf.endswith("ed") or leaf in _PARTICIPLES):
            not_ = "" if positive else "not "
            return f"the {name_words(section)} has {not_}been {name_words(leaf)}"
    colon = " :" if lang == "fr" else ":"
    return f"{bare_label(name, fact, lang)}{colon} {yes_no(positive, lang)}"


def question(name: str, fact: nodes.FactDecl | None, language: str, policy_language: str) -> str:
    """What to ask for a fact in `language`: its declared question in that language, else a
    plain one made from its label (`What is the delivery date?`)."""
    declared = fact.question_in(language, policy_language) if fact is not None else None
    if declared:
        return declared
    label = fact_label(name, fact, language)
    french = lang_of(language) == "fr"
    if fact is not None and fact.type.kind == "bool":
        label = bare_label(name, fact, language)
        said = f"{label[:1].upper()}{label[1:]}"
        return f"{said} : oui ou non ?" if french else f"{said}: yes or no?"
    return f"Quelle est la valeur de : {label} ?" if french else f"What is {label}?"


def period_words(symbols: Symbols, count: int, unit: str, language: str = "en") -> str:
    """`14 jours ouvrables`, `14 days (“withdrawal days” calendar)`: a count in its unit."""
    found = symbols.unit_of(unit)
    if found is None:
        return f"{count} {name_words(unit)}"
    words = found[0].label(count, lang_of(language))
    if found[1] is not None and unit != found[0].value:
        calendar = quoted(name_words(unit), language)
        words += f" (calendrier {calendar})" if language == "fr" else f" ({calendar} calendar)"
    return words
