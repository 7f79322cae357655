"""Signing in, keys and sessions against an attacker (issue 11, item 17): a cross-site sign-in
is refused (login CSRF), failed sign-ins and API keys are limited per client (429 with
Retry-After, logged without the key), and signing out revokes the session in every process.
The limiter's clock is injected: time advances only when a test says so."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import KEYS, auth
from fastapi.testclient import TestClient

from api import review_session
from api.app import create_app
from api.attempts import MAX_FAILURES, WINDOW, FailedAttempts
from api.settings import Settings

HERE = "http://testserver"
FACTS = {
    "request": {"kind": "cancellation", "date": "2012-03-19"},
    "product": {"category": "map"},
    "service": {"downloaded": False},
}


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(client: TestClient) -> Clock:
    """The app's failure count on a clock of the test's."""
    ticking = Clock()
    client.app.state.policycheck.attempts = FailedAttempts(now=ticking)  # type: ignore[attr-defined]
    return ticking


def sign_in(client: TestClient, key: str, **headers: str) -> Any:
    return client.post(
        "/review/sign-in",
        data={"key": key},
        headers={"Origin": HERE, **headers},
        follow_redirects=False,
    )


# -- login CSRF ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},  # a sandboxed or no-referrer page
        {"Origin": "http://testserver.evil.example"},
        {"Origin": "http://testserver:8080"},
        {"Referer": "https://evil.example/login-csrf.html"},
        {"Origin": HERE, "Sec-Fetch-Site": "cross-site"},
        {"Origin": HERE, "Sec-Fetch-Site": "same-site"},  # a sibling subdomain
        {},  # says nothing of where it comes from
    ],
)
def test_a_sign_in_from_another_site_is_refused(
    client: TestClient, headers: dict[str, str]
) -> None:
    client.headers.pop("Origin", None)
    response = client.post(
        "/review/sign-in", data={"key": KEYS["quality"]}, headers=headers, follow_redirects=False
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
    assert review_session.COOKIE not in client.cookies


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": HERE},
        {"Origin": "http://testserver:80"},
        {"Referer": f"{HERE}/review/sign-in?next=%2Freview"},  # a browser without Origin
        {"Origin": HERE, "Sec-Fetch-Site": "same-origin"},
    ],
)
def test_a_sign_in_from_the_page_itself_is_accepted(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = client.post(
        "/review/sign-in", data={"key": KEYS["quality"]}, headers=headers, follow_redirects=False
    )
    assert response.status_code == 303
    assert review_session.COOKIE in client.cookies


def test_the_page_lets_its_forms_say_where_they_come_from(client: TestClient) -> None:
    # with `Referrer-Policy: no-referrer` a browser posts the form with `Origin: null`
    form = client.get("/review/sign-in")
    assert form.headers["referrer-policy"] == "same-origin"
    assert re.findall(r'<meta name="referrer" content="([^"]*)"', form.text) == ["same-origin"]


def test_a_sign_out_from_another_site_is_refused(client: TestClient) -> None:
    assert sign_in(client, KEYS["quality"]).status_code == 303
    response = client.post(
        "/review/sign-out", headers={"Origin": "https://evil.example"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert client.get("/review", follow_redirects=False).status_code == 200


# -- sign-out revokes ----------------------------------------------------------------------------


def signed_out_token(signs_in: TestClient, signs_out: TestClient) -> str:
    signs_in.cookies.clear()
    assert sign_in(signs_in, KEYS["quality"]).status_code == 303
    token = signs_in.cookies[review_session.COOKIE]
    signs_out.cookies.clear()
    signs_out.cookies.set(review_session.COOKIE, token, path="/review")
    response = signs_out.post("/review/sign-out", headers={"Origin": HERE}, follow_redirects=False)
    assert response.status_code == 303
    return token


def page_with(client: TestClient, token: str) -> int:
    client.cookies.clear()
    response = client.get(
        "/review",
        headers={"Cookie": f"{review_session.COOKIE}={token}"},
        follow_redirects=False,
    )
    return response.status_code


def test_a_session_is_over_once_signed_out_even_with_a_copy_of_its_cookie(
    client: TestClient,
) -> None:
    token = signed_out_token(client, client)
    assert page_with(client, token) == 303  # to the sign-in form, not the page
    assert sign_in(client, KEYS["quality"]).status_code == 303  # a new session works
    assert client.get("/review", follow_redirects=False).status_code == 200


@pytest.fixture
def other_worker(settings: Settings) -> Iterator[TestClient]:
    """A second API process on the same store (what another uvicorn worker is)."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as second:
        yield second


