"""The published policies: list, detail with the fact schema, source; check and reload."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from api.deps import AnyKey, LegalKey, StateDep, body_of
from api.errors import ApiError
from api.openapi import errors, request_body
from api.schemas import CheckIn, CheckOut, ReloadOut
from policycheck.language.diagnostics import Severity
from policycheck.language.source import Source
from policycheck.policy import Policy, diagnose, laws_among

router = APIRouter(prefix="/v1/policies", tags=["policies"])
CheckBody = Annotated[CheckIn, Depends(body_of(CheckIn))]


def summary(policy: Policy) -> dict[str, Any]:
    """Id, title, version, hash, effective period and clauses of a policy."""
    header = policy.compiled.header
    return {
        "id": header.id,
        "title": header.title,
        "version": header.version,
        "hash": policy.hash,
        "effective": {
            "from": header.effective_from.isoformat() if header.effective_from else None,
            "until": header.effective_until.isoformat() if header.effective_until else None,
        },
        "timezone": header.timezone,
        "language": header.language,
        "clauses": [{"id": c.decl.id, "title": c.decl.title} for c in policy.compiled.clauses],
    }


def _policy(state: StateDep, policy_id: str) -> Policy:
    policy = state.registry.get(policy_id)
    if policy is None:
        raise ApiError(404, "unknown_policy", f"no policy `{policy_id}` is published")
    return policy


# /check and /reload come before /{policy_id}: another method on them is 405 `Allow: POST`
@router.post(
    "/check",
    summary="Check a rule file (nothing is published)",
    responses=errors(body=True),
    openapi_extra=request_body(CheckIn),
)
def check(key: LegalKey, body: CheckBody, state: StateDep) -> CheckOut:
    """Every diagnostic of the submitted text, with the static analysis; the laws beneath it
    are looked up among the published rule files (never beside the name it was sent with)."""
    published = laws_among(policy.compiled.source for policy in state.registry.all())
    _, diagnostics = diagnose(Source(body.name, body.text), analysis=True, laws=published)
    ok = not any(d.severity is Severity.ERROR for d in diagnostics)
    return CheckOut(ok=ok, diagnostics=[d.to_dict() for d in diagnostics])


@router.post(
    "/reload",
    summary="Publish the rule files again",
    responses=errors({422: "`invalid_rules`: nothing was published (every diagnostic)"}),
)
def reload(key: LegalKey, state: StateDep) -> ReloadOut:
    """Re-read the rules folder; a file with errors refuses the whole reload (422) and the
    previous version keeps serving."""
    publication = state.registry.publish()
    if publication.generation is None:
        raise ApiError(
            422,
            "invalid_rules",
            "the rule files have errors; nothing was published",
            [{**d.to_dict(), "file": source.name} for source, d in publication.errors],
        )
    return ReloadOut(
        generation=publication.generation, policies=[p.id for p in state.registry.all()]
    )


@router.get("", summary="The published policies", responses=errors())
def policies(key: AnyKey, state: StateDep) -> list[dict[str, Any]]:
    """Every published policy."""
    return [summary(p) for p in state.registry.all()]


@router.get(
    "/{policy_id}",
    summary="A policy with its fact schema and questions",
    responses=errors({404: "`unknown_policy`"}),
)
def policy_detail(policy_id: str, key: AnyKey, state: StateDep) -> dict[str, Any]:
    """The policy, its facts (type, values, question, personal) and its clauses' sources."""
    policy = _policy(state, policy_id)
    facts = [
        {
            "name": f.name,
            "type": f.type.kind,
            "values": list(f.type.values) or None,
            "question": f.question,
            "personal": f.personal,
        }
        for f in policy.compiled.schema.declared.values()
    ]
    clauses = [
        {"id": c.decl.id, "title": c.decl.title, "source": c.decl.source}
        for c in policy.compiled.clauses
    ]
    return {**summary(policy), "facts": facts, "clauses": clauses}


@router.get(
    "/{policy_id}/source",
    summary="The rule file",
    response_class=PlainTextResponse,
    responses=errors({404: "`unknown_policy`"}),
)
def policy_source(policy_id: str, key: AnyKey, state: StateDep) -> PlainTextResponse:
    """The text of the published rule file."""
    return PlainTextResponse(_policy(state, policy_id).compiled.source.text)
