"""Dependencies of the routes: the process's state, and API keys with roles."""

from __future__ import annotations

import email.message
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from api.attempts import FailedAttempts, client_of
from api.errors import ApiError, BodyTooLarge, invalid_body_error
from api.metrics import Metrics
from api.settings import Settings
from policycheck.review.log import ExceptionLog
from policycheck.service.keys import ApiKey, authenticate
from policycheck.service.registry import PolicyRegistry
from policycheck.store import Store
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
MAX_DEPTH = 32  # arrays and objects within each other in a body (facts are 2 or 3 deep)
# an escaped UTF-16 surrogate (`\ud800`): only a pair of them is a character
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


async def read_body(request: Request, model: type[ModelT]) -> ModelT:
    """The JSON body validated as `model`, or the one error shape: 413 `body_too_large`, 422
    `invalid_body` naming each problem (JSON that does not parse, nests deeper than MAX_DEPTH
    or holds a lone surrogate, which no UTF-8 text can store, or does not fit `model`). An
    `application/json` body is validated straight from its bytes when nothing in them needs
    a closer look; any other is read as FastAPI reads a body parameter, with its errors."""
    raw = await _raw(request)
    content_type = request.headers.get("content-type")
    if (
        raw
        and content_type is not None
        and content_type.partition(";")[0] == "application/json"
        and raw.count(b"{") + raw.count(b"[") <= MAX_DEPTH
        and _SURROGATE_ESCAPE.search(raw) is None
    ):
        try:
            return model.model_validate_json(raw)
        except ValidationError:
            pass
    data = _decoded(raw, content_type)
    if data is _MISSING:
        raise invalid_body_error([{"loc": ("body",), "msg": "Field required"}])
    problems = _text_problems(data)
    if problems:
        raise invalid_body_error(problems)
    try:
        return model.model_validate(data, from_attributes=True)
    except ValidationError as invalid:
        raise invalid_body_error(invalid.errors()) from None


def body_of(model: type[ModelT]) -> Callable[[Request], Awaitable[ModelT]]:
    """A dependency reading the body as `model` (`read_body`). Declared after the key, it is
    read only once the key passed: FastAPI reads a body parameter before any dependency."""

    async def read(request: Request) -> ModelT:
        return await read_body(request, model)

    return read


async def _raw(request: Request) -> bytes:
    try:
        return await request.body()
    except BodyTooLarge as too_large:
        raise too_large.error from None
    except Exception:
        raise ApiError(400, "http_error", "There was an error parsing the body") from None


def _text_problems(data: Any) -> list[dict[str, Any]]:
    """Where `data` nests deeper than MAX_DEPTH or holds a string (or key) that is not text."""
    problems: list[dict[str, Any]] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if not _is_text(value):
                problems.append({"loc": path, "msg": "holds a lone surrogate: not text"})
            continue
        if not isinstance(value, dict | list):
            continue
        if len(path) >= MAX_DEPTH:
            problems.append({"loc": path, "msg": f"nested deeper than {MAX_DEPTH} levels"})
            continue
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for name, item in items:
            if isinstance(name, str) and not _is_text(name):
                problems.append({"loc": path, "msg": "a key holds a lone surrogate: not text"})
                continue
            stack.append((item, (*path, name)))
    return sorted(problems, key=lambda problem: [str(part) for part in problem["loc"]])


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _decoded(raw: bytes, content_type: str | None) -> Any:
    """The body as FastAPI reads it for a pydantic body parameter: missing if empty, parsed
    JSON if it is JSON (or has no content type), else the bytes themselves; but a body that
    is not UTF-8, or too deep for the parser, is 422 `invalid_body` (FastAPI: 400 or 500)."""
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
    except UnicodeDecodeError:
        problem = {"loc": ("body",), "msg": "not UTF-8 text"}
        raise invalid_body_error([problem]) from None
    except ValueError as error:  # a number of more than 4,300 digits
        raise invalid_body_error([{"loc": ("body",), "msg": str(error)}]) from None
    except RecursionError:
        problem = {"loc": ("body",), "msg": f"nested deeper than {MAX_DEPTH} levels"}
        raise invalid_body_error([problem]) from None
