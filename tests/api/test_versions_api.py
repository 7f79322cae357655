"""Two versions of a policy served side by side (the shipped online-retailer-returns editions of
January 2025 and March 2026, chosen by the order date), with the fast path and without."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_support import auth
from both_paths import BOTH_WAYS, app_client
from fastapi.testclient import TestClient

from api.settings import Settings

POLICY = "online-retailer-returns"
PERIODS = [
    {"fact": "order.date", "version": "2025-01",
     "effective": {"from": "2025-01-01", "until": "2026-02-28"}},
    {"fact": "order.date", "version": "2026-03",
     "effective": {"from": "2026-03-01", "until": None}},
]  # fmt: skip


def returned_on_day_39(ordered: str | None) -> dict[str, Any]:
    """Delivered on 2 March 2026 and returned on 10 April: in time under 45 days, not 30."""
    facts: dict[str, Any] = {
        "request": {"kind": "return", "date": "2026-04-10"},
        "delivery": {"date": "2026-03-02"},
        "product": {"category": "general", "final_sale": False, "complete": True},
        "receipt": {"present": True},
    }
    if ordered is not None:
        facts["order"] = {"date": ordered}
    return {"policy": POLICY, "facts": facts}


@pytest.fixture(params=BOTH_WAYS)
def fast_path(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def client(settings: Settings, fast_path: bool) -> Iterator[TestClient]:
    yield from app_client(settings, fast_path)


def decide(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post("/v1/decisions", json=body, headers=auth("agent"))


def test_each_request_is_decided_by_the_version_of_its_order_date(client: TestClient) -> None:
    old = decide(client, returned_on_day_39("2026-02-28"))
    new = decide(client, returned_on_day_39("2026-03-01"))
    assert (old.status_code, new.status_code) == (200, 200), (old.text, new.text)
    old_out, new_out = old.json(), new.json()
    assert (old_out["policy"]["version"], old_out["outcome"]) == ("2025-01", "refuse")
    assert old_out["deadline"] == "2026-04-01"
    assert (new_out["policy"]["version"], new_out["outcome"]) == ("2026-03", "allow")
    assert new_out["deadline"] == "2026-04-16"
    assert old_out["policy"]["hash"] != new_out["policy"]["hash"]
    logged = client.get(f"/v1/decisions/{old_out['decision_id']}", headers=auth("agent")).json()
    assert logged["policy"] == old_out["policy"]


def test_an_order_before_every_version_is_422_naming_the_periods(client: TestClient) -> None:
    response = decide(client, returned_on_day_39("2024-12-31"))
    assert response.status_code == 422
    out = response.json()
    assert out["code"] == "no_version_in_force"
    assert out["errors"] == PERIODS
    assert "2024-12-31" in out["message"]
    assert "2025-01-01 to 2026-02-28" in out["message"]


def test_an_unknown_order_date_is_422_naming_the_fact_that_chooses(client: TestClient) -> None:
    response = decide(client, returned_on_day_39(None))
    assert response.status_code == 422
    out = response.json()
    assert out["code"] == "no_version_in_force"
    assert out["message"].startswith("`order.date` is unknown")
    assert out["errors"] == PERIODS


def test_a_malformed_order_date_is_invalid_facts_with_every_problem(client: TestClient) -> None:
    body = returned_on_day_39("2026-02-30")
    body["facts"]["receipt"]["present"] = "yes"
    response = decide(client, body)
    assert response.status_code == 422
    out = response.json()
    assert out["code"] == "invalid_facts"
    assert {e["fact"] for e in out["errors"]} == {"order.date", "receipt.present"}


def test_a_single_version_answers_422_outside_its_period(client: TestClient) -> None:
    body = {
        "policy": "tomtom-fr-2012",
        "facts": {"request": {"kind": "cancellation", "date": "2026-03-19"},
                  "product": {"category": "map"}},
    }  # fmt: skip
    response = decide(client, body)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"fact": "request.date", "version": "2012-06",
         "effective": {"from": "2012-01-01", "until": "2014-06-13"}}
    ]  # fmt: skip


def test_the_policy_lists_its_versions(client: TestClient) -> None:
    detail = client.get(f"/v1/policies/{POLICY}", headers=auth("agent")).json()
    assert detail["version"] == "2026-03"  # the latest version, as before: one policy per id
    assert detail["effective"] == {"from": "2026-03-01", "until": None}
    assert [(v["version"], v["effective"]) for v in detail["versions"]] == [
        (p["version"], p["effective"]) for p in PERIODS
    ]
    assert detail["versions"][-1]["hash"] == detail["hash"]
    assert all(v["hash"].startswith("sha256:") for v in detail["versions"])
    listed = client.get("/v1/policies", headers=auth("agent")).json()
    assert [p["id"] for p in listed].count(POLICY) == 1
    tomtom = next(p for p in listed if p["id"] == "tomtom-fr-2012")
    assert [v["version"] for v in tomtom["versions"]] == ["2012-06"]


def test_a_reload_whose_examples_fail_is_refused_naming_them(
    client: TestClient, settings: Settings
) -> None:
    before = decide(client, returned_on_day_39("2026-03-01")).json()
    path = settings.rules_dir / "online-retailer-returns-2026.policy"
    text = path.read_text(encoding="utf-8")
    assert "45 calendar_days after" in text
    path.write_text(text.replace("45 calendar_days after", "40 calendar_days after"), "utf-8")
    refused = client.post("/v1/policies/reload", headers=auth("legal"))
    assert refused.status_code == 422
    out = refused.json()
    assert out["code"] == "invalid_rules"
    assert out["message"] == "worked examples of the rule files fail; nothing was published"
    named = {(e["file"], e["example"]) for e in out["errors"]}
    assert ("online-retailer-returns-2026.policy", "a jacket returned on day 45") in named
    failing = next(e for e in out["errors"] if e["example"] == "a jacket returned on day 45")
    assert failing["line"] > 0
    assert failing["failures"]
    still = decide(client, returned_on_day_39("2026-03-01")).json()
    assert still["policy"]["hash"] == before["policy"]["hash"]


def test_a_reload_with_overlapping_versions_is_refused(
    client: TestClient, settings: Settings
) -> None:
    path = settings.rules_dir / "online-retailer-returns.policy"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("until 2026-02-28", "until 2026-03-31"), "utf-8")
    refused = client.post("/v1/policies/reload", headers=auth("legal"))
    assert refused.status_code == 422
    out = refused.json()
    assert out["code"] == "invalid_rules"
    later = (settings.rules_dir / "online-retailer-returns-2026.policy").read_text("utf-8")
    effective = later.splitlines().index("  effective 2026-03-01") + 1
    assert [(e["code"], e["file"], e["start"]["line"]) for e in out["errors"]] == [
        ("PC411", "online-retailer-returns-2026.policy", effective)
    ]
    assert "until 2026-02-28" in out["errors"][0]["help"]
