"""Dependencies of the routes: the process's state, and API keys with roles."""

from __future__ import annotations

import email.message
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from api.attempts import FailedAttempts, client_of
from api.errors import ApiError, invalid_body_error
from api.metrics import Metrics
from api.settings import Settings
from policycheck.keys import ApiKey, authenticate
from policycheck.registry import PolicyRegistry
from policycheck.store import Store
from policycheck.store.exception_log import ExceptionLog
from policycheck.store.group_commit import DecisionLog


@dataclass
class AppState:
    """What one API process holds: settings, store, published policies, metrics, the logs."""

    settings: Settings
    store: Store
    registry: PolicyRegistry
    metrics: Metrics
    log: DecisionLog
    exceptions: ExceptionLog
    session_secret: bytes  # signs the review page's cookies (kept in the store's meta)
    attempts: FailedAttempts = field(default_factory=FailedAttempts)  # this process's count


async def get_state(request: Request) -> AppState:
    """The process's state."""
    state: AppState = request.app.state.policycheck
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def check_key(request: Request, roles: tuple[str, ...]) -> ApiKey:
    """The request's bearer key if its role is one of `roles` (ApiError 401 without a known
    key, 403 if the role may not do this, 429 from a client that failed too often: api.attempts):
    what `require` checks, callable without FastAPI."""
    state: AppState = request.app.state.policycheck
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise ApiError(401, "unauthenticated", "send an API key: Authorization: Bearer KEY")
    attempts = state.attempts
    if attempts:  # a client that failed too often is refused whatever it presents
        attempts.check(client_of(request.scope))
    key = authenticate(presented.strip(), list(state.settings.keys))
    if key is None:
        attempts.failed(client_of(request.scope), "API key")
        raise ApiError(401, "unauthenticated", "unknown API key")
    if key.role not in roles:
        raise ApiError(
            403, "forbidden", f"role {key.role} may not do this; needs {' or '.join(roles)}"
        )
    return key


def require(*roles: str) -> Callable[[Request], Awaitable[ApiKey]]:
    """A dependency that accepts a bearer key of one of `roles` (401 without one, 403 if the
    role may not do this)."""

    async def check(request: Request) -> ApiKey:
        # async: no I/O here, so no hop to the thread pool; the state read in check_key, not
        # through StateDep: one dependency fewer for FastAPI to solve on every request
        return check_key(request, roles)

    return check


DECIDE_ROLES = ("agent", "supervisor", "admin")
DecideKey = Annotated[ApiKey, Depends(require(*DECIDE_ROLES))]
ReadDecisionKey = Annotated[ApiKey, Depends(require("agent", "supervisor", "quality", "admin"))]
AnyKey = Annotated[ApiKey, Depends(require("agent", "supervisor", "legal", "quality", "admin"))]
LegalKey = Annotated[ApiKey, Depends(require("legal", "admin"))]
AdminKey = Annotated[ApiKey, Depends(require("admin"))]
GrantKey = DecideKey  # whoever decides may grant an exception on a refusal
SupervisorKey = Annotated[ApiKey, Depends(require("supervisor", "admin"))]
QualityKey = Annotated[ApiKey, Depends(require("quality", "admin"))]
# supervisors list exceptions to find the pending ones; whoever may read a decision may read one
ListExceptionsKey = Annotated[ApiKey, Depends(require("supervisor", "quality", "admin"))]


ModelT = TypeVar("ModelT", bound=BaseModel)
_MISSING = object()


async def body_and_key(
    request: Request, model: type[ModelT], roles: tuple[str, ...]
) -> tuple[ModelT, ApiKey]:
    """The JSON body validated as `model`, and the bearer key of one of `roles`: what a route
    declaring `body: Model` and `Depends(require(*roles))` gets from FastAPI, without its
    dependency solving on every request. A valid `application/json` body is validated straight
    from its bytes; any other goes FastAPI's way, so that every failure is the one FastAPI
    gives, in its order: a body that cannot be read (400) or parsed (422) before the key,
    the key (401/403) before the body's validation (422 `invalid_body`)."""
    try:
        raw = await request.body()
    except Exception:
        raise ApiError(400, "http_error", "There was an error parsing the body") from None
    content_type = request.headers.get("content-type")
    if raw and content_type is not None and content_type.partition(";")[0] == "application/json":
        try:
            body = model.model_validate_json(raw)
        except ValidationError:
            pass
        else:
            return body, check_key(request, roles)
    data = _decoded(raw, content_type)
    key = check_key(request, roles)
    if data is _MISSING:
        raise invalid_body_error([{"loc": ("body",), "msg": "Field required"}])
    try:
        return model.model_validate(data, from_attributes=True), key
    except ValidationError as invalid:
        raise invalid_body_error(invalid.errors()) from None


def _decoded(raw: bytes, content_type: str | None) -> Any:
    """The body as FastAPI reads it for a pydantic body parameter: missing if empty, parsed
    JSON if it is JSON (or has no content type), else the bytes themselves."""
    if not raw:
        return _MISSING
    if content_type:
        message = email.message.Message()
        message["content-type"] = content_type
        subtype = message.get_content_subtype()
        if message.get_content_maintype() != "application" or not (
            subtype == "json" or subtype.endswith("+json")
        ):
            return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        problem = {"loc": ("body", error.pos), "msg": "JSON decode error"}
        raise invalid_body_error([problem]) from None
    except Exception:
        raise ApiError(400, "http_error", "There was an error parsing the body") from None
