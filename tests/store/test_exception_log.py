"""The exception log over a real SQLite file and, when POLICYCHECK_TEST_PG is set, a fresh
PostgreSQL schema: who may grant what (policycheck.review.exceptions), one active exception per
decision, reviews, listings, the hash chain, its triggers, tampering, and concurrent processes."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import re
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy.exc import DBAPIError

import policycheck
from policycheck import load_policy
from policycheck.review.exceptions import (
    MAX_JUSTIFICATION,
    REASON_CODES,
    REMEDY_KINDS,
    ExceptionInputError,
    ExceptionRequest,
    Grant,
    GrantRefusedError,
    Status,
    grant_status,
    validate_request,
)
from policycheck.review.log import (
    GENESIS,
    ExceptionConflictError,
    ExceptionFilter,
    ExceptionLog,
    UnknownExceptionError,
    entry_hash,
)
from policycheck.service.keys import ApiKey, digest
from policycheck.store import DecisionRecord, Store
from policycheck.store.records import decision_record
from policycheck.store.seal import parse_seal_keys
from policycheck.store.tables import exception_log
from tests.store.test_store import pg_url, store, store_url  # noqa: F401  (fixtures)
from tests.tomtom_requests import (
    LAST_DAY,
    LATE_AND_USED,
    MAP_DOWNLOADED,
    ONE_DAY_LATE,
    USE_UNKNOWN,
)

ROOT = Path(__file__).resolve().parents[2]
TOMTOM = load_policy(ROOT / "rules" / "tomtom-fr-2012.policy")
SUBSCRIPTION = load_policy(ROOT / "rules" / "subscription-cancellation.policy")
TODAY = datetime.now(UTC).date()


def key(role: str, name: str | None = None) -> ApiKey:
    return ApiKey(role, digest(name or f"test-{role}-key"))


AGENT, OTHER_AGENT = key("agent"), key("agent", "another-agent-key")
SUPERVISOR, ADMIN = key("supervisor"), key("admin")


def decide(facts: Mapping[str, Any], policy: Any = TOMTOM, by: ApiKey = AGENT) -> DecisionRecord:
    """A decision record as the API logs it: the real evaluation, personal facts masked."""
    decision = policy.evaluate(facts, None)
    decision.decision_id = uuid.uuid4().hex
    out = decision.to_dict()
    personal = policy.compiled.personal
    return decision_record(decision, out, dict(facts), by.key_id, personal, datetime.now(UTC))


JUSTIFICATION = "The customer ordered the wrong device and called one day late."


def request(**changes: Any) -> ExceptionRequest:
    fields: dict[str, Any] = {
        "granted_outcome": "allow",
        "remedy": {"kind": "refund"},
        "reason_code": "customer_error",
        "justification": JUSTIFICATION,
        "follow_up_on": None,
        "suggestion": "Count 15 ouvrables for orders placed before a public holiday",
        **changes,
    }
    return validate_request(fields, REASON_CODES, TODAY)


@pytest.fixture
def log(store: Store) -> ExceptionLog:  # noqa: F811
    return ExceptionLog(store)


def grant_on(
    log: ExceptionLog, facts: Mapping[str, Any], by: ApiKey = AGENT, **changes: Any
) -> Any:
    """Decide `facts`, log the decision, grant an exception on it as `by`."""
    record = decide(facts, by=by)
    log.store.log_decision(record)
    return log.grant(record, request(**changes), grant_status(record.decision, by.role), by)


# -- grant_status: rigidity and discretion level decide -----------------------------------------


@pytest.mark.parametrize(
    ("facts", "role", "status", "beyond"),
    [
        (ONE_DAY_LATE, "agent", Status.GRANTED, False),
        (ONE_DAY_LATE, "supervisor", Status.GRANTED, False),
        (ONE_DAY_LATE, "admin", Status.GRANTED, False),
        (MAP_DOWNLOADED, "agent", Status.PENDING, False),
        (MAP_DOWNLOADED, "supervisor", Status.GRANTED, False),
        (MAP_DOWNLOADED, "admin", Status.GRANTED, False),
        (LATE_AND_USED, "supervisor", Status.GRANTED, True),
        (LATE_AND_USED, "admin", Status.GRANTED, True),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_grant_status_follows_rigidity_and_level(
    facts: dict[str, Any], role: str, status: Status, beyond: bool
) -> None:
    decision = decide(facts).decision
    assert decision["outcome"] == "refuse"
    assert grant_status(decision, role) == Grant(status, beyond_discretion=beyond)


def test_the_cases_are_what_the_rule_file_says() -> None:
    # the premises of the table above, from the real evaluation
    late, downloaded, firm = (
        decide(f).decision for f in (ONE_DAY_LATE, MAP_DOWNLOADED, LATE_AND_USED)
    )
    assert (late["rigid"], late["discretion"]["level"], late["clause"]["id"]) == (
        True,
        "agent",
        "a",
    )
    assert (downloaded["rigid"], downloaded["discretion"]["level"]) == (True, "supervisor")
    assert downloaded["clause"]["id"] == "b"
    assert (firm["rigid"], firm["clause"]["id"]) == (False, "a")


def test_an_agent_cannot_except_a_firm_refusal() -> None:
    with pytest.raises(GrantRefusedError) as refused:
        grant_status(decide(LATE_AND_USED).decision, "agent")
    assert (refused.value.status, refused.value.code) == (403, "supervisor_required")


@pytest.mark.parametrize("facts", [LAST_DAY, USE_UNKNOWN], ids=["allow", "needs_info"])
@pytest.mark.parametrize("role", ["agent", "supervisor", "admin"])
def test_what_is_not_a_refusal_cannot_be_excepted(facts: dict[str, Any], role: str) -> None:
    decision = decide(facts).decision
    assert decision["outcome"] in ("allow", "needs_info")
    with pytest.raises(GrantRefusedError) as refused:
        grant_status(decision, role)
    assert (refused.value.status, refused.value.code) == (409, "not_refused")


# -- validate_request ----------------------------------------------------------------------------


def test_a_valid_request_is_kept_stripped() -> None:
    got = request(
        granted_outcome="partial",
        remedy={"kind": "partial_refund", "amount": 49.5},
        justification="   The carrier lost the parcel for a week, so the customer was late.  ",
        follow_up_on=TODAY,
        suggestion="   ",
    )
    assert got == ExceptionRequest(
        granted_outcome="partial",
        remedy_kind="partial_refund",
        amount=49.5,
        reason_code="customer_error",
        justification="The carrier lost the parcel for a week, so the customer was late.",
        follow_up_on=TODAY,
        suggestion=None,
    )


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ExceptionInputError) as invalid:
        request(
            granted_outcome="refuse",
            remedy={"kind": "partial_refund"},
            reason_code="because",
            justification="too short",
            follow_up_on=TODAY - timedelta(days=1),
            suggestion="x" * 2001,
        )
    fields = [problem["field"] for problem in invalid.value.problems]
    assert sorted(fields) == sorted(
        [
            "granted_outcome",
            "remedy.amount",
            "reason_code",
            "justification",
            "follow_up_on",
            "suggestion",
        ]
    )
    reason = next(p for p in invalid.value.problems if p["field"] == "reason_code")
    assert all(code in reason["message"] for code in REASON_CODES)  # says what is accepted


@pytest.mark.parametrize(
    "justification",
    [
        "",
        "      \n\t   ",
        "customer_error",
        "  CUSTOMER ERROR!!! ...  ........ ",
        "The customer made an honest mistake.",  # the reason's label
        "short but honest",
        "x" * (MAX_JUSTIFICATION + 1),
    ],
    ids=["empty", "blank", "code", "code-shouted", "label", "short", "too-long"],
)
def test_justifications_that_do_not_justify(justification: str) -> None:
    with pytest.raises(ExceptionInputError) as invalid:
        request(justification=justification)
    assert [p["field"] for p in invalid.value.problems] == ["justification"]


@pytest.mark.parametrize(
    ("remedy", "fields"),
    [
        ({"kind": "refund", "amount": 0}, ["remedy.amount"]),
        ({"kind": "store_credit", "amount": -5}, ["remedy.amount"]),
        ({"kind": "partial_refund", "amount": None}, ["remedy.amount"]),
        ({"kind": "partial_refund", "amount": math.inf}, ["remedy.amount"]),
        ({"kind": "partial_refund", "amount": math.nan}, ["remedy.amount"]),
        ({"kind": "cash"}, ["remedy.kind"]),
        ({}, ["remedy.kind"]),
    ],
)
def test_remedy_problems(remedy: dict[str, Any], fields: list[str]) -> None:
    with pytest.raises(ExceptionInputError) as invalid:
        request(remedy=remedy)
    assert [p["field"] for p in invalid.value.problems] == fields


def test_configured_reason_codes_replace_the_defaults() -> None:
    codes = {"late_carrier": "the carrier was late"}
    fields = {
        "granted_outcome": "allow",
        "remedy": {"kind": "exchange"},
        "reason_code": "late_carrier",
        "justification": "Colissimo held the parcel for nine days at the depot.",
    }
    assert validate_request(fields, codes, TODAY).reason_code == "late_carrier"
    with pytest.raises(ExceptionInputError):
        validate_request({**fields, "reason_code": "goodwill"}, codes, TODAY)


def around(size: int) -> st.SearchStrategy[str]:
    """Text of about `size` characters (a limit), built without drawing each character."""
    return st.builds(lambda c, n: c * n, st.characters(), st.integers(size - 10, size + 10))


OPTIONAL_TEXT = st.none() | st.text(max_size=60) | around(2000)
AMOUNTS = (
    st.none()
    | st.integers(-10, 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([math.inf, -math.inf, math.nan])
)
DAYS = st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))


@given(
    granted=st.sampled_from(["allow", "partial"]) | st.text(max_size=12),
    kind=st.sampled_from(REMEDY_KINDS) | st.text(max_size=15),
    amount=AMOUNTS,
    reason=st.sampled_from(sorted(REASON_CODES)) | st.text(max_size=20),
    justification=st.just(JUSTIFICATION) | st.text(max_size=80) | around(MAX_JUSTIFICATION),
    follow_up=DAYS,
    suggestion=OPTIONAL_TEXT,
)
def test_validate_request_only_ever_raises_its_input_error(
    granted: str,
    kind: str,
    amount: float | None,
    reason: str,
    justification: str,
    follow_up: date | None,
    suggestion: str | None,
) -> None:
    fields = {
        "granted_outcome": granted,
        "remedy": {"kind": kind, "amount": amount},
        "reason_code": reason,
        "justification": justification,
        "follow_up_on": follow_up,
        "suggestion": suggestion,
    }
    problems: list[dict[str, str]] | None = None
    try:
        got = validate_request(fields, REASON_CODES, TODAY)
    except ExceptionInputError as invalid:
        problems = invalid.problems
    if problems is not None:
        assert problems
        assert all(set(p) == {"field", "message"} and p["message"] for p in problems)
    else:
        assert got.granted_outcome == granted
        assert got.remedy_kind == kind
        assert got.amount is None or 0 < got.amount < math.inf
        assert 20 <= len(got.justification) <= MAX_JUSTIFICATION


@given(amount=AMOUNTS, kind=st.sampled_from(REMEDY_KINDS))
def test_an_amount_is_accepted_when_it_is_a_finite_number_above_zero(
    amount: float | None, kind: str
) -> None:
    fields = {
        "granted_outcome": "partial",
        "remedy": {"kind": kind, "amount": amount},
        "reason_code": "goodwill",
        "justification": JUSTIFICATION,
    }
    acceptable = (amount is None and kind != "partial_refund") or (
        amount is not None and 0 < amount < math.inf
    )
    problems: list[dict[str, str]] = []
    try:
        got = validate_request(fields, REASON_CODES, TODAY)
    except ExceptionInputError as invalid:
        problems = invalid.problems
    if acceptable:
        assert problems == []
        assert got.amount == amount
    else:
        assert [p["field"] for p in problems] == ["remedy.amount"]


def _words(text: str) -> str:
    """Lowercase, every run of other characters than a-z and 0-9 as one space."""
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


@given(
    justification=st.text(min_size=20, max_size=300),
    reason=st.sampled_from(sorted(REASON_CODES)),
)
def test_every_justification_of_twenty_characters_that_is_not_the_reason_is_accepted(
    justification: str, reason: str
) -> None:
    text = justification.strip()
    assume(len(text) >= 20)
    assume(_words(text) not in {_words(reason), _words(REASON_CODES[reason])})
    fields = {
        "granted_outcome": "allow",
        "remedy": {"kind": "refund"},
        "reason_code": reason,
        "justification": justification,
    }
    assert validate_request(fields, REASON_CODES, TODAY).justification == text


# -- the log: grant, one active exception per decision, review ----------------------------------


def test_a_grant_is_one_entry_read_back_whole(log: ExceptionLog) -> None:
    granted = grant_on(log, ONE_DAY_LATE, follow_up_on=TODAY + timedelta(days=3))
    assert granted.status is Status.GRANTED
    assert granted.seq == 1
    assert (granted.granted_by, granted.beyond_discretion) == ((AGENT.key_id, "agent"), False)
    assert granted.policy["id"] == "tomtom-fr-2012"
    assert granted.policy["hash"] == TOMTOM.hash
    assert granted.clause == {"id": "a", "title": "Annulation du Matériel"}
    assert granted.snapshot["outcome"] == "refuse"
    assert granted.snapshot["rigid"] is True
    assert granted.snapshot["deadline"] == "2012-04-21"
    assert granted.snapshot["facts"] == ONE_DAY_LATE
    assert granted.created_at.tzinfo is UTC
    assert log.get(granted.id) == granted
    out = granted.to_dict()
    assert out["id"] == granted.id
    assert out["status"] == "granted"
    assert out["remedy"] == {"kind": "refund", "amount": None}
    assert out["follow_up_on"] == (TODAY + timedelta(days=3)).isoformat()
    assert [item["status"] for item in out["history"]] == ["granted"]
    assert "snapshot" in out
    assert "snapshot" not in granted.to_dict(snapshot=False)
    assert log.count() == 1
    assert log.get(uuid.uuid4().hex) is None


def test_personal_facts_stay_masked_in_the_snapshot(log: ExceptionLog) -> None:
    facts = {
        "request": {"kind": "refund", "date": "2025-03-12"},
        "subscriber": {"consumer": True, "postcode": "75011"},
        "subscription": {"first": False},
        "contract": {"concluded": "2024-06-01"},
        "billing": {"period_start": "2025-03-01"},
    }
    record = decide(facts, policy=SUBSCRIPTION)
    assert (record.outcome, record.rigid) == ("refuse", True)
    log.store.log_decision(record)
    granted = log.grant(
        record, request(reason_code="goodwill"), Grant(Status.GRANTED, False), SUPERVISOR
    )
    assert granted.snapshot["facts"]["subscriber"] == {"consumer": True, "postcode": "***"}
    assert "75011" not in json.dumps(log.get(granted.id).to_dict())  # type: ignore[union-attr]


def test_a_second_exception_on_a_decision_is_refused(log: ExceptionLog) -> None:
    first = grant_on(log, ONE_DAY_LATE)
    record = log.store.get_decision(first.decision_id)
    assert record is not None
    with pytest.raises(ExceptionConflictError) as conflict:
        log.grant(record, request(reason_code="goodwill"), Grant(Status.GRANTED, False), SUPERVISOR)
    assert conflict.value.code == "exception_exists"
    assert first.id in conflict.value.message
    assert log.count() == 1


def test_a_pending_exception_is_active_an_approved_one_too(log: ExceptionLog) -> None:
    pending = grant_on(log, MAP_DOWNLOADED)
    assert pending.status is Status.PENDING
    record = log.store.get_decision(pending.decision_id)
    assert record is not None
    with pytest.raises(ExceptionConflictError, match=pending.id):
        log.grant(record, request(), Grant(Status.GRANTED, False), SUPERVISOR)
    log.review(pending.id, True, "Checked with the customer", SUPERVISOR)
    with pytest.raises(ExceptionConflictError) as conflict:
        log.grant(record, request(), Grant(Status.GRANTED, False), SUPERVISOR)
    assert conflict.value.code == "exception_exists"


def test_after_a_rejection_a_new_exception_may_be_granted(log: ExceptionLog) -> None:
    pending = grant_on(log, MAP_DOWNLOADED)
    rejected = log.review(pending.id, False, "The map was used for a month", SUPERVISOR)
    assert rejected.status is Status.REJECTED
    record = log.store.get_decision(pending.decision_id)
    assert record is not None
    again = log.grant(record, request(reason_code="goodwill"), Grant(Status.GRANTED, False), ADMIN)
    assert again.id != pending.id
    assert again.status is Status.GRANTED
    assert log.get(pending.id).status is Status.REJECTED  # type: ignore[union-attr]
    assert log.count() == 3


@pytest.mark.parametrize(("approve", "status"), [(True, Status.APPROVED), (False, Status.REJECTED)])
def test_a_supervisor_reviews_a_pending_exception(
    log: ExceptionLog, approve: bool, status: Status
) -> None:
    pending = grant_on(log, MAP_DOWNLOADED)
    reviewed = log.review(pending.id, approve, "Called the customer back", SUPERVISOR)
    assert reviewed.status is status
    assert reviewed.id == pending.id
    assert reviewed.seq == pending.seq
    assert [(h.status, h.key_id, h.role, h.note) for h in reviewed.history] == [
        (Status.PENDING, AGENT.key_id, "agent", None),
        (status, SUPERVISOR.key_id, "supervisor", "Called the customer back"),
    ]
    assert reviewed.reviewed == reviewed.history[-1]
    assert log.get(pending.id) == reviewed
    assert log.count() == 2


def test_only_a_pending_exception_can_be_reviewed(log: ExceptionLog) -> None:
    granted = grant_on(log, ONE_DAY_LATE)
    with pytest.raises(ExceptionConflictError) as conflict:
        log.review(granted.id, True, "fine", SUPERVISOR)
    assert conflict.value.code == "not_pending"
    pending = grant_on(log, MAP_DOWNLOADED)
    log.review(pending.id, True, "fine", SUPERVISOR)
    for approve in (True, False):
        with pytest.raises(ExceptionConflictError) as conflict:
            log.review(pending.id, approve, "again", ADMIN)
        assert conflict.value.code == "not_pending"
    assert log.count() == 3


def test_reviewing_an_unknown_exception(log: ExceptionLog) -> None:
    with pytest.raises(UnknownExceptionError):
        log.review(uuid.uuid4().hex, True, "fine", SUPERVISOR)
    assert log.count() == 0


# -- find: filters and newest-first keyset paging ------------------------------------------------


@pytest.fixture
def mixed(log: ExceptionLog) -> dict[str, Any]:
    """Five exceptions: two agents, two clauses, three reasons, four statuses."""
    made = {
        "late": grant_on(log, ONE_DAY_LATE),
        "late_other": grant_on(log, ONE_DAY_LATE, by=OTHER_AGENT, reason_code="goodwill"),
        "map_pending": grant_on(log, MAP_DOWNLOADED),
        "map_rejected": grant_on(log, MAP_DOWNLOADED, by=OTHER_AGENT, reason_code="misinformation"),
        "map_approved": grant_on(log, MAP_DOWNLOADED, reason_code="misinformation"),
    }
    log.review(made["map_rejected"].id, False, "no", SUPERVISOR)
    log.review(made["map_approved"].id, True, "yes", SUPERVISOR)
    return {name: record.id for name, record in made.items()}


FILTER_CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({}, ["map_approved", "map_rejected", "map_pending", "late_other", "late"]),
    (
        {"policy": "tomtom-fr-2012"},
        ["map_approved", "map_rejected", "map_pending", "late_other", "late"],
    ),
    ({"policy": "subscription-cancellation"}, []),
    ({"clause": "a"}, ["late_other", "late"]),
    ({"clause": "b"}, ["map_approved", "map_rejected", "map_pending"]),
    ({"agent": OTHER_AGENT.key_id}, ["map_rejected", "late_other"]),
    ({"reason": "misinformation"}, ["map_approved", "map_rejected"]),
    ({"status": Status.GRANTED}, ["late_other", "late"]),
    ({"status": Status.PENDING}, ["map_pending"]),
    ({"status": Status.APPROVED}, ["map_approved"]),
    ({"status": Status.REJECTED}, ["map_rejected"]),
    ({"clause": "b", "agent": AGENT.key_id, "reason": "customer_error"}, ["map_pending"]),
    ({"clause": "a", "status": Status.PENDING}, []),
]


def test_find_filters(log: ExceptionLog, mixed: dict[str, str]) -> None:
    names = {exception_id: name for name, exception_id in mixed.items()}
    for filters, expected in FILTER_CASES:  # one database for every case: each names itself
        found = [names[record.id] for record in log.find(ExceptionFilter(**filters))]
        assert found == expected, filters


def test_find_by_day_is_inclusive_of_the_creation_day(log: ExceptionLog) -> None:
    granted = grant_on(log, ONE_DAY_LATE)
    day = granted.created_at.date()
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    cases = {
        (day, day): [granted.id],
        (before, None): [granted.id],
        (None, after): [granted.id],
        (after, None): [],
        (None, before): [],
        (before, before): [],
    }
    for (since, until), expected in cases.items():
        found = log.find(ExceptionFilter(since=since, until=until))
        assert [r.id for r in found] == expected, (since, until)


def test_find_pages_newest_first_without_repeats(log: ExceptionLog) -> None:
    made = [grant_on(log, ONE_DAY_LATE).id for _ in range(7)]
    pending = grant_on(log, MAP_DOWNLOADED)
    log.review(pending.id, True, "ok", SUPERVISOR)  # a review entry is not a listed exception
    made.append(pending.id)
    seen: list[str] = []
    pages: list[int] = []
    before = None
    while True:
        page = log.find(ExceptionFilter(), before_seq=before, limit=3)
        if not page:
            break
        pages.append(len(page))
        seen += [record.id for record in page]
        assert [r.seq for r in page] == sorted((r.seq for r in page), reverse=True)
        before = page[-1].seq
    assert seen == list(reversed(made))
    assert pages == [3, 3, 2]


# -- verify: the hash chain ----------------------------------------------------------------------


def test_an_empty_log_verifies(log: ExceptionLog) -> None:
    report = log.verify()
    assert (report.ok, report.entries, report.head) == (True, 0, GENESIS)


def test_verify_counts_entries_and_gives_the_head(log: ExceptionLog) -> None:
    grant_on(log, ONE_DAY_LATE)
    pending = grant_on(log, MAP_DOWNLOADED)
    log.review(pending.id, True, "ok", SUPERVISOR)
    rows = list(log.entries())
    assert [row["seq"] for row in rows] == [1, 2, 3]
    assert rows[0]["prev_hash"] == GENESIS
    assert [row["prev_hash"] for row in rows[1:]] == [row["hash"] for row in rows[:-1]]
    report = log.verify()
    assert (report.ok, report.entries, report.head) == (True, 3, rows[-1]["hash"])
    assert (report.problem, report.bad_seq) == (None, None)


def test_the_triggers_refuse_update_delete(log: ExceptionLog) -> None:
    grant_on(log, ONE_DAY_LATE)
    grant_on(log, ONE_DAY_LATE)
    statements = [
        "UPDATE exception_log SET body = '{}' WHERE seq = 1",
        "UPDATE exception_log SET status = 'rejected'",
        "DELETE FROM exception_log WHERE seq = 2",
        "DELETE FROM exception_log",
    ]
    if log.store.engine.dialect.name == "postgresql":
        statements.append("TRUNCATE exception_log")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), log.store.engine.begin() as conn:
            conn.execute(sqlalchemy.text(statement))
    assert log.count() == 2
    assert log.verify().ok


# -- tampering: an attacker with access to the database drops the triggers ---------------------


SEAL_KEYS = parse_seal_keys("test:" + "c3" * 32)


def untriggered(target: Store) -> Any:
    """A raw DB-API connection to the store's database with the append-only triggers gone."""
    if target.engine.dialect.name == "sqlite":
        raw = sqlite3.connect(target.engine.url.database or "")
        raw.execute("DROP TRIGGER exception_log_no_update")
        raw.execute("DROP TRIGGER exception_log_no_delete")
    else:
        raw = target.engine.raw_connection()
        raw.cursor().execute("DROP TRIGGER exception_log_append_only ON exception_log")
    return raw


