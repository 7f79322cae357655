"""POST /v1/decisions and GET /v1/decisions/{id}, over the real app and a real database, with
the fast path and without (tests/api/both_paths.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy
from api_support import auth
from both_paths import BOTH_WAYS, app_client
from fastapi.testclient import TestClient

from api.settings import Settings

FOUNDING = {
    "policy": "tomtom-fr-2012",
    "facts": {
        "request": {"kind": "cancellation", "date": "2012-03-19"},
        "product": {"category": "map"},
        "service": {"downloaded": False},
    },
    "proposed": {"outcome": "refuse", "clause": "a"},
}
DEVICE_LATE = {
    "policy": "tomtom-fr-2012",
    "facts": {
        "request": {"kind": "cancellation", "date": "2012-04-23"},
        "product": {"category": "device", "used": False, "original_packaging": True},
        "delivery": {"date": "2012-04-04", "postcode": "75011"},
    },
}


@pytest.fixture(params=BOTH_WAYS)
def fast_path(request: pytest.FixtureRequest) -> bool:
    """Served by api.fast_path, or by FastAPI as a plain route (tests/api/both_paths.py)."""
    return bool(request.param)


@pytest.fixture
def client(settings: Settings, fast_path: bool) -> Iterator[TestClient]:
    """The real app over a real database, with or without the fast path."""
    yield from app_client(settings, fast_path)


def test_founding_story(client: TestClient) -> None:
    response = client.post("/v1/decisions", json=FOUNDING, headers=auth("agent"))
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["outcome"], out["clause"]["id"]) == ("allow", "b")
    assert out["proposal"] == {
        "agrees": False,
        "message": out["proposal"]["message"],
        "applicable_clause": "b",
    }
    assert len(out["decision_id"]) == 32
    assert out["policy"]["hash"].startswith("sha256:")
    assert response.headers["x-request-id"]


def test_a_decision_is_logged_and_can_be_read_back(client: TestClient) -> None:
    made = client.post("/v1/decisions", json=DEVICE_LATE, headers=auth("agent")).json()
    assert (made["outcome"], made["deadline"], made["rigid"]) == ("refuse", "2012-04-21", True)
    read = client.get(f"/v1/decisions/{made['decision_id']}", headers=auth("quality"))
    assert read.status_code == 200
    logged = read.json()
    assert logged["decision_id"] == made["decision_id"]
    assert logged["outcome"] == "refuse"
    assert logged["policy"] == made["policy"]
    assert logged["agent_key_id"]
    assert logged["agent_key_id"] not in {"test-agent-key"}
    assert logged["logged_at"].endswith("+00:00")


def test_unknown_decision_is_404(client: TestClient) -> None:
    response = client.get("/v1/decisions/" + "0" * 32, headers=auth("agent"))
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_decision"


def test_unknown_policy_is_404(client: TestClient) -> None:
    body = {**FOUNDING, "policy": "no-such-policy"}
    response = client.post("/v1/decisions", json=body, headers=auth("agent"))
    assert (response.status_code, response.json()["code"]) == (404, "unknown_policy")


def test_every_invalid_fact_is_listed(client: TestClient) -> None:
    body = {
        "policy": "tomtom-fr-2012",
        "facts": {
            "request": {"kind": "cancelation", "date": "2012-02-30"},
            "product": {"categori": "map", "used": "yes"},
        },
        "proposed": {"outcome": "refuse", "clause": "z"},
    }
    response = client.post("/v1/decisions", json=body, headers=auth("agent"))
    assert response.status_code == 422
    out = response.json()
    assert out["code"] == "invalid_facts"
    assert {(e["code"], e["fact"]) for e in out["errors"]} == {
        ("PC504", "request.kind"),
        ("PC503", "request.date"),
        ("PC501", "product.categori"),
        ("PC502", "product.used"),
        ("PC505", "proposed.clause"),
    }


def test_malformed_bodies_are_422(client: TestClient) -> None:
    cases: list[Any] = [
        {"facts": {}},  # no policy
        {"policy": "tomtom-fr-2012", "facts": {}, "extra": 1},
        {"policy": "tomtom-fr-2012", "facts": []},
        {"policy": "tomtom-fr-2012", "facts": {}, "proposed": {"outcome": "maybe"}},
    ]
    for body in cases:
        response = client.post("/v1/decisions", json=body, headers=auth("agent"))
        assert response.status_code == 422, body
        out = response.json()
        assert out["code"] == "invalid_body"
        assert out["errors"]
        assert all("field" in e and "message" in e for e in out["errors"])
    not_json = client.post(
        "/v1/decisions",
        content=b"{nope",
        headers={**auth("agent"), "content-type": "application/json"},
    )
    assert (not_json.status_code, not_json.json()["code"]) == (422, "invalid_body")


@pytest.mark.parametrize(
    ("body", "content_type", "role", "expected"),
    [
        # the route reads its body itself: the key first (nothing is read without one), then
        # the answers of FastAPI for a `body: DecisionIn` parameter (unparsable, then schema),
        # in the one error shape
        (b"{nope", "application/json", None, (401, "unauthenticated", None)),
        (b"{nope", "application/json", "agent", (422, "invalid_body", "1")),
        (b"\xff", "application/json", "agent", (422, "invalid_body", "")),
        (b"", "application/json", None, (401, "unauthenticated", None)),
        (b"", "application/json", "agent", (422, "invalid_body", "")),
        (b"[1]", "application/json", None, (401, "unauthenticated", None)),
        (b"[1]", "application/json", "legal", (403, "forbidden", None)),
        (b"[1]", "application/json", "agent", (422, "invalid_body", "")),
        (
            b'{"policy": "tomtom-fr-2012"}',
            "application/json",
            "agent",
            (422, "invalid_body", "facts"),
        ),
        (
            b'{"policy": "tomtom-fr-2012", "facts": {}}',
            "text/json",
            "agent",
            (422, "invalid_body", ""),
        ),
        (
            b'{"policy": "nope", "facts": {}}',
            "application/json; charset=utf-8",
            "agent",
            (404, "unknown_policy", "policy"),
        ),
        (
            b'{"policy": "tomtom-fr-2012", "facts": {"x": NaN}}',
            "application/json",
            "agent",
            (422, "invalid_facts", None),
        ),
    ],
)
def test_the_body_is_read_as_fastapi_reads_a_body_parameter(
    client: TestClient,
    body: bytes,
    content_type: str,
    role: str | None,
    expected: tuple[int, str, str | None],
) -> None:
    headers = {"content-type": content_type, **(auth(role) if role else {})}
    response = client.post("/v1/decisions", content=body, headers=headers)
    out = response.json()
    field = out["errors"][0].get("field") if out["errors"] else None
    assert (response.status_code, out["code"], field) == expected
    assert response.headers["x-request-id"]


def test_other_methods_on_the_decisions_path_are_routed_as_before(client: TestClient) -> None:
    response = client.get("/v1/decisions", headers=auth("agent"))
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


def test_a_body_too_large_is_refused(client: TestClient) -> None:
    huge = {**FOUNDING, "facts": {"request": {"kind": "x" * 100_000}}}
    response = client.post("/v1/decisions", json=huge, headers=auth("agent"))
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_personal_facts_are_masked_in_the_log(settings: Settings, fast_path: bool) -> None:
    (settings.rules_dir / "contact.policy").write_text(
        'policy contact "Contact"\nfacts\n  request.kind: one of return\n'
        "  customer.email: text personal\n"
        'clause r "Returns"\n  applies to return\n  refuse when customer.email is unknown\n'
        "  otherwise allow\n",
        encoding="utf-8",
    )
    from api.app import create_app

    with TestClient(create_app(settings, fast_path=fast_path)) as client:
        body = {
            "policy": "contact",
            "facts": {"request": {"kind": "return"}, "customer": {"email": "jo@example.org"}},
        }
        made = client.post("/v1/decisions", json=body, headers=auth("agent")).json()
        assert made["outcome"] == "allow"
        logged = client.get(f"/v1/decisions/{made['decision_id']}", headers=auth("quality"))
        assert "jo@example.org" not in logged.text
        steps = [s for s in logged.json()["trace"] if "customer.email" in s["facts"]]
        assert steps
        assert all(s["facts"]["customer.email"] == "***" for s in steps)
    engine = sqlalchemy.create_engine(settings.db_url)
    with engine.connect() as connection:
        facts = connection.execute(sqlalchemy.text("SELECT facts FROM decisions")).scalars().all()
    engine.dispose()
    assert facts
    assert all("jo@example.org" not in str(f) for f in facts)


def test_a_server_error_answers_500_with_a_request_id_and_no_internals(
    client: TestClient, settings: Settings
) -> None:
    engine = sqlalchemy.create_engine(settings.db_url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("DROP TABLE decisions"))
    engine.dispose()
    response = client.post("/v1/decisions", json=FOUNDING, headers=auth("agent"))
    assert response.status_code == 500
    out = response.json()
    assert out["code"] == "internal_error"
    assert out["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    assert "decisions" not in out["message"]


def test_a_json_body_sent_as_a_form_is_read_as_json(client: TestClient) -> None:
    """`curl -d @request.json` sends application/x-www-form-urlencoded."""
    import json

    response = client.post(
        "/v1/decisions",
        content=json.dumps(FOUNDING).encode(),
        headers={**auth("agent"), "content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["clause"]["id"] == "b"


USED_IN_NANTES = {
    "policy": "tomtom-fr-2012",
    "facts": {
        "request": {"kind": "cancellation", "date": "2012-04-08"},
        "product": {"category": "device", "used": True, "original_packaging": True},
        "delivery": {"date": "2012-04-03", "postcode": "44000"},
    },
    "proposed": {"outcome": "refuse", "clause": "a"},
}


def test_the_law_beneath_the_terms_decides_and_says_so(client: TestClient) -> None:
    """A used device 5 days after delivery: clause a refuses it, L121-20 (7 jours francs)
    allows it; the decision, its log and the proposal check say which layer decided."""
    response = client.post("/v1/decisions", json=USED_IN_NANTES, headers=auth("agent"))
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["outcome"], out["layer"], out["rigid"], out["discretion"]) == (
        "allow",
        "law",
        False,
        None,
    )
    assert (out["clause"]["id"], out["deadline"]) == ("L121-20", "2012-04-10")
    assert out["contract"] == {
        "outcome": "refuse",
        "clause": {"id": "a", "title": "Annulation du Matériel"},
        "unlawful": True,
    }
    assert out["law"]["policy"]["id"] == "fr-code-consommation-2012"
    assert (out["law"]["outcome"], out["law"]["deadline"]) == ("allow", "2012-04-10")
    assert out["proposal"]["agrees"] is False
    assert "L121-20" in out["proposal"]["message"]
    assert "la refuser serait illégal" in out["explanations"]["fr"]
    law_steps = [s for s in out["trace"] if s["clause"].startswith("fr-code-consommation-2012:")]
    assert law_steps
    assert law_steps[0]["facts"]["request.kind"] == "withdrawal"  # the law's facts, not ours
    logged = client.get(f"/v1/decisions/{out['decision_id']}", headers=auth("quality")).json()
    assert (logged["layer"], logged["contract"]["unlawful"]) == ("law", True)


def test_a_day_after_the_floor_the_terms_decide(client: TestClient) -> None:
    late = {**USED_IN_NANTES, "facts": {**USED_IN_NANTES["facts"]}}
    late["facts"]["request"] = {"kind": "cancellation", "date": "2012-04-11"}  # type: ignore[index]
    out = client.post("/v1/decisions", json=late, headers=auth("agent")).json()
    assert (out["outcome"], out["layer"], out["contract"]) == ("refuse", "contract", None)
    assert (out["clause"]["id"], out["law"]["outcome"]) == ("a", "refuse")
