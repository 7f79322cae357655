"""The quality summary's numbers agree with themselves: every rate (JSON and page) is the count
shown beside it over the rigid refusals shown beside it, and a supervisor's exceptions beyond the
policy's discretion are a count of their own (issue 11, item 4)."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from typing import Any

from api_support import KEYS, auth
from fastapi.testclient import TestClient

from api.review_view import percent
from tests.tomtom_requests import LATE_AND_USED, MAP_DOWNLOADED, ONE_DAY_LATE

TOMTOM = "tomtom-fr-2012"
JUSTIFICATION = "The customer ordered the wrong device and called us one working day late."


def decide(client: TestClient, facts: dict[str, Any]) -> str:
    body = {"policy": TOMTOM, "facts": facts}
    response = client.post("/v1/decisions", json=body, headers=auth("agent"))
    assert response.status_code == 200, response.text
    return str(response.json()["decision_id"])


def grant(client: TestClient, decision_id: str, role: str = "agent") -> dict[str, Any]:
    body = {
        "granted_outcome": "allow",
        "remedy": {"kind": "refund"},
        "reason_code": "exceptional_circumstances" if role == "supervisor" else "customer_error",
        "justification": JUSTIFICATION,
    }
    response = client.post(f"/v1/decisions/{decision_id}/exceptions", json=body, headers=auth(role))
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def the_issue_s_team(client: TestClient) -> dict[str, Any]:
    """Six rigid refusals under clause a, three excepted by the agent; a firm refusal excepted
    by a supervisor beyond discretion; a rigid refusal under clause b pending a supervisor."""
    rigid = [decide(client, ONE_DAY_LATE) for _ in range(6)]
    for decision_id in rigid[:3]:
        grant(client, decision_id)
    beyond = grant(client, decide(client, LATE_AND_USED), role="supervisor")
    assert beyond["beyond_discretion"] is True
    pending = grant(client, decide(client, MAP_DOWNLOADED))
    assert pending["status"] == "pending"
    return {"beyond": beyond, "pending": pending}


def summary(client: TestClient) -> dict[str, Any]:
    response = client.get("/v1/review/summary", headers=auth("quality"))
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def test_every_rate_is_its_count_over_its_rigid_refusals(client: TestClient) -> None:
    the_issue_s_team(client)
    out = summary(client)
    totals = out["totals"]
    assert (totals["rigid_refusals"], totals["exceptions_granted"]) == (7, 3)
    assert totals["beyond_discretion"] == 1
    assert totals["override_rate"] == rate(3, 7)
    # every exception in force is counted once: on a rigid refusal, or beyond discretion
    in_force = totals["granted"] + totals["approved"]
    assert totals["exceptions_granted"] + totals["beyond_discretion"] == in_force
    clauses = {row["clause"]: row for row in out["clauses"]}
    assert (clauses["a"]["rigid_refusals"], clauses["a"]["exceptions_granted"]) == (6, 3)
    assert (clauses["a"]["beyond_discretion"], clauses["a"]["override_rate"]) == (1, 0.5)
    for row in out["clauses"] + out["friction"]:
        assert row["override_rate"] == rate(row["exceptions_granted"], row["rigid_refusals"]), row
    assert sum(row["exceptions_granted"] for row in out["clauses"]) == totals["exceptions_granted"]
    assert sum(row["beyond_discretion"] for row in out["clauses"]) == totals["beyond_discretion"]
    assert sum(row["rigid_refusals"] for row in out["clauses"]) == totals["rigid_refusals"]
    team = rate(
        sum(row["exceptions"] for row in out["agents"]),
        sum(row["rigid_refusals"] for row in out["agents"]),
    )
    assert team == totals["override_rate"]
    for row in out["agents"]:
        assert row["exception_rate"] == rate(row["exceptions"], row["rigid_refusals"]), row
        assert row["team_rate"] == team, row
    assert sum(row["beyond_discretion"] for row in out["agents"]) == totals["beyond_discretion"]


def test_the_csv_counts_what_the_summary_counts(client: TestClient) -> None:
    the_issue_s_team(client)
    totals = summary(client)["totals"]
    response = client.get("/v1/exceptions/export.csv", headers=auth("quality"))
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    in_force = [row for row in rows if row["status"] in ("granted", "approved")]
    beyond = [row for row in in_force if row["beyond_discretion"] == "True"]
    assert all(row["decision_rigid"] == "False" for row in beyond)
    assert (len(in_force) - len(beyond), len(beyond)) == (
        totals["exceptions_granted"],
        totals["beyond_discretion"],
    )


def test_a_clause_overridden_only_beyond_discretion_is_in_the_friction_report(
    client: TestClient,
) -> None:
    grant(client, decide(client, LATE_AND_USED), role="supervisor")
    (row,) = summary(client)["friction"]
    assert (row["clause"], row["exceptions_granted"], row["beyond_discretion"]) == ("a", 0, 1)
    assert (row["rigid_refusals"], row["override_rate"]) == (0, None)


# -- the page ---------------------------------------------------------------------------------


def sign_in(client: TestClient) -> None:
    response = client.post(
        "/review/sign-in",
        data={"key": KEYS["quality"]},
        headers={"Origin": "http://testserver"},  # as the page's own form
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def cards(html: str) -> dict[str, str]:
    """The summary cards: what each says -> its value."""
    found = re.findall(
        r'<li class="card[^"]*"><span class="value">([^<]*)</span>'
        r'<span class="what">([^<]*)',
        html,
    )
    return {unescape(what).strip(): unescape(value) for value, what in found}


def clause_table(html: str) -> list[list[str]]:
    """The per-clause table's numbers: refusals, rigid, granted, pending, rejected, beyond, rate."""
    table = html.split("<caption>Per clause", 1)[1].split("</table>", 1)[0]
    rows = table.split("<tbody>", 1)[1].split("</tr>")[:-1]
    return [re.findall(r'<td class="num">([^<]*)</td>', row) for row in rows]


