"""The review page in a real headless Chromium (Debian's `chromium`, driven by Playwright) against
a real uvicorn server over a SQLite file, seeded through the JSON API: sign in, filter, open an
exception, download the CSV; screenshots go to tests/browser/artifacts/.

Skipped when /usr/bin/chromium is absent, unless CI is set: then its absence fails (.ci/run
installs it)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn
from api_support import KEYS
from playwright.sync_api import Page, expect, sync_playwright

from api.app import create_app
from api.settings import Settings
from policycheck.service.keys import parse_keys

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="no /usr/bin/chromium (apt-get install chromium); required when CI is set",
)


@pytest.fixture
def base_url(rules: Path, tmp_path: Path) -> Iterator[str]:
    """A real uvicorn server of the app on a free loopback port, over a SQLite file."""
    spec = ",".join(f"{role}:{key}" for role, key in KEYS.items())
    settings = Settings(
        rules_dir=rules,
        db_url=f"sqlite:///{tmp_path / 'review.db'}",
        keys=tuple(parse_keys(spec)),
        refresh_seconds=0.0,
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", ws="none", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # waiting for readiness, not timing anything
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start in 30 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def seed(base: str) -> dict[str, dict[str, Any]]:
    """Rigid refusals decided through the JSON API, and exceptions granted on three of them."""
    soon = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    grants: dict[str, tuple[str, str, dict[str, Any]]] = {
        "mistake": ("agent", "2012-04-23", {"follow_up_on": soon}),
        "goodwill": (
            "agent",
            "2012-04-24",
            {
                "reason_code": "goodwill",
                "remedy": {"kind": "store_credit"},
                "justification": "Long-standing customer, asked two days late after a move.",
                "suggestion": "Count the period from the day the customer could collect the parcel",
            },
        ),
        "delivery": (
            "supervisor",
            "2012-04-25",
            {
                "reason_code": "delivery_problem",
                "remedy": {"kind": "partial_refund", "amount": 49.5},
                "granted_outcome": "partial",
                "justification": "Parcel left at a neighbour's; the customer found it late.",
            },
        ),
    }
    created = {}
    with httpx.Client(base_url=base, timeout=30) as http:
        for name, (role, day, fields) in grants.items():
            decision_id = _decide(http, role, day)
            body = {
                "granted_outcome": "allow",
                "remedy": {"kind": "refund"},
                "reason_code": "customer_error",
                "justification": "The customer ordered the wrong device and called one day late.",
                "suggestion": "Extend the period to 15 ouvrables",
                **fields,
            }
            response = http.post(
                f"/v1/decisions/{decision_id}/exceptions", json=body, headers=_auth(role)
            )
            assert response.status_code == 201, response.text
            created[name] = response.json()
        _decide(http, "agent", "2012-04-24")  # refused, and no exception
    return created


def _decide(http: httpx.Client, role: str, day: str) -> str:
    facts = {
        "request": {"kind": "cancellation", "date": day},
        "product": {"category": "device", "used": False, "original_packaging": True},
        "delivery": {"date": "2012-04-04", "postcode": "75011"},
    }
    body = {"policy": "tomtom-fr-2012", "facts": facts}
    response = http.post("/v1/decisions", json=body, headers=_auth(role))
    assert response.status_code == 200, response.text
    assert response.json()["rigid"] is True
    return str(response.json()["decision_id"])


def _auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


def test_a_quality_manager_reviews_exceptions_in_chromium(base_url: str) -> None:
    assert CHROMIUM.exists(), "chromium is missing: .ci/run installs it with apt-get"
    created = seed(base_url)
    ARTIFACTS.mkdir(exist_ok=True)
    off_site: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                accept_downloads=True, viewport={"width": 1360, "height": 900}
            )
            page = context.new_page()
            page.on(
                "request",
                lambda r: None if r.url.startswith(base_url) else off_site.append(r.url),
            )
            _sign_in(page, base_url)
            _overview(page, created)
            _filter_and_open(page, created)
            _download(page, created)
            context.close()
        finally:
            browser.close()
    assert off_site == [], "the page loaded something from elsewhere"


def _sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/review")
    expect(page).to_have_url(re.compile(r"/review/sign-in\?next="))
    page.get_by_label("API key").fill("wrong key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("This API key is not known.")
    page.get_by_label("API key").fill(KEYS["quality"])
    page.keyboard.press("Enter")  # the form works from the keyboard
    expect(page).to_have_url(f"{base}/review")
    expect(page.get_by_role("heading", name="Exception review", level=1)).to_be_visible()


def _overview(page: Page, created: dict[str, dict[str, Any]]) -> None:
    rows = page.locator("section[aria-labelledby=list-title] tbody tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_role("img", name=re.compile("Override rate by clause"))).to_be_visible()
    expect(page.locator(".cards")).to_contain_text("4rigid refusals")
    expect(page.locator(".cards")).to_contain_text("75%override rate")
    expect(page.get_by_role("heading", name=re.compile("Friction report"))).to_be_visible()
    expect(page.get_by_text("Count the period from the day the customer")).to_be_visible()
    shot = ARTIFACTS / "review.png"
    page.screenshot(path=shot, full_page=True)
    print(f"screenshot: {shot}")
    page.keyboard.press("Tab")  # the skip link comes first, with a visible focus ring
    focused = page.evaluate(
        "() => [document.activeElement.textContent,"
        " getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused == ["Skip to main content", "solid"]
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def _filter_and_open(page: Page, created: dict[str, dict[str, Any]]) -> None:
    goodwill = created["goodwill"]
    page.get_by_label("Reason", exact=True).select_option("goodwill")
    page.get_by_label("Clause", exact=True).fill("a")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"clause=a.*reason=goodwill"))
    rows = page.locator("section[aria-labelledby=list-title] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("goodwill")
    page.get_by_role("link", name=f"Exception {goodwill['id']}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(goodwill["id"])
    expect(page.locator(".justification").first).to_have_text(goodwill["justification"])
    snapshot = page.locator("section[aria-labelledby=snap-title]")
    expect(snapshot).to_contain_text("refuse (rigid refusal)")
    expect(snapshot).to_contain_text("a — Annulation du Matériel")
    expect(snapshot).to_contain_text("2012-04-24")
    expect(snapshot).to_contain_text(goodwill["snapshot"]["policy"]["hash"])
    shot = ARTIFACTS / "review-exception.png"
    page.screenshot(path=shot, full_page=True)
    print(f"screenshot: {shot}")
    page.go_back()
    expect(rows).to_have_count(1)


def _download(page: Page, created: dict[str, dict[str, Any]]) -> None:
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename == "exceptions.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("id,status,created_at,decision_id,")
    assert len(lines) == 2
    assert created["goodwill"]["id"] in lines[1]
    assert created["mistake"]["id"] not in text


def test_another_site_cannot_sign_the_browser_in_and_signing_out_ends_the_session(
    base_url: str,
) -> None:
    """Login CSRF: a page elsewhere posts its own key to the sign-in form (refused); signing
    out, then putting the old cookie back, does not bring the session back."""
    attacker = "http://attacker.example/"
    form = (
        f'<form id="f" method="post" action="{base_url}/review/sign-in">'
        f'<input name="key" value="{KEYS["quality"]}"></form>'
        '<script>document.getElementById("f").submit()</script>'
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.route(attacker, lambda route: route.fulfill(content_type="text/html", body=form))
            page.goto(attacker)
            page.wait_for_url(f"{base_url}/review/sign-in")
            expect(page.get_by_role("alert")).to_contain_text("came from elsewhere")
            assert _session_cookies(context.cookies()) == []

            _sign_in(page, base_url)
            (session,) = _session_cookies(context.cookies())
            page.get_by_role("button", name="Sign out").click()
            expect(page).to_have_url(f"{base_url}/review/sign-in")
            assert _session_cookies(context.cookies()) == []
            context.add_cookies([session])  # a copy of the cookie, kept by someone
            page.goto(f"{base_url}/review")
            expect(page).to_have_url(re.compile(r"/review/sign-in\?next="))
        finally:
            browser.close()


def _session_cookies(cookies: Any) -> list[Any]:
    return [cookie for cookie in cookies if cookie["name"] == "policycheck_review"]
