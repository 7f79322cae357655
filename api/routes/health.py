"""Liveness, readiness and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from api.deps import AdminKey, StateDep
from api.openapi import errors

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness (no key needed)")
def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the store answers and policies are loaded",
    responses={503: {"description": "Not ready: the same body, `status` `not_ready`"}},
)
def readyz(state: StateDep) -> Any:
    """200 when the store is reachable and at least one policy is published, else 503."""
    store_ok = state.store.ping()
    policies = len(state.registry.all()) if store_ok else 0
    ready = store_ok and policies > 0
    body = {
        "status": "ready" if ready else "not_ready",
        "store": store_ok,
        "policies": policies,
        "generation": state.registry.generation,
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics (admin key)",
    response_class=PlainTextResponse,
    responses={
        200: {
            "description": "The Prometheus text exposition",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **errors(),
    },
)
def metrics(key: AdminKey, state: StateDep) -> Response:
    """Request counts and latency by route, decisions by outcome and clause."""
    return Response(state.metrics.text(), media_type="text/plain; version=0.0.4")
