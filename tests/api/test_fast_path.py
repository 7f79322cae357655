"""The fast path (api.fast_path) answers as FastAPI's plain route does, byte for byte: the same
status, headers and body for the worked examples of every shipped rule file, for generated
facts of every type (valid, unknown, wrong, out of range, unknown names), and for each error
the route gives (401, 403, 404, 405, 413, 422 of each kind, 429, 500). Both apps run over the
same database; a decision's id (new on each request) is the one byte that may differ."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy
from api_support import KEYS, auth
from both_paths import EXAMPLES, POLICIES, app_client
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.attempts import FailedAttempts
from api.settings import Settings
from policycheck.language.source import Source
from policycheck.policy import Policy, load_source
from policycheck.store import Store
from policycheck.store.decision_chain import verify as verify_decisions

# number, money and datetime facts (no shipped rule file has them), a personal one
NUMBERS = """policy numbers "Numbers"
  timezone "Europe/Paris"
facts
  request.kind: one of return, refund
  order.total: number
  order.paid: money
  order.at: datetime
  customer.name: text personal
clause r "Returns"
  applies to return
  refuse when order.total > 1000 or order.paid > 500
  allow when order.at is known and customer.name is known
  otherwise refuse
"""
NUMBERS_POLICY = load_source(Source("numbers.policy", NUMBERS))
DECISION_ID = re.compile(rb'^\{"decision_id":"[0-9a-f]{32}"')
Answer = tuple[int, list[tuple[str, str]], bytes]


@pytest.fixture
def both(settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    """A client of the app with the fast path and one without, over one database."""
    (settings.rules_dir / "numbers.policy").write_text(NUMBERS, encoding="utf-8")
    fast, plain = app_client(settings, True), app_client(settings, False)
    yield next(fast), next(plain)
    for finished in (fast, plain):
        next(finished, None)


def answer(client: TestClient, path: str, headers: dict[str, str], **request: Any) -> Answer:
    """Status, headers and body, the decision id blanked (its length kept)."""
    sent = {"x-request-id": "same-request-id", **headers}
    response = client.post(path, headers=sent, follow_redirects=False, **request)
    body = DECISION_ID.sub(b'{"decision_id":"' + b"0" * 32 + b'"', response.content)
    return response.status_code, sorted(response.headers.items()), body


def same(
    both: tuple[TestClient, TestClient],
    body: bytes | Iterator[bytes],
    role: str | None = "agent",
    path: str = "/v1/decisions",
    content_type: str | None = "application/json",
    **headers: str,
) -> Answer:
    """The answer of both apps to one request, asserted the same."""
    headers = {**headers, **(auth(role) if role else {})}
    if content_type is not None:
        headers["content-type"] = content_type
    if isinstance(body, bytes):
        fast, plain = (answer(client, path, headers, content=body) for client in both)
    else:  # a generator: sent chunked, one copy for each
        chunks = list(body)
        fast, plain = (answer(client, path, headers, content=iter(chunks)) for client in both)
    assert fast == plain, (fast, plain)
    return fast


def test_the_worked_examples_are_answered_alike(both: tuple[TestClient, TestClient]) -> None:
    statuses = [same(both, json.dumps(request).encode())[0] for request in EXAMPLES]
    assert len(statuses) >= 100
    assert statuses.count(200) >= 100  # decisions, not errors, compared


def _value(kind: str, values: tuple[str, ...]) -> st.SearchStrategy[Any]:
    numbers = st.one_of(
        st.integers(-(10**6), 10**6),
        st.floats(allow_nan=False, allow_infinity=False),
        st.decimals(allow_nan=False, allow_infinity=False).map(str),
        st.integers(),  # past 64 bits too
    )
    day = st.dates(date(1880, 1, 1), date(2220, 12, 31))  # past 1900-2199 too
    moment = st.datetimes(timezones=st.timezones()).map(lambda t: t.isoformat())
    valid: dict[str, st.SearchStrategy[Any]] = {
        "enum": st.sampled_from(values) if values else st.text(),
        "date": st.one_of(day.map(lambda d: d.isoformat()), moment),
        "datetime": moment,
        "bool": st.booleans(),
        "number": numbers,
        "money": numbers,
        "text": st.text(max_size=20),
    }
    wrong = st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.lists(st.none()))
    return st.one_of(valid[kind], valid[kind], valid[kind], st.none(), wrong)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    """A request to decide under one of the policies, with facts of every kind."""
    policy: Policy = draw(
        st.sampled_from([*POLICIES, load_source(Source("numbers.policy", NUMBERS))])
    )
    facts: dict[str, Any] = {}
    for name, declared in policy.compiled.schema.declared.items():
        if draw(st.booleans()):
            *sections, leaf = name.split(".")
            branch = facts
            for section in sections:
                branch = branch.setdefault(section, {})
            branch[leaf] = draw(_value(declared.type.kind, declared.type.values))
    if draw(st.integers(0, 9)) == 0:  # a fact the policy does not declare
        facts.setdefault("request", {})[draw(st.text(min_size=1, max_size=8))] = 1
    request: dict[str, Any] = {"policy": policy.id, "facts": facts}
    clauses = list(policy.compiled.by_id) or ["z"]
    if draw(st.booleans()):
        outcome = draw(st.sampled_from(["allow", "refuse"]))
        request["proposed"] = {"outcome": outcome, "clause": draw(st.sampled_from(clauses))}
    return request


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(request=requests())
def test_generated_facts_are_answered_alike(
    both: tuple[TestClient, TestClient], request: dict[str, Any]
) -> None:
    status, _, body = same(both, json.dumps(request).encode())
    assert status in (200, 422), body
    if status == 422:
        assert json.loads(body)["code"] in ("invalid_facts", "no_version_in_force", "invalid_body")


@pytest.mark.parametrize(
    ("total", "status", "logged"),
    [
        (2**64, 200, b'"order.total":1.8446744073709552e+19'),
        ("1e30", 200, b'"order.total":1e+30'),
        (-(2**63), 200, b'"order.total":-9223372036854775808'),
        ("1e400", 422, b"too large"),
        ("-1e999999", 422, b"too large"),
    ],
)
def test_numbers_past_64_bits_are_decided_or_refused_never_500(
    both: tuple[TestClient, TestClient], settings: Settings, total: Any, status: int, logged: bytes
) -> None:
    """orjson writes 64-bit integers at most: a larger integral number is written as a float;
    one beyond a float's range is refused as invalid facts, naming the fact."""
    facts = {"request": {"kind": "return"}, "order": {"total": total, "paid": 2**70}}
    answer = same(both, json.dumps({"policy": "numbers", "facts": facts}).encode())
    assert answer[0] == status, answer
    assert logged in answer[2]
    store = Store(settings.db_url)
    try:  # logged as sent, and the hash chain still verifies
        report, _ = verify_decisions(store.engine, settings.seal)
    finally:
        store.close()
    assert report.ok, report
    assert report.entries == (2 if status == 200 else 0)