def tamper(target: Store, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """Run `statements` (with `?` parameters) past the triggers, as an attacker would."""
    raw: Any = untriggered(target)
    try:
        cursor = raw.cursor()
        for statement, params in statements:
            if target.engine.dialect.name == "postgresql":
                statement = statement.replace("?", "%s")
            cursor.execute(statement, params)
        raw.commit()
    finally:
        raw.close()


@pytest.fixture
def five(log: ExceptionLog) -> list[dict[str, Any]]:
    """Five entries: three grants, a pending one and its approval; the rows as written."""
    for _ in range(3):
        grant_on(log, ONE_DAY_LATE)
    pending = grant_on(log, MAP_DOWNLOADED)
    log.review(pending.id, True, "Checked with the shop", SUPERVISOR)
    rows = [dict(row) for row in log.entries()]
    assert len(rows) == 5
    assert log.verify().ok
    return rows


def test_a_recorded_head_proves_nothing_was_cut_off_the_end(
    log: ExceptionLog, five: list[dict[str, Any]]
) -> None:
    head = five[-1]["hash"]
    assert log.verify(head).ok
    assert log.verify(five[2]["hash"]).ok  # an older head is still in the chain
    assert log.verify(GENESIS).ok
    tamper(log.store, ("DELETE FROM exception_log WHERE seq >= 4", ()))
    assert log.verify().ok  # the shorter chain is consistent in itself...
    report = log.verify(head)  # ...but the head recorded earlier is gone
    assert not report.ok
    assert report.problem is not None
    assert head in report.problem
    assert report.entries == 3


def test_an_edited_body_is_named(log: ExceptionLog, five: list[dict[str, Any]]) -> None:
    body = json.loads(five[1]["body"])
    body["request"]["justification"] = "The customer is a friend of mine, let it go please."
    tamper(log.store, ("UPDATE exception_log SET body = ? WHERE seq = 2", (json.dumps(body),)))
    report = log.verify()
    assert not report.ok
    assert report.bad_seq == 2
    assert report.problem is not None
    assert report.problem.startswith(f"entry 2 (exception {five[1]['exception_id']}, granted)")
    assert "hash does not match" in report.problem
    assert (report.entries, report.head) == (1, five[0]["hash"])  # the good part before it


def test_an_edited_header_field_is_named(log: ExceptionLog, five: list[dict[str, Any]]) -> None:
    # the approval is made to look like a rejection
    tamper(log.store, ("UPDATE exception_log SET status = 'rejected' WHERE seq = 5", ()))
    report = log.verify()
    assert (report.ok, report.bad_seq) == (False, 5)
    assert report.problem is not None
    assert "hash does not match" in report.problem


def test_a_rehashed_edit_breaks_the_link_to_the_next_entry(
    log: ExceptionLog, five: list[dict[str, Any]]
) -> None:
    forged = {**five[2], "reason_code": "goodwill"}
    forged["hash"] = entry_hash(forged)
    tamper(
        log.store,
        (
            "UPDATE exception_log SET reason_code = ?, hash = ? WHERE seq = 3",
            ("goodwill", forged["hash"]),
        ),
    )
    report = log.verify()
    assert (report.ok, report.bad_seq) == (False, 4)
    assert report.problem is not None
    assert "does not follow entry 3" in report.problem


def test_a_deleted_entry_is_named(log: ExceptionLog, five: list[dict[str, Any]]) -> None:
    tamper(log.store, ("DELETE FROM exception_log WHERE seq = 3", ()))
    report = log.verify()
    assert (report.ok, report.bad_seq, report.entries) == (False, 4, 2)
    assert report.problem is not None
    assert "expected entry 3 here" in report.problem


def test_reordered_entries_are_named(log: ExceptionLog, five: list[dict[str, Any]]) -> None:
    tamper(
        log.store,
        ("UPDATE exception_log SET seq = 0 WHERE seq = 2", ()),
        ("UPDATE exception_log SET seq = 2 WHERE seq = 3", ()),
        ("UPDATE exception_log SET seq = 3 WHERE seq = 0", ()),
    )
    swapped = [row["entry_id"] for row in log.entries()]
    assert swapped == [five[n]["entry_id"] for n in (0, 2, 1, 3, 4)]
    report = log.verify()
    assert (report.ok, report.bad_seq, report.entries) == (False, 2, 1)
    assert report.problem is not None
    assert "does not follow entry 1" in report.problem


def test_an_entry_appended_by_hand_without_its_hash_is_named(
    log: ExceptionLog, five: list[dict[str, Any]]
) -> None:
    # needs no trigger dropped: INSERT is allowed; a forged entry cannot know the right hash
    row = {**five[4], "seq": 6, "entry_id": uuid.uuid4().hex, "prev_hash": five[4]["hash"]}
    row["hash"] = "sha256:" + "f" * 64
    with log.store.engine.begin() as conn:
        conn.execute(sqlalchemy.insert(exception_log), [row])
    report = log.verify()
    assert (report.ok, report.bad_seq, report.entries) == (False, 6, 5)


def test_a_time_that_is_not_a_time_is_named_without_a_crash(
    log: ExceptionLog, five: list[dict[str, Any]]
) -> None:
    # SQLite keeps any text; PostgreSQL's -infinity is a timestamptz Python cannot hold
    postgres = log.store.engine.dialect.name == "postgresql"
    garbage = "-infinity" if postgres else "2026-13-45 99:00:00"
    tamper(log.store, ("UPDATE exception_log SET created_at = ? WHERE seq = 3", (garbage,)))
    report = log.verify()
    assert (report.ok, report.bad_seq, report.entries) == (False, 3, 2)
    assert report.problem is not None
    assert report.problem.startswith(f"entry 3 (exception {five[2]['exception_id']}, granted)")
    assert f"created_at `{garbage}` is not a time" in report.problem


def test_a_forged_approval_computed_with_plain_sha256_is_named(log: ExceptionLog) -> None:
    log.store.seal = SEAL_KEYS  # as `serve` gives it: every entry sealed
    pending = grant_on(log, MAP_DOWNLOADED)
    head = log.verify(keys=SEAL_KEYS).head
    first = next(iter(log.entries()))
    forged = {**first, "seq": 2, "entry_id": uuid.uuid4().hex, "kind": "approved"}
    forged.update(status="approved", prev_hash=head, body=json.dumps({"note": "fine"}), seal=None)
    forged["hash"] = entry_hash(forged)  # everything an attacker with the database can do
    with log.store.engine.begin() as conn:
        conn.execute(sqlalchemy.insert(exception_log), [forged])
    assert log.get(pending.id).status is Status.APPROVED  # type: ignore[union-attr]
    assert log.verify(head).ok  # the chain alone, even with the recorded head, is fooled
    report = log.verify(head, keys=SEAL_KEYS)
    assert (report.ok, report.bad_seq, report.entries) == (False, 2, 1)
    assert report.problem == (
        f"entry 2 (exception {pending.id}, approved): not sealed (appended without the seal key?)"
    )


# -- concurrent processes ------------------------------------------------------------------------

GRANTER = """
import json, sys, uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from policycheck.review.exceptions import REASON_CODES, grant_status, validate_request
from policycheck.service.keys import ApiKey, digest
from policycheck.store import DecisionRecord, Store, StoreError
from policycheck.review.log import ExceptionConflictError, ExceptionLog

url, name, count, decision_id = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
store = Store(url)
log = ExceptionLog(store)
actor = ApiKey("agent", digest(name))
request = validate_request(
    {"granted_outcome": "allow", "remedy": {"kind": "refund"}, "reason_code": "goodwill",
     "justification": f"Granted by {name}: the customer was one working day late."},
    REASON_CODES, datetime.now(UTC).date())
template = json.loads(sys.stdin.readline())

def record():
    if decision_id != "-":
        return store.get_decision(decision_id)
    made = DecisionRecord(**{**template, "id": uuid.uuid4().hex, "created_at": datetime.now(UTC),
                             "agent_key_id": actor.key_id})
    store.log_decision(made)
    return made

def one(_):
    decision = record()
    try:
        starts = grant_status(decision.decision, "agent")
        return ["ok", log.grant(decision, request, starts, actor).id]
    except ExceptionConflictError as conflict:
        return [conflict.code, None]
    except StoreError as failed:
        return ["store_error", str(failed)]

print("ready", flush=True)
sys.stdin.readline()
with ThreadPoolExecutor(max_workers=4) as pool:
    print(json.dumps(list(pool.map(one, range(count)))))
store.close()
"""


def run_granters(url: str, names: list[str], count: int, decision_id: str = "-") -> list[Any]:
    """Start one process per name, let them all go at once, return what each granted."""
    root = str(Path(policycheck.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root}
    template = decide(ONE_DAY_LATE)
    # the child logs decisions like this one, with its own id, time and agent
    line = json.dumps({**dataclasses.asdict(template), "created_at": None})
    children = [
        subprocess.Popen(
            [sys.executable, "-W", "error", "-c", GRANTER, url, name, str(count), decision_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name in names
    ]
    try:
        for child in children:
            assert child.stdin is not None
            child.stdin.write(line + "\n")
            child.stdin.flush()
        for child in children:  # started together; each says when it is connected
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready", child.stderr
        for child in children:  # every child is connected and waiting: go
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        results = []
        for child in children:
            stdout, stderr = child.communicate(timeout=120)
            assert child.returncode == 0, stderr
            results.append(json.loads(stdout))
        return results
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def test_processes_granting_at_once_keep_one_chain(log: ExceptionLog, store_url: str) -> None:  # noqa: F811
    names = ["granter-one", "granter-two", "granter-three"]
    results = run_granters(store_url, names, 40)
    outcomes = [outcome for result in results for outcome, _ in result]
    assert outcomes == ["ok"] * 120, [o for o in outcomes if o != "ok"][:3]
    ids = [exception_id for result in results for _, exception_id in result]
    assert len(set(ids)) == 120
    report = log.verify()
    assert (report.ok, report.entries) == (True, 120), report.problem
    rows = list(log.entries())
    assert [row["seq"] for row in rows] == list(range(1, 121))
    assert {row["exception_id"] for row in rows} == set(ids)
    assert len({row["decision_id"] for row in rows}) == 120
    by = [row["actor_key_id"] for row in rows]
    assert sorted(set(by)) == sorted(ApiKey("agent", digest(n)).key_id for n in names)
    switches = sum(1 for a, b in itertools.pairwise(by) if a != b)
    assert switches >= 2, "the processes did not write at the same time"


def test_processes_racing_on_one_decision_grant_one_exception(
    log: ExceptionLog,
    store_url: str,  # noqa: F811
) -> None:
    record = decide(ONE_DAY_LATE)
    log.store.log_decision(record)
    results = run_granters(store_url, [f"racer-{n}" for n in range(4)], 3, record.id)
    outcomes = sorted(outcome for result in results for outcome, _ in result)
    assert outcomes == ["exception_exists"] * 11 + ["ok"]
    winner = next(
        exception_id for result in results for outcome, exception_id in result if outcome == "ok"
    )
    found = log.find(ExceptionFilter())
    assert [r.id for r in found] == [winner]
    assert found[0].decision_id == record.id
    assert log.verify().ok
    assert log.count() == 1
