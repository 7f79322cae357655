"""POST /v1/decisions (decide and log) and GET /v1/decisions/{id}."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute

from api.deps import AppState, DecideKey, ReadDecisionKey, StateDep, body_of
from api.errors import ApiError
from api.ids import new_id
from api.openapi import errors, request_body
from api.schemas import DecisionIn, DecisionOut
from policycheck.evaluation.facts import FactsError
from policycheck.evaluation.versions import NoVersionInForceError
from policycheck.store.records import decision_record

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])
# read after the key (api.deps.body_of): nothing is read without one
DecisionBody = Annotated[DecisionIn, Depends(body_of(DecisionIn))]
DECIDE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The decision, with its `decision_id`"},  # the schema: DecisionOut
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
    response_model=DecisionOut,
    response_model_exclude_unset=True,  # a trace step's `note`, `deadline`, `margin` if it has them
    responses=DECIDE_RESPONSES,
    openapi_extra=request_body(DecisionIn),
)
async def decide(request: Request, key: DecideKey, body: DecisionBody, state: StateDep) -> Any:
    """The decision JSON of docs/design.md, with the `decision_id` to quote later.

    Evaluating takes a fraction of a millisecond and runs on the event loop; the log write is
    awaited, committed with the other decisions of the moment (store.group_commit), so no
    thread is held per request."""
    # served by api.fast_path unless the app is made with `fast_path=False`: the same answers
    if request.scope["query_string"] and request.query_params:
        raise unknown_query(request)
    return await decide_and_log(state, body, key.key_id)


async def decide_and_log(state: AppState, body: DecisionIn, key_id: str) -> dict[str, Any]:
    """The decision JSON of `body` by the version in force on its date (404 `unknown_policy`,
    422 `invalid_facts`, 422 `no_version_in_force`), answered once it is logged under `key_id`,
    and counted."""
    versions = state.registry.get(body.policy)
    if versions is None:
        raise ApiError(
            404,
            "unknown_policy",
            f"no policy `{body.policy}` is published",
            [{"field": "policy", "message": "unknown policy id"}],
        )
    proposed = body.proposed.model_dump() if body.proposed else None
    try:
        policy, decision = versions.decide(body.facts, proposed)
    except FactsError as invalid:
        raise ApiError(
            422,
            "invalid_facts",
            "the facts do not match the policy",
            [p.to_dict() for p in invalid.problems],
        ) from None
    except NoVersionInForceError as none:
        raise ApiError(422, "no_version_in_force", str(none), none.to_errors()) from None
    decision.decision_id = new_id()
    out = decision.to_dict()
    record = decision_record(decision, out, body.facts, key_id, policy.personal, datetime.now(UTC))
    await state.log.write(record)  # answered only once the decision is committed
    state.metrics.count_decision(
        policy.id, decision.outcome.value, decision.clause.id if decision.clause else ""
    )
    return out


def unknown_query(request: Request) -> ApiError:
    """422 `invalid_query` naming each query parameter (POST /v1/decisions takes none)."""
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
    """The declared route of `decide` (what api.fast_path serves in its place)."""
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
