"""The quality team's summary: override rates, agents against the team, reasons, follow-ups,
and the friction report legal teams amend the terms from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from api.deps import QualityKey, StateDep
from api.filters import parse_filters, query_parameters
from api.openapi import QUERY_ERRORS, errors
from policycheck.review.summary import summarize

router = APIRouter(prefix="/v1/review", tags=["review"])
SUMMARY_FILTERS = ("policy", "since", "until")  # the rates need every clause, agent and reason


@router.get(
    "/summary",
    summary="Override rates, reasons, follow-ups and the friction report",
    responses=errors(QUERY_ERRORS),
    openapi_extra=query_parameters(*SUMMARY_FILTERS),
)
def summary(request: Request, key: QualityKey, state: StateDep) -> dict[str, Any]:
    """Filter by `policy`, `since` and `until` (YYYY-MM-DD, inclusive, on decisions and
    exceptions alike); the list's other filters are refused here (422 `invalid_query`)."""
    filters = parse_filters(request.query_params, accepted=SUMMARY_FILTERS)
    return summarize(
        state.exceptions, filters, datetime.now(UTC).date(), state.settings.reason_codes
    )
