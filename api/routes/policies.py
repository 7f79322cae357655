"""The published policies: list, detail with the fact schema, source; check and reload."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from api.deps import AnyKey, LegalKey, StateDep, body_of
from api.errors import ApiError
from api.openapi import errors, request_body
from api.schemas import CheckIn, CheckOut, ReloadOut
from policycheck.language.check_versions import Period
from policycheck.language.diagnostics import Severity
from policycheck.language.source import Source
from policycheck.policy import Policy, diagnose, laws_among
from policycheck.service.registry import Publication, Versions

router = APIRouter(prefix="/v1/policies", tags=["policies"])
CheckBody = Annotated[CheckIn, Depends(body_of(CheckIn))]


def summary(versions: Versions) -> dict[str, Any]:
    """Id, title, version, hash, effective period and clauses of a policy's latest version, and
    its `versions` (each with its name, period and hash), earliest first."""
    return {
        **_version_summary(versions.latest),
        "versions": [
            {
                "version": v.compiled.header.version,
                "effective": Period.of(v.compiled.header).to_dict(),
                "hash": v.hash,
            }
            for v in versions.versions
        ],
    }


def _version_summary(policy: Policy) -> dict[str, Any]:
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


def _policy(state: StateDep, policy_id: str) -> Versions:
    versions = state.registry.get(policy_id)
    if versions is None:
        raise ApiError(404, "unknown_policy", f"no policy `{policy_id}` is published")
    return versions


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
    published = laws_among(
        version.compiled.source for policy in state.registry.all() for version in policy.versions
    )
    _, diagnostics = diagnose(Source(body.name, body.text), analysis=True, laws=published)
    ok = not any(d.severity is Severity.ERROR for d in diagnostics)
    return CheckOut(ok=ok, diagnostics=[d.to_dict() for d in diagnostics])


@router.post(
    "/reload",
    summary="Publish the rule files again",
    responses=errors(
        {
            422: "`invalid_rules`: nothing was published (every diagnostic, or every worked "
            "example that fails)"
        }
    ),
)
def reload(key: LegalKey, state: StateDep) -> ReloadOut:
    """Re-read the rules folder; a file with errors, two versions of a policy that cannot be
    served together, or a worked example that fails refuses the whole reload (422) and the
    previous generation keeps serving."""
    publication = state.registry.publish()
    if publication.generation is None:
        raise refused(publication)
    return ReloadOut(
        generation=publication.generation, policies=[p.id for p in state.registry.all()]
    )


def refused(publication: Publication) -> ApiError:
    """422 `invalid_rules`: each diagnostic, or each failed example (file, example, line and
    what it did not meet)."""
    if publication.errors:
        return ApiError(
            422,
            "invalid_rules",
            "the rule files have errors; nothing was published",
            [{**d.to_dict(), "file": source.name} for source, d in publication.errors],
        )
    return ApiError(
        422,
        "invalid_rules",
        "worked examples of the rule files fail; nothing was published",
        [
            {
                "file": name,
                "example": r.example.name,
                "line": r.example.span.line,
                "failures": list(r.failures),
            }
            for name, r in publication.failures
        ],
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
    """The policy (its latest version), its facts (type, values, question, personal), its
    clauses' sources, and its versions."""
    versions = _policy(state, policy_id)
    policy = versions.latest
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
    return {**summary(versions), "facts": facts, "clauses": clauses}


@router.get(
    "/{policy_id}/source",
    summary="The rule file",
    response_class=PlainTextResponse,
    responses=errors({404: "`unknown_policy`"}),
)
def policy_source(policy_id: str, key: AnyKey, state: StateDep) -> PlainTextResponse:
    """The text of the published rule file (of the latest version)."""
    return PlainTextResponse(_policy(state, policy_id).latest.compiled.source.text)
