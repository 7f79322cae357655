"""Exceptions: granted on a decision by agents and supervisors, approved or rejected by
supervisors, listed and exported for the quality team."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from api.deps import (
    GrantKey,
    ListExceptionsKey,
    QualityKey,
    ReadDecisionKey,
    StateDep,
    SupervisorKey,
    body_of,
)
from api.errors import ApiError
from api.filters import (
    FILTERS,
    PAGING,
    encode_cursor,
    parse_filters,
    parse_listing,
    query_parameters,
)
from api.openapi import QUERY_ERRORS, errors, request_body
from api.schemas import ExceptionIn, NoteIn
from policycheck.review.exceptions import (
    ExceptionInputError,
    GrantRefusedError,
    grant_status,
    validate_note,
    validate_request,
)
from policycheck.review.log import (
    ExceptionConflictError,
    ExceptionRecord,
    UnknownExceptionError,
)
from policycheck.review.summary import csv_rows

decision_router = APIRouter(prefix="/v1/decisions", tags=["exceptions"])
router = APIRouter(prefix="/v1/exceptions", tags=["exceptions"])
GRANT_ERRORS = errors(
    {
        403: "`supervisor_required` (the refusal is not rigid)",
        404: "`unknown_decision`",
        409: "`not_refused` (nothing to except) or `exception_exists`",
        422: "`invalid_exception`: the rules of an exception (every problem)",
    },
    body=True,
)
REVIEW_ERRORS = errors(
    {404: "`unknown_exception`", 409: "the exception is not pending", 422: "a blank note"},
    body=True,
)
ExceptionBody = Annotated[ExceptionIn, Depends(body_of(ExceptionIn))]
NoteBody = Annotated[NoteIn, Depends(body_of(NoteIn))]


@decision_router.post(
    "/{decision_id}/exceptions",
    status_code=201,
    summary="Grant an exception to a refusal",
    responses=GRANT_ERRORS,
    openapi_extra=request_body(ExceptionIn),
)
def grant(decision_id: str, key: GrantKey, body: ExceptionBody, state: StateDep) -> dict[str, Any]:
    """An agent's exception is final within the policy's discretion, or `pending` until a
    supervisor approves it; a refusal that is not rigid needs a supervisor. Logged, append-only."""
    record = state.store.get_decision(decision_id) if len(decision_id) <= 64 else None
    if record is None:
        raise ApiError(404, "unknown_decision", f"no decision `{decision_id}`")
    try:
        request = validate_request(
            body.model_dump(), state.settings.reason_codes, datetime.now(UTC).date()
        )
        starts = grant_status(record.decision, key.role)
        exception = state.exceptions.grant(record, request, starts, key)
    except ExceptionInputError as invalid:
        raise ApiError(
            422, "invalid_exception", "the exception is not valid", invalid.problems
        ) from None
    except GrantRefusedError as refused:
        raise ApiError(refused.status, refused.code, refused.message) from None
    except ExceptionConflictError as conflict:
        raise ApiError(409, conflict.code, conflict.message) from None
    _count(state, exception)
    return exception.to_dict()


@router.get(
    "",
    summary="Exceptions, newest first (quality review; supervisors find pending ones)",
    responses=errors(QUERY_ERRORS),
    openapi_extra=query_parameters(*FILTERS, *PAGING),
)
def listing(request: Request, key: ListExceptionsKey, state: StateDep) -> dict[str, Any]:
    """Filter by `policy`, `clause`, `agent` (key id), `reason`, `status`, `since`, `until`
    (YYYY-MM-DD, inclusive); page with `limit` (1-500) and the `next_cursor` of the last page."""
    filters, before, limit = parse_listing(request.query_params)
    page = state.exceptions.find(filters, before_seq=before, limit=limit + 1)
    more = len(page) > limit
    page = page[:limit]
    return {
        "items": [record.to_dict(snapshot=False) for record in page],
        "next_cursor": encode_cursor(page[-1].seq) if more else None,
    }


@router.get(
    "/export.csv",
    summary="The exceptions as CSV (same filters), streamed",
    response_class=StreamingResponse,
    responses={
        200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
        **errors(QUERY_ERRORS),
    },
    openapi_extra=query_parameters(*FILTERS),
)
def export(request: Request, key: QualityKey, state: StateDep) -> StreamingResponse:
    """One row per exception, newest first, with its review."""
    filters = parse_filters(request.query_params)
    return StreamingResponse(
        _started(chunk.encode("utf-8") for chunk in csv_rows(state.exceptions, filters)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="exceptions.csv"'},
    )


@router.get(
    "/{exception_id}",
    summary="An exception, with its decision's snapshot",
    responses=errors({404: "`unknown_exception`"}),
)
def one(exception_id: str, key: ReadDecisionKey, state: StateDep) -> dict[str, Any]:
    """The exception, its history, and what the decision was when it was granted."""
    return _exception(state, exception_id).to_dict()


@router.post(
    "/{exception_id}/approve",
    summary="Approve a pending exception",
    responses=REVIEW_ERRORS,
    openapi_extra=request_body(NoteIn),
)
def approve(
    exception_id: str, key: SupervisorKey, body: NoteBody, state: StateDep
) -> dict[str, Any]:
    """A supervisor approves an agent's pending exception (a new entry in the log)."""
    return _review(state, exception_id, True, body, key)


@router.post(
    "/{exception_id}/reject",
    summary="Reject a pending exception",
    responses=REVIEW_ERRORS,
    openapi_extra=request_body(NoteIn),
)
def reject(
    exception_id: str, key: SupervisorKey, body: NoteBody, state: StateDep
) -> dict[str, Any]:
    """A supervisor rejects an agent's pending exception; the decision may be excepted again."""
    return _review(state, exception_id, False, body, key)


def _review(
    state: StateDep, exception_id: str, approve: bool, body: NoteIn, key: SupervisorKey
) -> dict[str, Any]:
    try:
        note = validate_note(body.note)
        exception = state.exceptions.review(exception_id, approve, note, key)
    except ExceptionInputError as invalid:
        raise ApiError(422, "invalid_body", "the note is not valid", invalid.problems) from None
    except UnknownExceptionError:
        raise ApiError(404, "unknown_exception", f"no exception `{exception_id}`") from None
    except ExceptionConflictError as conflict:
        raise ApiError(409, conflict.code, conflict.message) from None
    _count(state, exception)
    return exception.to_dict()


def _started(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """`chunks` with the first two made before the response starts: the CSV's header, and
    its first rows, which run the query; so a failing query is an error, not a broken 200."""
    first = list(itertools.islice(chunks, 2))
    return itertools.chain(first, chunks)


def _count(state: StateDep, exception: ExceptionRecord) -> None:
    clause = exception.clause["id"] if exception.clause else ""
    state.metrics.exceptions.labels(exception.policy.get("id", ""), clause, exception.status).inc()


def _exception(state: StateDep, exception_id: str) -> ExceptionRecord:
    record = state.exceptions.get(exception_id) if len(exception_id) <= 64 else None
    if record is None:
        raise ApiError(404, "unknown_exception", f"no exception `{exception_id}`")
    return record
