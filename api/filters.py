"""Filters and cursors of the review listings, from a query string (422 naming each bad one)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import date

from api.errors import ApiError
from policycheck.exceptions import Status
from policycheck.store.exception_log import ExceptionFilter

FILTERS = ("policy", "clause", "agent", "reason", "status", "since", "until")
DEFAULT_LIMIT, MAX_LIMIT = 50, 500


def parse_filters(
    params: Mapping[str, str], accepted: tuple[str, ...] = FILTERS
) -> ExceptionFilter:
    """An ExceptionFilter from `policy, clause, agent, reason, status, since, until` (or just
    the `accepted` ones: another given is a problem)."""
    problems = [
        {"field": name, "message": f"not a filter here; accepted: {', '.join(accepted)}"}
        for name in FILTERS
        if name not in accepted and (params.get(name) or "").strip()
    ]
    filters = _filters({name: params.get(name) or "" for name in accepted}, problems)
    _raise(problems)
    return filters


def parse_listing(params: Mapping[str, str]) -> tuple[ExceptionFilter, int | None, int]:
    """Filters, the seq before which to list (or None) and how many, every problem at once."""
    problems: list[dict[str, str]] = []
    filters = _filters(params, problems)
    before, limit = _page(params, problems)
    _raise(problems)
    return filters, before, limit


def _filters(params: Mapping[str, str], problems: list[dict[str, str]]) -> ExceptionFilter:
    text = {name: (params.get(name) or "").strip() or None for name in FILTERS}
    status = None
    if text["status"]:
        try:
            status = Status(text["status"])
        except ValueError:
            accepted = ", ".join(s.value for s in Status)
            problems.append({"field": "status", "message": f"must be one of {accepted}"})
    days: dict[str, date | None] = {}
    for name in ("since", "until"):
        value = text[name]
        try:
            days[name] = date.fromisoformat(value) if value else None
        except ValueError:
            problems.append({"field": name, "message": "must be a date, YYYY-MM-DD"})
            days[name] = None
    since, until = days["since"], days["until"]
    if since and until and since > until:
        problems.append({"field": "until", "message": "is before `since`"})
    return ExceptionFilter(
        policy=text["policy"],
        clause=text["clause"],
        agent=text["agent"],
        reason=text["reason"],
        status=status,
        since=since,
        until=until,
    )


def _page(params: Mapping[str, str], problems: list[dict[str, str]]) -> tuple[int | None, int]:
    raw_limit = (params.get("limit") or "").strip()
    limit = DEFAULT_LIMIT
    if raw_limit:
        if raw_limit.isdigit() and 1 <= int(raw_limit) <= MAX_LIMIT:
            limit = int(raw_limit)
        else:
            problems.append({"field": "limit", "message": f"must be a whole number 1-{MAX_LIMIT}"})
    cursor = (params.get("cursor") or "").strip()
    before = None
    if cursor:
        before = decode_cursor(cursor)
        if before is None:
            problems.append({"field": "cursor", "message": "not a cursor this API gave"})
    return before, limit


def encode_cursor(seq: int) -> str:
    """The opaque cursor of the page after the entry `seq`."""
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    """The seq in a cursor, or None when it is not one."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    digits = text.removeprefix("s")
    return int(digits) if text.startswith("s") and digits.isdigit() and len(digits) < 19 else None


def _raise(problems: list[dict[str, str]]) -> None:
    if problems:
        raise ApiError(422, "invalid_query", "the query parameters are not valid", problems)
