"""/docs (Swagger UI) and /redoc in a real headless Chromium with every request to another host
aborted, as on a machine without the network: the pages render from the files the app serves
(api.docs_pages), and "Authorize" then "Try it out" decide a request with the bearer key.

The server and the browser as in test_review_browser.py (Debian's chromium, never a download);
skipped when /usr/bin/chromium is absent, unless CI is set."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from api_support import KEYS
from playwright.sync_api import BrowserContext, Locator, Page, Route, expect, sync_playwright
from test_review_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from test_review_browser import base_url as base_url  # the server fixture

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="no /usr/bin/chromium (apt-get install chromium); required when CI is set",
)
WAIT_MS = 60_000  # generous: a busy 2-core machine parses megabytes of script
DECISION = {
    "policy": "tomtom-fr-2012",
    "facts": {
        "request": {"kind": "cancellation", "date": "2012-04-23"},
        "product": {"category": "device", "used": False, "original_packaging": True},
        "delivery": {"date": "2012-04-04", "postcode": "75011"},
    },
}


@dataclass
class Offline:
    """A browser context whose requests to any other origin than `base` are aborted, and
    recorded (URL and resource type)."""

    base: str
    blocked: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, route: Route) -> None:
        request = route.request
        if request.url == self.base or request.url.startswith(f"{self.base}/"):
            route.continue_()
        else:
            self.blocked.append((request.url, request.resource_type))
            route.abort("internetdisconnected")


@pytest.fixture
def offline(base_url: str) -> Iterator[tuple[BrowserContext, Offline]]:
    assert CHROMIUM.exists(), "chromium is missing: .ci/run installs it with apt-get"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1360, "height": 900})
            context.set_default_timeout(WAIT_MS)
            network = Offline(base_url)
            context.route("**/*", network)
            yield context, network
            context.close()
        finally:
            browser.close()


def test_swagger_ui_renders_offline_and_authorize_sends_the_bearer_key(
    offline: tuple[BrowserContext, Offline],
) -> None:
    context, network = offline
    page = context.new_page()
    page.goto(f"{network.base}/docs")
    decide = page.locator("#operations-decisions-decide_v1_decisions_post")
    expect(decide).to_be_visible()
    expect(decide.locator(".opblock-summary-method")).to_have_text("POST")
    expect(decide.locator(".opblock-summary-path")).to_have_text(re.compile(r"/v1/decisions$"))
    expect(page.locator(".opblock")).to_have_count(_operations(context, network.base))

    decide.locator(".opblock-summary").first.click()
    decide.get_by_role("button", name="Try it out").click()
    decide.locator("textarea.body-param__text").fill(json.dumps(DECISION))
    _execute(decide, "401")  # no key yet: the API refuses

    page.locator(".auth-wrapper").get_by_role("button", name="Authorize").click()
    dialog = page.locator(".modal-ux")
    expect(dialog).to_contain_text("bearer")  # the security scheme of the OpenAPI document
    dialog.get_by_label("auth-bearer-value").fill(KEYS["agent"])
    dialog.get_by_role("button", name="Apply credentials").click()
    expect(dialog.locator("button", has_text="Logout")).to_be_visible()
    dialog.locator("button", has_text="Close").click()
    expect(dialog).to_have_count(0)

    body = _execute(decide, "200")
    assert json.loads(body)["decision_id"]
    curl = decide.locator(".curl-command").inner_text()
    assert f"Authorization: Bearer {KEYS['agent']}" in curl
    ARTIFACTS.mkdir(exist_ok=True)
    decide.screenshot(path=ARTIFACTS / "docs.png")
    assert network.blocked == [], "Swagger UI asked for something elsewhere"


def _operations(context: BrowserContext, base: str) -> int:
    """The operations of the app's OpenAPI document, read by the browser's own request."""
    spec = context.request.get(f"{base}/openapi.json").json()
    return sum(len(path) for path in spec["paths"].values())


def _execute(operation: Locator, status: str) -> str:
    """Press Execute, wait for the live response with `status`; its body."""
    operation.get_by_role("button", name="Execute").click()
    live = operation.locator(".live-responses-table .response")
    expect(live.locator(".response-col_status")).to_have_text(status)
    return str(live.locator(".response-col_description pre").first.inner_text())


def test_redoc_renders_offline(offline: tuple[BrowserContext, Offline]) -> None:
    context, network = offline
    page: Page = context.new_page()
    page.goto(f"{network.base}/redoc")
    expect(page.get_by_role("heading", level=1)).to_contain_text("policycheck")
    operation = page.get_by_role("heading", name="Decide a request and log the decision", level=2)
    expect(operation).to_be_visible()
    expect(page.get_by_text("/v1/decisions", exact=True).first).to_be_attached()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "redoc.png")
    # ReDoc's bundle shows the "API docs by Redocly" logo from its own CDN (an image; without
    # it the link keeps its text): nothing else may come from elsewhere
    assert [kind for _, kind in network.blocked if kind != "image"] == []
