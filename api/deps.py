"""Dependencies of the routes: the process's state, and API keys with roles."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from api.errors import ApiError
from api.metrics import Metrics
from api.settings import Settings
from policycheck.keys import ApiKey, authenticate
from policycheck.registry import PolicyRegistry
from policycheck.store import Store
from policycheck.store.exception_log import ExceptionLog
from policycheck.store.group_commit import GroupCommitLog


@dataclass
class AppState:
    """What one API process holds: settings, store, published policies, metrics, the logs."""

    settings: Settings
    store: Store
    registry: PolicyRegistry
    metrics: Metrics
    log: GroupCommitLog
    exceptions: ExceptionLog
    session_secret: bytes = b""  # signs the review page's cookies (kept in the store's meta)


async def get_state(request: Request) -> AppState:
    """The process's state."""
    state: AppState = request.app.state.policycheck
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def require(*roles: str) -> Callable[[Request], Awaitable[ApiKey]]:
    """A dependency that accepts a bearer key of one of `roles` (401 without one, 403 if the
    role may not do this)."""

    async def check(request: Request) -> ApiKey:
        # async: no I/O here, so no hop to the thread pool; the state read here, not through
        # StateDep: one dependency fewer for FastAPI to solve on every request
        state: AppState = request.app.state.policycheck
        header = request.headers.get("authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise ApiError(401, "unauthenticated", "send an API key: Authorization: Bearer KEY")
        key = authenticate(presented.strip(), list(state.settings.keys))
        if key is None:
            raise ApiError(401, "unauthenticated", "unknown API key")
        if key.role not in roles:
            raise ApiError(
                403, "forbidden", f"role {key.role} may not do this; needs {' or '.join(roles)}"
            )
        return key

    return check


DecideKey = Annotated[ApiKey, Depends(require("agent", "supervisor", "admin"))]
ReadDecisionKey = Annotated[ApiKey, Depends(require("agent", "supervisor", "quality", "admin"))]
AnyKey = Annotated[ApiKey, Depends(require("agent", "supervisor", "legal", "quality", "admin"))]
LegalKey = Annotated[ApiKey, Depends(require("legal", "admin"))]
AdminKey = Annotated[ApiKey, Depends(require("admin"))]
GrantKey = Annotated[ApiKey, Depends(require("agent", "supervisor", "admin"))]
SupervisorKey = Annotated[ApiKey, Depends(require("supervisor", "admin"))]
QualityKey = Annotated[ApiKey, Depends(require("quality", "admin"))]
# supervisors list exceptions to find the pending ones; whoever may read a decision may read one
ListExceptionsKey = Annotated[ApiKey, Depends(require("supervisor", "quality", "admin"))]
