"""What the API does with odd input: the last day as a period's end, lone surrogates, Unicode
digits, unknown query parameters, bodies too large or too deep, and a body without a key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy
from api_support import auth
from both_paths import BOTH_WAYS, app_client
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from tomtom_requests import MAP_DOWNLOADED

from api.errors import ApiError
from api.filters import decode_cursor, encode_cursor, parse_filters, parse_listing
from api.settings import Settings

MAP = {"policy": "tomtom-fr-2012", "facts": MAP_DOWNLOADED}
LISTINGS = ("/v1/exceptions", "/v1/exceptions/export.csv", "/v1/review/summary")
BODY_ROUTES = (
    ("/v1/decisions", "agent"),
    ("/v1/policies/check", "legal"),
    ("/v1/exceptions/e0/approve", "supervisor"),
    ("/v1/decisions/d0/exceptions", "agent"),
)


@pytest.fixture(params=BOTH_WAYS)
def fast_path(request: pytest.FixtureRequest) -> bool:
    """Served by api.fast_path, or by FastAPI as a plain route (tests/api/both_paths.py)."""
    return bool(request.param)


@pytest.fixture
def client(settings: Settings, fast_path: bool) -> Iterator[TestClient]:
    """The real app over a real database, with or without the fast path."""
    yield from app_client(settings, fast_path)


def problems(response: Any) -> tuple[int, str, list[str]]:
    out = response.json()
    return response.status_code, out["code"], [problem["field"] for problem in out["errors"]]


def decisions_logged(settings: Settings) -> int:
    engine = sqlalchemy.create_engine(settings.db_url)
    with engine.connect() as connection:
        count = connection.execute(sqlalchemy.text("SELECT count(*) FROM decisions")).scalar()
    engine.dispose()
    return int(count or 0)


# -- item 9: the last day the calendar has -----------------------------------------------------


def test_the_last_day_of_the_calendar_ends_a_period(client: TestClient) -> None:
    made = client.post("/v1/decisions", json=MAP, headers=auth("agent")).json()
    body = {
        "granted_outcome": "allow",
        "remedy": {"kind": "refund"},
        "reason_code": "goodwill",
        "justification": "The customer asked within the hour and never used the map.",
    }
    granted = client.post(
        f"/v1/decisions/{made['decision_id']}/exceptions", json=body, headers=auth("supervisor")
    )
    assert granted.status_code == 201, granted.text
    for until in ("9999-12-31", "9999-12-30"):
        listed = client.get(LISTINGS[0], params={"until": until}, headers=auth("admin"))
        assert listed.status_code == 200, listed.text
        assert [item["id"] for item in listed.json()["items"]] == [granted.json()["id"]]
        exported = client.get(LISTINGS[1], params={"until": until}, headers=auth("admin"))
        assert exported.status_code == 200
        assert len(exported.text.strip().splitlines()) == 2  # the header and the exception
        summary = client.get(LISTINGS[2], params={"until": until}, headers=auth("admin"))
        assert summary.status_code == 200
        assert summary.json()["period"]["until"] == until
    early = client.get(LISTINGS[0], params={"since": "0001-01-01", "until": "0001-01-01"})
    assert early.status_code == 401  # the key first


def test_a_failing_export_fails_before_its_first_byte(
    client: TestClient, settings: Settings
) -> None:
    engine = sqlalchemy.create_engine(settings.db_url)
    with engine.begin() as connection:  # a store that cannot answer the export's query
        connection.execute(sqlalchemy.text("ALTER TABLE exception_log RENAME TO moved"))
    try:
        response = client.get(LISTINGS[1], headers=auth("quality"))
        assert (response.status_code, response.json()["code"]) == (500, "internal_error")
    finally:  # as it was, for the next test's database
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text("ALTER TABLE moved RENAME TO exception_log"))
        engine.dispose()


# -- item 10: text that is not text, digits that are not ASCII --------------------------------


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"delivery": {"postcode": "750\ud800"}}, "facts.delivery.postcode"),
        ({"request": {"date": "2012-03-19", "k\udc00": 1}}, "facts.request"),
        ({"product": {"category": ["map", "\udfff"]}}, "facts.product.category.1"),
    ],
)
def test_a_lone_surrogate_is_an_invalid_body_and_nothing_is_evaluated(
    client: TestClient, settings: Settings, facts: dict[str, Any], field: str
) -> None:
    body = {"policy": "tomtom-fr-2012", "facts": {"request": {"kind": "cancellation"}, **facts}}
    raw = json.dumps(body)  # ASCII: the surrogate as `\ud800`, as a client sends it
    response = client.post("/v1/decisions", content=raw, headers=auth("agent"))
    assert problems(response) == (422, "invalid_body", [field])
    assert decisions_logged(settings) == 0


def test_a_surrogate_pair_is_a_character(client: TestClient) -> None:
    body = {**MAP, "facts": {**MAP_DOWNLOADED, "delivery": {"postcode": "75😀"}}}
    response = client.post("/v1/decisions", content=json.dumps(body), headers=auth("agent"))
    assert response.status_code != 500
    assert response.json().get("code") != "invalid_body"


def test_a_lone_surrogate_in_other_bodies(client: TestClient) -> None:
    response = client.post(
        "/v1/policies/check", content='{"text": "policy x \\ud800"}', headers=auth("legal")
    )
    assert problems(response) == (422, "invalid_body", ["text"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "²"}, "limit"),
        ({"limit": "٣"}, "limit"),
        ({"limit": " 5"}, "limit"),
        ({"cursor": "c²"}, "cursor"),
        ({"cursor": "czEy²"}, "cursor"),
        ({"since": "\uff12\uff10\uff11\uff12-01-01"}, "since"),  # fullwidth digits
        ({"until": "20120101"}, "until"),
    ],
)
def test_digits_are_ascii_digits(client: TestClient, params: dict[str, str], field: str) -> None:
    response = client.get(LISTINGS[0], params=params, headers=auth("quality"))
    assert problems(response) == (422, "invalid_query", [field])


TEXT = st.text(st.characters(codec="utf-8"), max_size=30)


@given(st.dictionaries(st.sampled_from(["limit", "cursor", "since", "until", "status"]), TEXT))
def test_any_query_is_read_or_named(params: dict[str, str]) -> None:
    problems: list[dict[str, str]] = []
    try:
        parse_listing(params)
    except ApiError as error:
        problems, status = error.errors, error.status
    else:
        status = 200
    assert status in (200, 422)
    assert {problem["field"] for problem in problems} <= set(params)


@given(st.integers(min_value=0, max_value=2**62))
def test_a_cursor_gives_back_its_entry(seq: int) -> None:
    assert decode_cursor(encode_cursor(seq)) == seq


# -- item 12: unknown query parameters --------------------------------------------------------


@pytest.mark.parametrize("path", LISTINGS)
def test_an_unknown_query_parameter_is_named(client: TestClient, path: str) -> None:
    response = client.get(path, params={"stauts": "pending"}, headers=auth("admin"))
    assert problems(response) == (422, "invalid_query", ["stauts"])
    assert "since" in response.json()["errors"][0]["message"]  # what is accepted


@pytest.mark.parametrize("path", LISTINGS)
def test_a_query_parameter_given_twice_is_named(client: TestClient, path: str) -> None:
    query = "policy=tomtom-fr-2012&policy=other&since=2012-01-01"
    response = client.get(f"{path}?{query}", headers=auth("admin"))
    assert problems(response) == (422, "invalid_query", ["policy"])


def test_the_summary_names_the_lists_paging_too() -> None:
    with pytest.raises(ApiError) as refused:
        parse_filters({"policy": "x", "limit": "5"}, accepted=("policy", "since", "until"))
    assert [problem["field"] for problem in refused.value.errors] == ["limit"]


def test_deciding_takes_no_query_parameter(client: TestClient, settings: Settings) -> None:
    response = client.post("/v1/decisions?dry_run=1&x=", json=MAP, headers=auth("agent"))
    assert problems(response) == (422, "invalid_query", ["dry_run", "x"])
    assert decisions_logged(settings) == 0


# -- item 13: bodies too large, too deep, or sent without a key -------------------------------


def chunks(size: int) -> Iterator[bytes]:
    """A body without Content-Length (sent chunked)."""
    yield b'{"policy": "tomtom-fr-2012", "facts": {"x": "'
    for _ in range(size // 1024):
        yield b"x" * 1024
    yield b'"}}'


@pytest.mark.parametrize(("path", "role"), BODY_ROUTES)
def test_a_body_too_large_is_413_chunked_or_not(client: TestClient, path: str, role: str) -> None:
    for content in (chunks(100_000), b" " * 100_000):
        response = client.post(path, content=content, headers=auth(role))
        assert problems(response) == (413, "body_too_large", ["body"]), path
        assert response.headers["x-request-id"]


@pytest.mark.parametrize(("path", "role"), BODY_ROUTES)
def test_a_body_nested_too_deep_is_an_invalid_body(
    client: TestClient, path: str, role: str
) -> None:
    for depth in (40, 5_000):
        deep = '{"policy": "tomtom-fr-2012", "facts": ' + '{"a": ' * depth + "1" + "}" * depth
        response = client.post(path, content=deep + "}", headers=auth(role))
        status, code, _ = problems(response)
        assert (status, code) == (422, "invalid_body"), (path, depth)


@pytest.mark.parametrize(("path", "role"), BODY_ROUTES)
def test_without_a_key_nothing_is_read(client: TestClient, path: str, role: str) -> None:
    for content in (b"{nope", b"\xff", b"[" * 5_000, b""):
        response = client.post(path, content=content)
        assert problems(response) == (401, "unauthenticated", []), (path, content[:5])