VALID = json.dumps(EXAMPLES[0]).encode()
BAD_BODIES = [
    b"",
    b"{nope",
    b"\xff",
    b"[1]",
    b"null",
    b'{"policy": "tomtom-fr-2012"}',
    b'{"policy": "", "facts": {}}',
    b'{"policy": "tomtom-fr-2012", "facts": [], "extra": 1}',
    b'{"policy": "tomtom-fr-2012", "facts": {}, "proposed": {"outcome": "maybe"}}',
    b'{"policy": "tomtom-fr-2012", "facts": {"x": NaN}}',
    b'{"policy": "tomtom-fr-2012", "facts": {"a": "\\ud800"}}',
    b'{"policy": "tomtom-fr-2012", "facts": {"a": "\\ud83d\\ude00"}}',
    b'{"policy": "tomtom-fr-2012", "facts": ' + b'{"a": ' * 40 + b"1" + b"}" * 41,
    b"[" * 5_000,
    b'{"policy": "no-such-policy", "facts": {}}',
    b'{"policy": "tomtom-fr-2012", "facts": {"request": {"date": "1999-01-01"}}}',
]


@pytest.mark.parametrize("body", BAD_BODIES)
@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_bad_bodies_are_answered_alike(
    both: tuple[TestClient, TestClient], body: bytes, content_type: str | None
) -> None:
    for role in (None, "legal", "agent"):
        status, _, _ = same(both, body, role, content_type=content_type)
        assert status >= 400 or body.startswith(b'{"policy": "tomtom')


def test_keys_roles_and_paths_are_answered_alike(both: tuple[TestClient, TestClient]) -> None:
    answers = [
        same(both, VALID, None),
        same(both, VALID, None, authorization="Basic abc"),
        same(both, VALID, None, authorization=f"Bearer {KEYS['agent']}x"),
        same(both, VALID, "quality"),
        same(both, VALID, path="/v1/decisions?dry_run=1&x="),
        same(both, VALID, path="/v1/decisions?"),
        same(both, VALID, path="/v1/decisions/"),
        same(both, VALID, content_type="application/x-www-form-urlencoded"),
    ]
    assert [status for status, _, _ in answers] == [401, 401, 401, 403, 422, 200, 307, 200]
    fast, plain = both
    assert fast.get("/v1/decisions").content == plain.get("/v1/decisions").content


def test_bodies_too_large_are_answered_alike(both: tuple[TestClient, TestClient]) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"policy": "tomtom-fr-2012", "facts": {"x": "'
        yield from (b"x" * 1024 for _ in range(100))
        yield b'"}}'

    assert same(both, b" " * 100_000)[0] == 413
    assert same(both, chunks())[0] == 413
    assert same(both, chunks(), None)[0] == 401


def test_too_many_failed_keys_are_answered_alike(both: tuple[TestClient, TestClient]) -> None:
    for client in both:  # one clock for both, stopped: the same Retry-After
        client.app.state.policycheck.attempts = FailedAttempts(now=lambda: 1000.0)  # type: ignore[attr-defined]
    statuses = [same(both, VALID, None, authorization="Bearer " + "w" * 30)[0] for _ in range(10)]
    status, headers, _ = same(both, VALID)
    assert (statuses, status) == ([401] * 10, 429)
    assert ("retry-after", "300") in headers


def test_a_server_error_is_answered_alike(
    both: tuple[TestClient, TestClient], settings: Settings
) -> None:
    engine = sqlalchemy.create_engine(settings.db_url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("DROP TABLE decisions"))
    engine.dispose()
    assert same(both, VALID)[0] == 500


def test_the_numbers_policy_is_served(both: tuple[TestClient, TestClient]) -> None:
    """The generated requests under `numbers` are decided, not 404 `unknown_policy`."""
    facts = {
        "request": {"kind": "return"},
        "order": {"total": 12.5, "paid": "99.90", "at": "2024-05-01T10:00:00+02:00"},
        "customer": {"name": "Jo"},
    }
    status, _, body = same(both, json.dumps({"policy": "numbers", "facts": facts}).encode())
    assert (status, json.loads(body)["outcome"]) == (200, "allow")
    assert b'"order.total":12.5,"order.paid":99.9' in body