def test_a_sign_out_holds_in_every_process(client: TestClient, other_worker: TestClient) -> None:
    other = signed_out_token(client, other_worker)  # signed in on one, out on the other
    assert page_with(client, other) == 303
    mine = signed_out_token(other_worker, client)
    assert page_with(other_worker, mine) == 303


# -- failures limited per client -----------------------------------------------------------------


def test_failed_sign_ins_are_limited_then_allowed_again(
    client: TestClient, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="policycheck.auth")
    wrong = "a-wrong-key-that-someone-guessed"
    for _ in range(MAX_FAILURES):
        assert sign_in(client, wrong).status_code == 401
        clock.now += 1
    refused = sign_in(client, KEYS["quality"])  # even the right key: guessing gains nothing
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == WINDOW - MAX_FAILURES
    assert "set-cookie" not in refused.headers
    failures = [r for r in caplog.records if r.name == "policycheck.auth"]
    assert len(failures) == MAX_FAILURES + 1  # each failure, and the refusal once
    assert all("testclient" in r.getMessage() for r in failures)
    assert not any(wrong in r.getMessage() or KEYS["quality"] in r.getMessage() for r in failures)
    clock.now += WINDOW - MAX_FAILURES  # the oldest failure leaves the window
    assert sign_in(client, KEYS["quality"]).status_code == 303


def test_failed_api_keys_are_limited_in_the_one_error_shape(
    client: TestClient, clock: Clock
) -> None:
    wrong = {"Authorization": "Bearer a-wrong-key-that-someone-guessed"}
    for _ in range(MAX_FAILURES):
        assert client.get("/v1/policies", headers=wrong).status_code == 401
    for method, path, body in (
        ("GET", "/v1/policies", None),
        ("POST", "/v1/decisions", {"policy": "tomtom-fr-2012", "facts": FACTS}),
    ):
        refused = client.request(method, path, json=body, headers=auth("agent"))
        assert refused.status_code == 429, path
        assert refused.headers["retry-after"] == str(int(WINDOW))
        error = refused.json()
        assert (error["code"], sorted(error)) == (
            "too_many_attempts",
            ["code", "errors", "message"],
        )
    assert client.get("/v1/policies", headers={}).status_code == 401  # no key: nothing guessed
    clock.now += WINDOW
    response = client.post(
        "/v1/decisions", json={"policy": "tomtom-fr-2012", "facts": FACTS}, headers=auth("agent")
    )
    assert response.status_code == 200


def test_failed_sign_ins_and_api_keys_count_together(client: TestClient, clock: Clock) -> None:
    wrong = "a-wrong-key-that-someone-guessed"
    for attempt in range(MAX_FAILURES):
        if attempt % 2:
            assert sign_in(client, wrong).status_code == 401
        else:
            headers = {"Authorization": f"Bearer {wrong}"}
            assert client.get("/v1/policies", headers=headers).status_code == 401
    assert client.get("/v1/policies", headers=auth("agent")).status_code == 429
    assert sign_in(client, KEYS["quality"]).status_code == 429


def test_one_client_s_failures_do_not_refuse_another(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app, client=("192.0.2.1", 1000)) as attacker, \
            TestClient(app, client=("192.0.2.2", 1000)) as colleague:  # fmt: skip
        wrong = {"Authorization": "Bearer a-wrong-key-that-someone-guessed"}
        for _ in range(MAX_FAILURES):
            assert attacker.get("/v1/policies", headers=wrong).status_code == 401
        assert attacker.get("/v1/policies", headers=auth("agent")).status_code == 429
        assert colleague.get("/v1/policies", headers=auth("agent")).status_code == 200


def test_the_count_forgets_old_failures_and_is_bounded() -> None:
    clock = Clock()
    attempts = FailedAttempts(limit=3, window=60, now=clock, max_clients=2)
    assert not attempts
    for _ in range(2):
        attempts.failed("a", "API key")
    clock.now += 30
    attempts.failed("a", "API key")
    assert attempts.retry_after("a") == 30  # the first failure leaves the window in 30 s
    clock.now += 30
    assert attempts.retry_after("a") is None  # two left in the window: under the limit
    attempts.failed("b", "API key")
    attempts.failed("c", "API key")  # a third client: the oldest one is forgotten
    assert attempts.retry_after("a") is None
    clock.now += 61
    assert (attempts.retry_after("b"), attempts.retry_after("c")) == (None, None)
    assert not attempts
