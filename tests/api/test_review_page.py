"""The review page over HTTP, with the real app: sign-in and its cookie, redirects, filters and
pages, an exception's detail, CSV export, and escaping of what agents wrote."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from api_support import KEYS, auth
from fastapi.testclient import TestClient

from api import review_session
from api.routes import review_page
from policycheck.service.keys import ApiKey, digest

LATE = {  # a rigid refusal: 1 jour ouvrable late in Paris, waivable by an agent
    "request": {"kind": "cancellation", "date": "2012-04-23"},
    "product": {"category": "device", "used": False, "original_packaging": True},
    "delivery": {"date": "2012-04-04", "postcode": "75011"},
}
EXCEPTION = {
    "granted_outcome": "allow",
    "remedy": {"kind": "refund"},
    "reason_code": "customer_error",
    "justification": "The customer ordered the wrong device and called one day late.",
    "suggestion": "Extend the period to 15 ouvrables",
}
SCRIPT = "<script>alert('x')</script>"


def decide(client: TestClient, request_date: str = "2012-04-23") -> str:
    """A rigid refusal, decided with the agent key; its decision id."""
    facts = {**LATE, "request": {"kind": "cancellation", "date": request_date}}
    body = {"policy": "tomtom-fr-2012", "facts": facts}
    response = client.post("/v1/decisions", json=body, headers=auth("agent"))
    assert response.status_code == 200, response.text
    decision = response.json()
    assert (decision["outcome"], decision["rigid"]) == ("refuse", True)
    return str(decision["decision_id"])


def grant(client: TestClient, request_date: str = "2012-04-23", **fields: Any) -> dict[str, Any]:
    """An agent's exception on a new rigid refusal."""
    decision_id = decide(client, request_date)
    body = {**EXCEPTION, **fields}
    response = client.post(
        f"/v1/decisions/{decision_id}/exceptions", json=body, headers=auth("agent")
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture(autouse=True)
def from_the_page(client: TestClient) -> None:
    """Post as a browser posts the page's own forms: with this site's `Origin`."""
    client.headers["Origin"] = "http://testserver"


def sign_in(client: TestClient, role: str = "quality") -> None:
    response = client.post("/review/sign-in", data={"key": KEYS[role]}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/review"


def key_of(role: str) -> ApiKey:
    return ApiKey(role, digest(KEYS[role]))


def with_cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{review_session.COOKIE}={token}"}


def listed(html: str) -> set[str]:
    """The ids of the exceptions in the page's list (not the follow-ups or other links)."""
    section = html.split('aria-labelledby="list-title"', 1)[1].split("</section>", 1)[0]
    return set(re.findall(r'href="/review/exceptions/([0-9a-f]{32})"', section))


def redirects_to_sign_in(response: Any) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith(
        "/review/sign-in"
    )


# -- signing in --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["quality", "admin"])
def test_a_quality_or_admin_key_signs_in_with_a_signed_cookie(
    client: TestClient, role: str
) -> None:
    form = client.get("/review/sign-in")
    assert form.status_code == 200
    assert '<label for="key">API key</label>' in form.text
    assert re.search(r'<input id="key" name="key" type="password"', form.text)
    response = client.post("/review/sign-in", data={"key": KEYS[role]}, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/review", "Max-Age=28800"):
        assert attribute.lower() in cookie.lower(), cookie
    token = client.cookies[review_session.COOKIE]
    key_id, expiry, session, mac = token.split(".")
    assert key_id == key_of(role).key_id
    assert abs(int(expiry) - (time.time() + 8 * 3600)) < 60
    assert re.fullmatch(r"[0-9a-f]{32}", session)
    assert re.fullmatch(r"[0-9a-f]{64}", mac)
    page = client.get("/review")
    assert page.status_code == 200
    assert f'Signed in as <span class="mono">{key_id}</span> ({role})' in page.text


@pytest.mark.parametrize("role", ["agent", "supervisor", "legal"])
def test_other_roles_get_403_and_no_cookie(client: TestClient, role: str) -> None:
    response = client.post("/review/sign-in", data={"key": KEYS[role]}, follow_redirects=False)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
    assert f"role <strong>{role}</strong>" in response.text
    assert redirects_to_sign_in(client.get("/review", follow_redirects=False))


@pytest.mark.parametrize("presented", ["not-a-key", "", "   "])
def test_an_unknown_or_empty_key_gets_401_with_the_form(client: TestClient, presented: str) -> None:
    response = client.post("/review/sign-in", data={"key": presented}, follow_redirects=False)
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert '<label for="key">API key</label>' in response.text
    assert 'role="alert"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_without_a_session_every_page_redirects_to_sign_in_and_back(client: TestClient) -> None:
    exception_id = "0" * 32
    for path in ("/review", f"/review/exceptions/{exception_id}", "/review/export.csv"):
        response = client.get(path + "?reason=goodwill", follow_redirects=False)
        assert redirects_to_sign_in(response), (path, response.status_code)
        wanted = parse_qs(urlsplit(response.headers["location"]).query)["next"]
        assert wanted == [path + "?reason=goodwill"]
    response = client.post(
        "/review/sign-in",
        data={"key": KEYS["quality"], "next": "/review?reason=goodwill"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/review?reason=goodwill"


@pytest.mark.parametrize("target", ["//evil.example/review", "https://evil.example", "/v1/x"])
def test_sign_in_never_redirects_off_the_review_page(client: TestClient, target: str) -> None:
    response = client.post(
        "/review/sign-in", data={"key": KEYS["quality"], "next": target}, follow_redirects=False
    )
    assert response.headers["location"] == "/review"


def test_tampered_expired_and_foreign_cookies_are_refused(client: TestClient) -> None:
    quality = key_of("quality")
    secret = client.app.state.policycheck.session_secret
    assert len(secret) == 32

    def issue(key: ApiKey, **when: float) -> str:
        return review_session.issue(key, secret, **when)

    good = issue(quality)
    key_id, expiry, session, mac = good.split(".")
    flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    refused = {
        "tampered signature": f"{key_id}.{expiry}.{session}.{flipped}",
        "extended expiry": f"{key_id}.{int(expiry) + 3600}.{session}.{mac}",
        "another session id": f"{key_id}.{expiry}.{'0' * 32}.{mac}",
        "the old three parts": f"{key_id}.{expiry}.{mac}",
        "expired": issue(quality, now=time.time() - 8 * 3600 - 1),
        "agent key, well signed": issue(key_of("agent")),
        "key not configured": issue(ApiKey("quality", digest("gone"))),
        "signed with the key's hash alone": review_session.issue(quality, b""),
        "garbage": "abc",
        "empty parts": "...",
    }
    for what, token in refused.items():
        response = client.get("/review", headers=with_cookie(token), follow_redirects=False)
        assert redirects_to_sign_in(response), what
    assert client.get("/review", headers=with_cookie(good)).status_code == 200
    superscript = f"{key_id}.{expiry[:-1]}\u00b2.{session}.{mac}"  # a digit to isdigit()
    assert review_session.verify(superscript, [quality], secret) is None


def test_sign_out_clears_the_cookie(client: TestClient) -> None:
    sign_in(client)
    assert client.get("/review").status_code == 200
    response = client.post("/review/sign-out", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/review/sign-in"
    assert "max-age=0" in response.headers["set-cookie"].lower()
    assert review_session.COOKIE not in client.cookies
    assert redirects_to_sign_in(client.get("/review", follow_redirects=False))


# -- the page ----------------------------------------------------------------------------------


def test_the_page_shows_the_summary_chart_friction_and_exceptions(client: TestClient) -> None:
    follow_up = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    first = grant(client, follow_up_on=follow_up)
    decide(client, "2012-04-24")  # a second rigid refusal, not excepted: override rate 50%
    sign_in(client)
    page = client.get("/review")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert '<html lang="en">' in html
    assert '<a class="skip" href="#main">' in html
    assert f'href="/review/exceptions/{first["id"]}"' in html
    assert '<span class="value">2</span><span class="what">rigid refusals</span>' in html
    assert "override rate of rigid refusals" in html
    assert '<svg viewBox="0 0 720' in html
    assert 'role="img"' in html
    assert ">50%</text>" in html  # the chart's value as text...
    assert '<td class="num">50%</td>' in html  # ...and in its table
    assert "Extend the period to 15 ouvrables" in html  # the friction report
    assert follow_up in html  # follow-ups due
    assert html.count('<th scope="col"') >= 9
    for name in ("policy", "clause", "agent", "reason", "status", "since", "until"):
        assert f'<label for="f-{name}">' in html
        assert f'id="f-{name}"' in html


def test_filters_narrow_the_list_and_travel_to_the_export_link(client: TestClient) -> None:
    mistake = grant(client)
    goodwill = grant(client, "2012-04-24", reason_code="goodwill")
    sign_in(client)
    cases = {
        "reason=goodwill": {goodwill["id"]},
        "reason=customer_error": {mistake["id"]},
        "policy=tomtom-fr-2012&clause=a": {mistake["id"], goodwill["id"]},
        "clause=b": set(),
        "status=pending": set(),
        "status=granted": {mistake["id"], goodwill["id"]},
        f"agent={key_of('agent').key_id}": {mistake["id"], goodwill["id"]},
        "agent=ffffffff": set(),
        "since=2000-01-01&until=2999-12-31": {mistake["id"], goodwill["id"]},
        "since=2999-01-01": set(),
    }
    for query, wanted in cases.items():
        html = client.get(f"/review?{query}").text
        shown = listed(html)
        assert shown == wanted, query
        assert f'href="/review/export.csv?{query.replace("&", "&amp;")}"' in html, query
    html = client.get("/review?reason=goodwill&status=granted").text
    assert '<option value="goodwill" selected>' in html
    assert '<option value="granted" selected>' in html


def test_bad_filters_are_named_on_the_page(client: TestClient) -> None:
    sign_in(client)
    response = client.get("/review?since=yesterday&status=lost&until=2012-01-01")
    assert response.status_code == 422
    assert '<a href="#f-since">Since</a>: must be a date, YYYY-MM-DD' in response.text
    assert '<a href="#f-status">Status</a>: must be one of granted' in response.text
    assert '<a href="#f-until">Until</a>: is before `since`' not in response.text  # since is bad
    exported = client.get("/review/export.csv?since=yesterday", follow_redirects=False)
    assert exported.status_code == 303


def test_pages_follow_the_cursor(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review_page, "PAGE_SIZE", 1)
    older = grant(client)
    newer = grant(client, "2012-04-24")
    sign_in(client)
    first = client.get("/review?reason=customer_error").text
    assert listed(first) == {newer["id"]}
    next_url = re.search(r'href="(/review\?[^"]*cursor=[^"]*)" rel="next"', first)
    assert next_url is not None
    second = client.get(next_url.group(1).replace("&amp;", "&")).text
    assert listed(second) == {older["id"]}
    assert 'rel="next"' not in second
    assert 'href="/review?reason=customer_error">First page</a>' in second


def test_an_exception_shows_its_justification_snapshot_and_history(client: TestClient) -> None:
    granted = grant(client)
    sign_in(client)
    page = client.get(f"/review/exceptions/{granted['id']}")
    assert page.status_code == 200
    html = page.text
    assert EXCEPTION["justification"] in html
    assert "The decision, as it was made" in html
    assert "refuse (rigid refusal)" in html
    assert "a — Annulation du Matériel" in html
    assert "late by 1 ouvrables" in html or "late by 1 jour" in html
    for explanation in granted["snapshot"]["explanations"].values():  # English and French
        assert explanation in unescape(html)
    assert '<th scope="row" class="mono">delivery.postcode</th>' in html
    assert '<span class="badge granted">granted</span>' in html
    assert granted["snapshot"]["policy"]["hash"] in html


def test_an_unknown_exception_is_a_404_page(client: TestClient) -> None:
    sign_in(client)
    for exception_id in ("0" * 32, "not-an-id"):
        response = client.get(f"/review/exceptions/{exception_id}")
        assert response.status_code == 404
        assert "No such exception" in response.text


def test_what_agents_wrote_is_escaped(client: TestClient) -> None:
    granted = grant(
        client,
        justification=f"Customer pasted {SCRIPT} into the form; one day late.",
        suggestion=f"Strip {SCRIPT} from forms",
    )
    sign_in(client)
    for path in ("/review", f"/review/exceptions/{granted['id']}"):
        html = client.get(path).text
        assert "<script" not in html, path
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html, path


def test_the_export_is_the_json_routes_csv(client: TestClient) -> None:
    mistake = grant(client)
    goodwill = grant(client, "2012-04-24", reason_code="goodwill")
    sign_in(client)
    response = client.get("/review/export.csv?reason=goodwill")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="exceptions.csv"'
    lines = response.text.splitlines()
    assert lines[0].startswith("id,status,created_at,decision_id,policy_id,")
    assert goodwill["id"] in response.text
    assert mistake["id"] not in response.text
    same = client.get("/v1/exceptions/export.csv?reason=goodwill", headers=auth("quality"))
    assert same.status_code == 200
    assert same.text == response.text
