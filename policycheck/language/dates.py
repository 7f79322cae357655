"""Date literals of a rule file: PC105 for a day that does not exist, PC107 for one outside the
years the calendar counts in."""

from __future__ import annotations

import calendar
import datetime as dt
import difflib

from lark import Token

from policycheck.calendar import MAX_YEAR, MIN_YEAR
from policycheck.language.diagnostics import Diagnostic, error
from policycheck.language.nodes import MONTHS
from policycheck.language.source import Source, Span

_PLACEHOLDER = dt.date(1970, 1, 1)  # stands for an impossible date once PC105 is reported


def token_span(token: Token) -> Span:
    """Where a token stands in the rule file."""
    return Span(token.line or 1, token.column or 1, token.end_line or 1, token.end_column or 1)


def read_date(
    token: Token, source: Source, diagnostics: list[Diagnostic], until: bool = False
) -> dt.date:
    """The day a `YYYY-MM-DD` token names (`until`: the end of an effective period)."""
    try:
        day = dt.date.fromisoformat(str(token))
    except ValueError:
        diagnostics.append(_impossible(token, source))
        return _PLACEHOLDER
    _supported(day, token, source, diagnostics, until)
    return day


def read_datetime(
    token: Token, source: Source, diagnostics: list[Diagnostic]
) -> dt.datetime | None:
    """The instant an ISO date-time token names, or None once it is reported as impossible."""
    try:
        moment = dt.datetime.fromisoformat(str(token).replace("Z", "+00:00"))
    except ValueError:
        diagnostics.append(_impossible(token, source))
        return None
    _supported(moment.date(), token, source, diagnostics)
    return moment


def read_day_of_year(
    day: Token, month: Token, source: Source, diagnostics: list[Diagnostic]
) -> tuple[int, int]:
    """(day, month) of `31 january` (lowercase or capitalised): PC208 for a word that is no
    month (month 0), PC105 for a day the month never has (29 february is a day: of leap years).
    Either is kept as written, for `fmt`."""
    name = str(month)
    span = Span(day.line or 1, day.column or 1, month.end_line or 1, month.end_column or 1)
    if name.lower() not in MONTHS or name not in (name.lower(), name.capitalize()):
        close = difflib.get_close_matches(name.lower(), MONTHS, n=1)
        diagnostics.append(
            error(
                "PC208",
                f"unknown month `{name}`",
                token_span(month),
                source,
                note="not the name of a month",
                help=f"did you mean `{close[0]}`?"
                if close
                else "write the month in English: `31 january`, `1 November`",
            )
        )
        return int(day), 0
    number = MONTHS.index(name.lower()) + 1
    longest = calendar.monthrange(2000, number)[1]  # a leap year: 29 february is a day
    if not 1 <= int(day) <= longest:
        diagnostics.append(
            error(
                "PC105",
                f"`{day} {name}` is not a date",
                span,
                source,
                note="no such day",
                help=f"{name.lower()} has {longest} days"
                if number != 2
                else "february has at most 29 days (29 february is 28 february in other years)",
            )
        )
    return int(day), number


def _supported(
    day: dt.date, token: Token, source: Source, diagnostics: list[Diagnostic], until: bool = False
) -> None:
    """PC107 for a date the calendar cannot count from (its years are bounded)."""
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        hint = "; a policy with no end date leaves out `until`" if until else ""
        diagnostics.append(
            error(
                "PC107",
                f"`{token}` is outside the supported years",
                token_span(token),
                source,
                note=f"not between {MIN_YEAR} and {MAX_YEAR}",
                help=f"write a date from {MIN_YEAR} to {MAX_YEAR}, the years periods are "
                f"counted in{hint}",
            )
        )


def _impossible(token: Token, source: Source) -> Diagnostic:
    return error(
        "PC105",
        f"`{token}` is not a date",
        token_span(token),
        source,
        note="no such day",
        help="write a real day of the calendar as YYYY-MM-DD",
    )
