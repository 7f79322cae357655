"""The customer's clock over the API, with the fast path and without (tests/api/both_paths.py):
a date-time read in the zone of the delivery address, and an hour deadline as an instant."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import auth
from both_paths import BOTH_WAYS, app_client
from fastapi.testclient import TestClient

from api.settings import Settings

HOURS_POLICY = """policy express-2024 "Express — cancellation within 24 hours"
  version "2024-01"
  timezone "Europe/Paris"
  customer timezone of FR at delivery.postcode
  language en

facts
  request.kind: one of cancellation  "What does the customer ask for?"
  request.at: datetime               "When did the customer ask?"
  order.placed_at: datetime          "When was the order placed?"
  delivery.postcode: text            "What is the postcode of the delivery address?"

clause a "Cancellation"
  applies to cancellation
  allow when request.at within 24 hours after order.placed_at
"""


@pytest.fixture
def rules(rules: Path) -> Path:
    """The shipped rule files and one counted in hours."""
    (rules / "express-2024.policy").write_text(HOURS_POLICY, encoding="utf-8")
    return rules


@pytest.fixture(params=BOTH_WAYS)
def client(settings: Settings, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    yield from app_client(settings, bool(request.param))


def tomtom(request_date: str, postcode: str | None) -> dict[str, Any]:
    delivery = {"date": "2012-09-03"} | ({"postcode": postcode} if postcode else {})
    return {
        "policy": "tomtom-fr-2012",
        "facts": {
            "request": {"kind": "cancellation", "date": request_date},
            "product": {"category": "device", "used": False, "original_packaging": True},
            "delivery": delivery,
        },
    }


def decide(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/decisions", json=body, headers=auth("agent"))
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


EVENING = "2012-09-19T20:00-04:00"  # 20:00 in Guadeloupe on the last day; 02:00 next day in Paris


def test_guadeloupe_at_20h_on_the_last_day_is_in_time(client: TestClient) -> None:
    out = decide(client, tomtom(EVENING, "97110"))
    assert (out["outcome"], out["deadline"]) == ("allow", "2012-09-19")
    [condition] = [s for s in out["trace"] if s["clause"] == "a" and s["step"] == "condition"]
    assert condition["facts"]["request.date"] == "2012-09-19"  # the day on her clock


def test_the_same_instant_from_paris_is_late(client: TestClient) -> None:
    out = decide(client, tomtom(EVENING, "75011"))
    assert (out["outcome"], out["deadline"], out["rigid"]) == ("refuse", "2012-09-19", True)
    assert out["margin"] == {"value": 1, "unit": "ouvrables", "late": True}


def test_an_unknown_address_asks_for_it(client: TestClient) -> None:
    out = decide(client, tomtom(EVENING, None))
    assert (out["outcome"], out["missing_facts"]) == ("needs_info", ["delivery.postcode"])
    assert out["questions"] == ["Quel est le code postal de l'adresse de livraison ?"]
    assert "(What is the postcode of the delivery address?)" in out["explanations"]["en"]


def test_an_hour_deadline_is_an_instant_with_its_offset(client: TestClient) -> None:
    body = {
        "policy": "express-2024",
        "facts": {
            "request": {"kind": "cancellation", "at": "2024-03-31T14:00:00+02:00"},
            "order": {"placed_at": "2024-03-30T12:00:00+01:00"},
            "delivery": {"postcode": "97110"},
        },
    }
    out = decide(client, body)
    assert out["outcome"] == "refuse"
    assert out["deadline"] == "2024-03-31T07:00:00-04:00"  # 11:00 UTC, in Guadeloupe
    assert out["margin"] == {"value": 1, "unit": "hours", "late": True}
    [condition] = [step for step in out["trace"] if step["step"] == "condition"]
    assert condition["deadline"] == out["deadline"]
