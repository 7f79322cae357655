"""What the review page shows, made ready for its templates: the filters read from a query, the
per-clause override chart, the facts of a snapshot, and the templates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi.templating import Jinja2Templates

from api.errors import ApiError
from api.filters import FILTERS, parse_filters
from policycheck.evaluation.personal import MASK
from policycheck.review.log import ExceptionFilter

PAGE_SIZE = 50
TEMPLATES = Path(__file__).resolve().parent / "templates" / "review"


def read_filters(
    params: Mapping[str, str],
) -> tuple[dict[str, str], ExceptionFilter | None, list[dict[str, Any]]]:
    """The filter form's values as given, and the filter they make (the JSON API's reading of
    them, api.filters), or None with every problem."""
    given = {name: (params.get(name) or "").strip() for name in FILTERS}
    values = {name: text[:100] for name, text in given.items()}
    try:  # only the filters (not the page's cursor); an empty field is no filter (api.filters)
        return values, parse_filters(given), []
    except ApiError as error:
        return values, None, error.errors


def clause_chart(clauses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bars of the override chart: clauses with rigid refusals, exceptions or refusals the
    law overruled, most overridden first, each with its rate as a fraction of the bar's width."""
    rows = [
        c
        for c in clauses
        if c.get("rigid_refusals")
        or c.get("exceptions_granted")
        or c.get("beyond_discretion")
        or c.get("unlawful_refusals")
    ]
    rows.sort(key=lambda c: (-(c.get("override_rate") or 0.0), c["policy"], c["clause"]))
    return [{**c, "width": min(max(c.get("override_rate") or 0.0, 0.0), 1.0)} for c in rows]


def standing(item: Mapping[str, Any]) -> dict[str, Any]:
    """How an exception's page opens, by its status: granted at once, or asked for and then
    pending, approved or rejected (by whom, when): a pending exception is not called granted."""
    status = str(item.get("status"))
    history = item.get("history") or []
    reviewed = history[-1] if status in ("approved", "rejected") and history else None
    return {
        "verb": "Granted" if status == "granted" else "Asked for",
        "pending": status == "pending",
        "reviewed": reviewed,
    }


def facts_rows(facts: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Nested facts as (dotted name, value as text) rows."""
    rows: list[tuple[str, str]] = []
    for name, value in facts.items():
        if isinstance(value, Mapping):
            rows += facts_rows(value, f"{prefix}{name}.")
        else:
            rows.append((prefix + name, show(value)))
    return rows


def show(value: Any) -> str:
    """A JSON value as a reader expects it."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value == MASK:
        return "*** (personal, masked)"
    if isinstance(value, list):
        return ", ".join(show(v) for v in value)
    return str(value)


def when(text: str | None) -> str:
    """An ISO time as `2026-12-03 07:00 UTC` (a date stays a date)."""
    if not text:
        return "—"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if len(text) <= 10:
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def percent(rate: float | None) -> str:
    """0.3 -> `30%`; no rate -> `—`."""
    if rate is None:
        return "—"
    return f"{rate * 100:.0f}%" if rate * 100 >= 10 or rate == 0 else f"{rate * 100:.1f}%"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, percent=percent, show=show)
    return env


templates = Jinja2Templates(env=_environment())
