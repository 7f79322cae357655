"""The showcase's amounts through the real app, both ways (fast path and plain route): the
restocking fee and the refund, store credit without a receipt, and malformed amounts as 422s
naming the fact."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_support import auth
from both_paths import BOTH_WAYS, app_client
from fastapi.testclient import TestClient

from api.settings import Settings


@pytest.fixture(params=BOTH_WAYS)
def fast_path(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def client(settings: Settings, fast_path: bool) -> Iterator[TestClient]:
    yield from app_client(settings, fast_path)


def opened_electronics(price: Any, receipt: bool = True) -> dict[str, Any]:
    return {
        "policy": "online-retailer-returns",
        "facts": {
            "request": {"kind": "return", "date": "2025-03-20"},
            "order": {"date": "2025-02-27"},
            "delivery": {"date": "2025-03-01"},
            "product": {
                "category": "electronics",
                "opened": True,
                "final_sale": False,
                "complete": True,
                "price": price,
            },
            "receipt": {"present": receipt},
        },
    }


def usd(value: str) -> dict[str, str]:
    return {"value": value, "currency": "USD"}


def test_opened_electronics_at_199_80_refund_169_83_and_a_fee_of_29_97(client: TestClient) -> None:
    response = client.post(
        "/v1/decisions", json=opened_electronics(usd("199.80")), headers=auth("agent")
    )
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["outcome"], out["clause"]["id"]) == ("allow", "opened-electronics")
    assert out["remedy"]["kind"] == "refund"
    assert out["remedy"]["amount"] == usd("169.83")
    assert out["fees"] == [{"label": "restocking fee", "amount": usd("29.97")}]
    logged = client.get(f"/v1/decisions/{out['decision_id']}", headers=auth("agent")).json()
    assert logged["remedy"] == out["remedy"]


def test_without_a_receipt_the_credit_is_the_price_less_the_fee(client: TestClient) -> None:
    body = opened_electronics("199.80 USD", receipt=False)
    out = client.post("/v1/decisions", json=body, headers=auth("agent")).json()
    assert (out["clause"]["id"], out["remedy"]["kind"]) == ("no-receipt", "store_credit")
    assert out["remedy"]["amount"] == usd("169.83")


def test_a_refusal_has_no_remedy_and_no_fees(client: TestClient) -> None:
    body = opened_electronics(usd("199.80"))
    body["facts"]["request"]["date"] = "2025-05-20"
    out = client.post("/v1/decisions", json=body, headers=auth("agent")).json()
    assert (out["outcome"], out["remedy"], out["fees"]) == ("refuse", None, [])


@pytest.mark.parametrize(
    ("price", "code"),
    [
        ("ten", "PC502"),
        ("1e400", "PC502"),
        (usd("ten"), "PC502"),
        ({"value": "1", "currency": "ABC"}, "PC503"),
        ({"value": "199.80", "currency": "EUR"}, "PC508"),
        ({"value": "1"}, "PC502"),
    ],
)
def test_a_malformed_amount_is_a_422_naming_the_fact(
    client: TestClient, price: Any, code: str
) -> None:
    response = client.post("/v1/decisions", json=opened_electronics(price), headers=auth("agent"))
    assert response.status_code == 422, response.text
    problems = response.json()["errors"]
    assert [(p["code"], p["fact"]) for p in problems] == [(code, "product.price")]


def holiday_return(delivered: str, returned: str) -> dict[str, Any]:
    return {
        "policy": "online-retailer-returns",
        "facts": {
            "request": {"kind": "return", "date": returned},
            "order": {"date": "2025-11-15"},
            "delivery": {"date": delivered},
            "product": {"category": "general", "final_sale": False, "complete": True},
            "receipt": {"present": True},
        },
    }


def test_the_holiday_window_runs_to_31_january(client: TestClient) -> None:
    body = holiday_return("2025-11-20", "2026-01-20")
    out = client.post("/v1/decisions", json=body, headers=auth("agent")).json()
    assert (out["outcome"], out["clause"]["id"], out["deadline"]) == (
        "allow",
        "window",
        "2026-01-31",
    )
    assert out["margin"] == {"value": 11, "unit": "days", "late": False}


def test_after_the_season_30_days_and_a_near_miss(client: TestClient) -> None:
    body = holiday_return("2025-12-28", "2026-01-30")
    out = client.post("/v1/decisions", json=body, headers=auth("agent")).json()
    assert (out["outcome"], out["deadline"]) == ("refuse", "2026-01-27")
    assert out["margin"] == {"value": 3, "unit": "calendar_days", "late": True}
    assert (out["rigid"], out["discretion"]) == (True, {"level": "agent", "reason": "near_miss"})