def test_the_page_shows_each_rate_beside_its_own_counts(client: TestClient) -> None:
    the_issue_s_team(client)
    expected = summary(client)["totals"]
    sign_in(client)
    html = client.get("/review").text
    shown = cards(html)
    assert shown["rigid refusals"] == str(expected["rigid_refusals"])
    assert shown["exceptions granted on them"] == str(expected["exceptions_granted"])
    rate_card = next(what for what in shown if what.startswith("override rate"))
    part, whole = map(int, re.findall(r"\((\d+) of (\d+)\)", rate_card)[0])
    assert (part, whole) == (expected["exceptions_granted"], expected["rigid_refusals"])
    assert shown[rate_card] == percent(rate(part, whole))
    beyond = next(what for what in shown if what.startswith("beyond discretion"))
    assert shown[beyond] == str(expected["beyond_discretion"])
    rows = clause_table(html)
    assert rows
    for _refusals, rigid, granted, _pending, _rejected, _beyond, shown_rate, _law in rows:
        assert shown_rate == percent(rate(int(granted), int(rigid)))
    chart = re.findall(r'<text class="value"[^>]*>([^<]*)</text>\s*<text[^>]*>(\d+) / (\d+)<', html)
    assert chart
    for shown_rate, granted, rigid in chart:
        assert shown_rate == percent(rate(int(granted), int(rigid)))


def lead(html: str) -> tuple[str, str]:
    """The exception page's opening line: its status, and its words."""
    found = re.search(r'<p class="lead" data-status="([a-z]+)">(.*?)</p>', html, re.S)
    assert found is not None
    return found.group(1), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(2))).strip()


def test_a_pending_exception_is_not_called_granted(client: TestClient) -> None:
    made = the_issue_s_team(client)
    sign_in(client)
    status, words = lead(client.get(f"/review/exceptions/{made['pending']['id']}").text)
    assert status == "pending"
    assert not words.startswith("Granted")
    assert "waiting for a supervisor" in words
    response = client.post(
        f"/v1/exceptions/{made['pending']['id']}/reject",
        json={"note": "No reason to go beyond the terms."},
        headers=auth("supervisor"),
    )
    assert response.status_code == 200, response.text
    status, words = lead(client.get(f"/review/exceptions/{made['pending']['id']}").text)
    assert (status, words.startswith("Asked for")) == ("rejected", True)
    assert "rejected" in words
    status, words = lead(client.get(f"/review/exceptions/{made['beyond']['id']}").text)
    assert (status, words.startswith("Granted")) == ("granted", True)


# A used device 5 days after delivery in Nantes: clause a refuses, the law (7 jours francs,
# L121-20) allows it and decides (rules/fr-code-consommation-2012.policy).
USED_IN_THE_FLOOR = {
    "request": {"kind": "cancellation", "date": "2012-04-08"},
    "product": {"category": "device", "used": True, "original_packaging": True},
    "delivery": {"date": "2012-04-03", "postcode": "44000"},
}


def test_refusals_the_law_overruled_are_counted_per_clause_and_come_first(
    client: TestClient,
) -> None:
    """The terms most in need of amendment: their refusals the law beneath them overruled."""
    the_issue_s_team(client)
    for _ in range(2):
        decide(client, USED_IN_THE_FLOOR)
    decide(client, LATE_AND_USED)  # refused by the terms, and by the law too: not unlawful
    out = summary(client)
    assert out["totals"]["unlawful_refusals"] == 2
    first = out["clauses"][0]
    assert (first["clause"], first["unlawful_refusals"]) == ("a", 2)
    assert [row["unlawful_refusals"] for row in out["clauses"][1:]] == [0] * (
        len(out["clauses"]) - 1
    )
    assert first["refusals"] == 8  # six near misses and two firm refusals, the law's not among them
    friction = {row["clause"]: row for row in out["friction"]}
    assert friction["a"]["unlawful_refusals"] == 2


def test_the_page_shows_the_refusals_the_law_overruled(client: TestClient) -> None:
    decide(client, USED_IN_THE_FLOOR)
    sign_in(client)
    page = unescape(client.get("/review").text)
    assert "refusals of the terms the law overruled" in page
    assert "1 refusal the law overruled" in page
