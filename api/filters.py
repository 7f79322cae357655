"""Filters and cursors of the review listings, from a query string (422 naming each bad one),
and their OpenAPI parameters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from starlette.datastructures import QueryParams

from api.errors import ApiError
from policycheck.review.exceptions import Status
from policycheck.review.log import ExceptionFilter

FILTERS = ("policy", "clause", "agent", "reason", "status", "since", "until")
PAGING = ("limit", "cursor")
DEFAULT_LIMIT, MAX_LIMIT = 50, 500
# ASCII only: `²` and `٣` are digits to str.isdigit, not to int() or to a client
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WHOLE = re.compile(r"[0-9]{1,9}")
# a cursor: `c` and the entry's seq in base 36 (any such text is a place in the list)
_CURSOR = re.compile(r"c[0-9a-z]{1,12}")
CURSOR_PATTERN = "^" + _CURSOR.pattern + "$"


def _given(params: Mapping[str, str]) -> dict[str, str]:
    """The parameters with a value (an empty one, as a form sends it, is no filter)."""
    return {name: value for name, value in params.items() if value != ""}


def parse_filters(
    params: Mapping[str, str], accepted: tuple[str, ...] = FILTERS
) -> ExceptionFilter:
    """An ExceptionFilter from `policy, clause, agent, reason, status, since, until` (or just
    the `accepted` ones: any other parameter is a problem)."""
    problems = _unknown(params, accepted)
    given = _given(params)
    filters = _filters({name: given[name] for name in accepted if name in given}, problems)
    _raise(problems)
    return filters


def parse_listing(params: Mapping[str, str]) -> tuple[ExceptionFilter, int | None, int]:
    """Filters, the seq before which to list (or None) and how many, every problem at once
    (an unknown parameter too)."""
    problems = _unknown(params, FILTERS + PAGING)
    given = _given(params)
    filters = _filters(given, problems)
    before, limit = _page(given, problems)
    _raise(problems)
    return filters, before, limit


def _unknown(params: Mapping[str, str], accepted: tuple[str, ...]) -> list[dict[str, str]]:
    """A problem for each parameter not `accepted` (a misspelt filter must not list everything),
    and for each given more than once (one value each: which would be meant?)."""
    names = [name for name, _ in params.multi_items()] if isinstance(params, QueryParams) else []
    return [
        {"field": name, "message": f"not a parameter here; accepted: {', '.join(accepted)}"}
        for name in params
        if name not in accepted
    ] + [
        {"field": name, "message": "given more than once"}
        for name in dict.fromkeys(names)
        if name in accepted and names.count(name) > 1
    ]


def _filters(params: Mapping[str, str], problems: list[dict[str, str]]) -> ExceptionFilter:
    text = {name: params.get(name) for name in ("policy", "clause", "agent", "reason")}
    status = None
    if "status" in params:
        try:
            status = Status(params["status"])
        except ValueError:
            accepted = ", ".join(s.value for s in Status)
            problems.append({"field": "status", "message": f"must be one of {accepted}"})
    days: dict[str, date | None] = {"since": None, "until": None}
    for name in days:
        if name in params:
            days[name] = _day(params[name])
            if days[name] is None:
                problems.append({"field": name, "message": "must be a date, YYYY-MM-DD"})
    since, until = days["since"], days["until"]
    if since and until and since > until:
        problems.append({"field": "until", "message": "is before `since`"})
    return ExceptionFilter(**text, status=status, since=since, until=until)


def _day(text: str) -> date | None:
    if not _DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _page(params: Mapping[str, str], problems: list[dict[str, str]]) -> tuple[int | None, int]:
    limit = DEFAULT_LIMIT
    if "limit" in params:
        raw = params["limit"]
        if _WHOLE.fullmatch(raw) and 1 <= int(raw) <= MAX_LIMIT:
            limit = int(raw)
        else:
            problems.append({"field": "limit", "message": f"must be a whole number 1-{MAX_LIMIT}"})
    before = None
    if "cursor" in params:
        before = decode_cursor(params["cursor"])
        if before is None:
            problems.append({"field": "cursor", "message": "not a cursor this API gave"})
    return before, limit


def encode_cursor(seq: int) -> str:
    """The opaque cursor of the page after the entry `seq`."""
    digits = ""
    while True:
        seq, digit = divmod(seq, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
        if seq == 0:
            return "c" + digits


def decode_cursor(cursor: str) -> int | None:
    """The seq in a cursor, or None when it is not one."""
    return int(cursor[1:], 36) if _CURSOR.fullmatch(cursor) else None


def _raise(problems: list[dict[str, str]]) -> None:
    if problems:
        raise ApiError(422, "invalid_query", "the query parameters are not valid", problems)


_PARAMETERS: dict[str, tuple[dict[str, Any], str]] = {
    "policy": ({"type": "string"}, "policy id"),
    "clause": ({"type": "string"}, "clause id"),
    "agent": ({"type": "string"}, "the granting key's id"),
    "reason": ({"type": "string"}, "reason code"),
    "status": ({"type": "string", "enum": [s.value for s in Status]}, "current status"),
    "since": ({"type": "string", "format": "date"}, "from this day (UTC), inclusive"),
    "until": ({"type": "string", "format": "date"}, "to this day (UTC), inclusive"),
    "limit": (
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        "how many, at most",
    ),
    "cursor": (
        {"type": "string", "pattern": CURSOR_PATTERN},
        "the `next_cursor` of the page before",
    ),
}


def query_parameters(*names: str) -> dict[str, Any]:
    """The OpenAPI `parameters` of a route that reads `names` from its query itself (as
    `openapi_extra`)."""
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": False,
                "allowEmptyValue": True,  # an empty value is no filter
                "schema": _PARAMETERS[name][0],
                "description": _PARAMETERS[name][1],
            }
            for name in names
        ]
    }
