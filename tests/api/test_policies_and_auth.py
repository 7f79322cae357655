"""Policies, check, reload, health, metrics, and authentication on every route."""

from __future__ import annotations

import pytest
from api_support import KEYS, ROOT, auth
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from policycheck import load_policy

DECISION = {"policy": "tomtom-fr-2012", "facts": {"request": {"kind": "return"}}}
ROUTES = [
    ("POST", "/v1/decisions", DECISION, {"agent", "supervisor", "admin"}),
    ("GET", "/v1/decisions/" + "0" * 32, None, {"agent", "supervisor", "quality", "admin"}),
    ("GET", "/v1/policies", None, set(KEYS)),
    ("GET", "/v1/policies/tomtom-fr-2012", None, set(KEYS)),
    ("GET", "/v1/policies/tomtom-fr-2012/source", None, set(KEYS)),
    ("POST", "/v1/policies/check", {"text": 'policy p "P"\n'}, {"legal", "admin"}),
    ("POST", "/v1/policies/reload", None, {"legal", "admin"}),
    ("GET", "/metrics", None, {"admin"}),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "roles"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES]
)
def test_every_route_needs_a_key_of_the_right_role(
    client: TestClient, method: str, path: str, body: object, roles: set[str]
) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.json()["code"] == "unauthenticated"
        assert response.headers["www-authenticate"] == "Bearer"
    for role in KEYS:
        response = client.request(method, path, json=body, headers=auth(role))
        if role in roles:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["code"] == "forbidden"


def test_health_needs_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    ids = {load_policy(path).id for path in (ROOT / "rules").glob("*.policy")}
    assert ready.json()["policies"] == len(ids)  # versions of one policy count once


def test_policies_list_detail_and_source(client: TestClient) -> None:
    listed = client.get("/v1/policies", headers=auth("agent")).json()
    ids = [p["id"] for p in listed]
    assert "tomtom-fr-2012" in ids
    tomtom = next(p for p in listed if p["id"] == "tomtom-fr-2012")
    assert tomtom["effective"] == {"from": "2012-01-01", "until": "2014-06-13"}
    assert [c["id"] for c in tomtom["clauses"]] == ["a", "b"]
    detail = client.get("/v1/policies/tomtom-fr-2012", headers=auth("agent")).json()
    used = next(f for f in detail["facts"] if f["name"] == "product.used")
    assert used == {
        "name": "product.used",
        "type": "bool",
        "values": None,
        "question": "L'appareil a-t-il été utilisé depuis la livraison ?",
        "personal": False,
    }
    source = client.get("/v1/policies/tomtom-fr-2012/source", headers=auth("agent"))
    assert source.text.startswith("# TomTom France")
    missing = client.get("/v1/policies/nope", headers=auth("agent"))
    assert (missing.status_code, missing.json()["code"]) == (404, "unknown_policy")


def test_check_returns_diagnostics_and_publishes_nothing(client: TestClient) -> None:
    text = 'policy p "P"\nfacts\n  a.flag: bool\nclause k "K"\n  allow when a.flg\n'
    out = client.post("/v1/policies/check", json={"text": text}, headers=auth("legal")).json()
    assert out["ok"] is False
    assert [d["code"] for d in out["diagnostics"]] == ["PC201"]
    assert out["diagnostics"][0]["help"] == "did you mean `a.flag`?"
    listed = client.get("/v1/policies", headers=auth("legal")).json()
    assert "p" not in [p["id"] for p in listed]


def test_a_broken_reload_is_refused_and_the_previous_version_keeps_serving(
    client: TestClient, settings: Settings
) -> None:
    before = client.post("/v1/decisions", json=DECISION, headers=auth("agent")).json()
    path = settings.rules_dir / "tomtom-fr-2012.policy"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("after delivery.date", "after delivery.dat"), encoding="utf-8")
    refused = client.post("/v1/policies/reload", headers=auth("legal"))
    assert refused.status_code == 422
    out = refused.json()
    assert out["code"] == "invalid_rules"
    assert out["errors"][0]["code"] == "PC201"
    assert out["errors"][0]["file"] == "tomtom-fr-2012.policy"
    still = client.post("/v1/decisions", json=DECISION, headers=auth("agent")).json()
    assert still["policy"]["hash"] == before["policy"]["hash"]
    path.write_text(good + "\n# amended: a comment, the examples still pass\n", encoding="utf-8")
    accepted = client.post("/v1/policies/reload", headers=auth("admin"))
    assert accepted.status_code == 200
    after = client.post("/v1/decisions", json=DECISION, headers=auth("agent")).json()
    assert after["policy"]["hash"] != before["policy"]["hash"]


def test_a_reload_reaches_another_process_through_the_store(settings: Settings) -> None:
    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        path = settings.rules_dir / "tomtom-fr-2012.policy"
        text = path.read_text(encoding="utf-8")
        path.write_text(text + "\n# amended\n", encoding="utf-8")
        assert first.post("/v1/policies/reload", headers=auth("legal")).status_code == 200
        hashes = [
            c.get("/v1/policies/tomtom-fr-2012", headers=auth("agent")).json()["hash"]
            for c in (first, second)
        ]
        assert hashes[0] == hashes[1]


def test_metrics_count_requests_and_decisions(client: TestClient) -> None:
    client.post("/v1/decisions", json=DECISION, headers=auth("agent"))
    text = client.get("/metrics", headers=auth("admin")).text
    assert (
        'policycheck_decisions_total{clause="",outcome="no_clause",policy="tomtom-fr-2012"}' in text
    )
    assert (
        'policycheck_http_requests_total{method="POST",route="/v1/decisions",status="200"}' in text
    )
    assert "policycheck_http_request_seconds_bucket" in text


def test_openapi_has_the_founding_story_as_example(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schema = spec["components"]["schemas"]["DecisionIn"]
    assert schema["examples"][0]["policy"] == "tomtom-fr-2012"
    assert client.get("/docs").status_code == 200


def test_an_unknown_route_uses_the_error_shape(client: TestClient) -> None:
    response = client.get("/v2/nothing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_check_finds_the_law_among_the_published_rules(client: TestClient) -> None:
    """Terms sent alone are checked against the laws that are published, wherever the name
    they were sent with points: a law that is not published is PC601."""
    text = (ROOT / "rules" / "tomtom-fr-2012.policy").read_text(encoding="utf-8")
    sent = {"text": text, "name": "tomtom-fr-2012.policy"}
    out = client.post("/v1/policies/check", json=sent, headers=auth("legal")).json()
    assert (out["ok"], [d["code"] for d in out["diagnostics"]]) == (True, [])
    unknown = {"text": text.replace("subject to fr-code-consommation-2012", "subject to fr-code")}
    out = client.post("/v1/policies/check", json=unknown, headers=auth("legal")).json()
    assert out["ok"] is False
    assert [d["code"] for d in out["diagnostics"]] == ["PC601"]
    assert "fr-code-consommation-2012" in out["diagnostics"][0]["help"]
