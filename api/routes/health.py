"""Liveness, readiness and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from api.deps import AdminKey, StateDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness (no key needed)")
def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the store answers and policies are loaded")
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


@router.get("/metrics", summary="Prometheus metrics (admin key)")
def metrics(key: AdminKey, state: StateDep) -> Response:
    """Request counts and latency by route, decisions by outcome and clause."""
    return Response(state.metrics.text(), media_type="text/plain; version=0.0.4")
