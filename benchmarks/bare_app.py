"""The bare endpoint that `benchmarks/api_load.py` compares the API with (served by uvicorn).

`POST /v1/decisions` validates a body shaped like the API's (`policy`, `facts`, an optional
`proposed`) with pydantic and returns a small JSON: no key check, no policy, no store. Like the
API's route it is an `async def`, run on the event loop (no thread-pool hop). `GET /readyz` is
there for the readiness poll. `benchmarks/api_load.py` serves it as `policycheck serve` serves
the API (httptools with TCP_NODELAY, uvloop):

    .venv/bin/uvicorn --app-dir benchmarks bare_app:app --workers 2 --no-server-header \
        --http api.server:NoDelayHttpToolsProtocol --loop auto --no-access-log
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field


class ProposedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["allow", "refuse"]
    clause: str | None = None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    policy: str = Field(min_length=1, max_length=200)
    facts: dict[str, Any]
    proposed: ProposedIn | None = None


app = FastAPI(title="bare")


@app.post("/v1/decisions")
async def decide(body: DecisionIn) -> dict[str, Any]:
    return {"policy": body.policy, "outcome": "allow", "facts": len(body.facts)}


@app.get("/readyz")
def readyz() -> dict[str, str]:
    return {"status": "ready"}
