"""`api.schemas.DecisionOut`, the decision's model in the OpenAPI document, is true to the JSON
the fast path sends (the library's dict, encoded by orjson, never through the model): every
worked example of every shipped rule file, decided through the API, is read by the model with
no key left over or missing, and the model writes it back byte for byte."""

from __future__ import annotations

import json

from api_support import auth
from both_paths import EXAMPLES
from fastapi.testclient import TestClient

from api.schemas import DecisionOut

# keys of a decision the worked examples must show at least once, non-null (else the model's
# types for them were never tested)
SEEN = ("clause", "deadline", "margin", "discretion", "proposal")


def test_every_worked_example_fits_the_model(client: TestClient) -> None:
    bodies = []
    for request in EXAMPLES:
        response = client.post("/v1/decisions", json=request, headers=auth("agent"))
        if response.status_code == 200:
            bodies.append(response.content)
    assert len(bodies) >= 100
    seen: set[str] = set()
    steps: set[str] = set()
    for body in bodies:
        model = DecisionOut.model_validate_json(body)  # extra="forbid": no key unknown to it
        assert model.model_dump_json(exclude_unset=True).encode() == body
        out = json.loads(body)
        seen |= {key for key in SEEN if out[key] is not None}
        steps |= {key for step in out["trace"] for key in step}
    assert seen == set(SEEN)
    assert {"note", "deadline", "margin"} <= steps


def test_the_document_gives_decision_out_for_a_decision(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ok = spec["paths"]["/v1/decisions"]["post"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DecisionOut"
    }
    model = spec["components"]["schemas"]["DecisionOut"]
    assert model["additionalProperties"] is False
    assert set(model["required"]) == set(DecisionOut.model_fields)
