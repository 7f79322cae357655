"""POST /v1/decisions (decide and log) and GET /v1/decisions/{id}."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from api.deps import DECIDE_ROLES, AppState, ReadDecisionKey, StateDep, body_and_key
from api.errors import ApiError
from api.ids import new_id
from api.openapi import errors, request_body
from api.schemas import DecisionIn
from policycheck.evaluation.facts import FactsError
from policycheck.store.records import decision_record

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])


# The 200 response as FastAPI documents a `dict[str, Any]` return; the route returns the JSON
# encoded itself (orjson), so FastAPI neither validates nor encodes it again.
DECISION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The decision JSON of DESIGN.md, with its `decision_id`",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "additionalProperties": True,
                    "title": "Response Decide V1 Decisions Post",
                }
            }
        },
    },
    **errors(
        {
            404: "`unknown_policy`",
            422: "`invalid_facts` (every problem), `no_version_in_force`, or `invalid_query` "
            "(this route takes no query parameter)",
        },
        body=True,
    ),
}


@router.post(
    "",
    summary="Decide a request and log the decision",
    response_model=None,
    responses=DECISION_RESPONSES,
    openapi_extra=request_body(DecisionIn),
)
async def decide(request: Request) -> Response:
    """The decision JSON of DESIGN.md, with the `decision_id` to quote later.

    Evaluating takes a fraction of a millisecond and runs on the event loop; the log write is
    awaited, committed with the other decisions of the moment (store.group_commit), so no
    thread is held per request."""
    # the body, the key and the state read here, not declared as parameters: FastAPI's
    # dependency solving cost more than evaluating the facts (same errors, same order)
    body, key = await body_and_key(request, DecisionIn, DECIDE_ROLES)
    if request.scope["query_string"] and request.query_params:
        raise _unknown_query(request)
    state: AppState = request.app.state.policycheck
    policy = state.registry.get(body.policy)
    if policy is None:
        raise ApiError(
            404,
            "unknown_policy",
            f"no policy `{body.policy}` is published",
            [{"field": "policy", "message": "unknown policy id"}],
        )
    proposed = body.proposed.model_dump() if body.proposed else None
    try:
        decision = policy.evaluate(body.facts, proposed)
    except FactsError as invalid:
        raise ApiError(
            422,
            "invalid_facts",
            "the facts do not match the policy",
            [p.to_dict() for p in invalid.problems],
        ) from None
    decision.decision_id = new_id()
    out = decision.to_dict()
    record = decision_record(
        decision, out, body.facts, key.key_id, policy.compiled.personal, datetime.now(UTC)
    )
    await state.log.write(record)  # answered only once the decision is committed
    state.metrics.count_decision(
        policy.id, decision.outcome.value, decision.clause.id if decision.clause else ""
    )
    return Response(orjson.dumps(out), media_type="application/json")


def _unknown_query(request: Request) -> ApiError:
    return ApiError(
        422,
        "invalid_query",
        "the query parameters are not valid",
        [
            {"field": name, "message": "not a parameter here; this route takes none"}
            for name in request.query_params
        ],
    )


def decide_route() -> APIRoute:
    """The route of `decide` (served directly by api.middleware.DirectRoute)."""
    return next(r for r in router.routes if isinstance(r, APIRoute) and r.endpoint is decide)


@router.get(
    "/{decision_id}", summary="A logged decision", responses=errors({404: "`unknown_decision`"})
)
def logged(decision_id: str, key: ReadDecisionKey, state: StateDep) -> dict[str, Any]:
    """The decision as it was logged (personal facts masked), with the exceptions made on it
    (id and status: at most one active)."""
    record = state.store.get_decision(decision_id) if len(decision_id) <= 64 else None
    if record is None:
        raise ApiError(404, "unknown_decision", f"no decision `{decision_id}`")
    exceptions = state.exceptions.for_decision(record.id)
    return {
        **record.decision,
        "logged_at": record.created_at.isoformat(),
        "agent_key_id": record.agent_key_id,
        "exceptions": [{"id": e.id, "status": e.status.value} for e in exceptions],
    }
