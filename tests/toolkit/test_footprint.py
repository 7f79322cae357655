"""The replay's one shortcut (policycheck.toolkit.footprint): which clauses an amendment rewrote,
and the answers of the replay with it, checked against evaluating both versions every time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.language.source import Source
from policycheck.policy import Policy, laws_among, load_source
from policycheck.toolkit.footprint import rewritten
from policycheck.toolkit.replay import Replayer
from tests.toolkit.replay_log import LAW_FILE, TOMTOM_FILE, tomtom_requests

TEXT = TOMTOM_FILE.read_text(encoding="utf-8")
LAWS = laws_among([Source.read(LAW_FILE)])
OLD = load_source(Source(str(TOMTOM_FILE), TEXT), LAWS)
AMENDMENTS = {
    "15 jours ouvrables": [("within 14 ouvrables", "within 15 ouvrables")],
    "a supervisor waives clause a": [("discretion agent when", "discretion supervisor when")],
    "an agent waives clause b": [("  discretion supervisor\n", "  discretion agent\n")],
    "a new version, 15 jours": [
        ('version "2012-06"', 'version "2013-01"'),
        ("effective 2012-01-01 until 2014-06-13", "effective 2013-01-01"),
        ("within 14 ouvrables", "within 15 ouvrables"),
    ],
    "clause a's text moved down a line": [
        ("clause a ", "# a comment that moves every line below it\nclause a "),
        ("within 14 ouvrables", "within 15 ouvrables"),
    ],
    "a holiday calendar of another country": [("public holidays of FR", "public holidays of BE")],
    "clause a for returns too": [
        ("applies to cancellation of hardware", "applies to cancellation or return of hardware")
    ],
}


def amended(name: str) -> Policy:
    text = TEXT
    for old, new in AMENDMENTS[name]:
        assert old in text, old
        text = text.replace(old, new, 1)
    return load_source(Source(f"{name}.policy", text), LAWS)


@pytest.mark.parametrize(
    ("name", "clauses"),
    [
        ("15 jours ouvrables", {"a"}),
        ("a supervisor waives clause a", {"a"}),
        ("an agent waives clause b", {"b"}),
        ("a new version, 15 jours", {"a"}),  # the version's name and period no answer reads
        ("clause a's text moved down a line", {"a"}),  # spans aside
        ("a holiday calendar of another country", None),  # every clause counts on it
        ("clause a for returns too", None),  # a scope rewritten: no shortcut
    ],
)
def test_the_clauses_an_amendment_rewrote(name: str, clauses: set[str] | None) -> None:
    found = rewritten(OLD, amended(name))
    assert found == (None if clauses is None else frozenset(clauses))


def test_a_version_against_itself_rewrote_nothing() -> None:
    assert rewritten(OLD, OLD) == frozenset()


REQUESTS = tomtom_requests(300, seed=8)


@st.composite
def logged(draw: st.DrawFn) -> str:
    """A logged request's facts as JSON text, sometimes asked at a time of day."""
    facts: dict[str, Any] = json.loads(json.dumps(draw(st.sampled_from(REQUESTS))))
    if draw(st.booleans()):
        facts["request"]["date"] += draw(st.sampled_from(["T09:00:00+02:00", "T23:30:00-04:00"]))
    return json.dumps(facts)


@settings(max_examples=150)
@given(st.sampled_from(sorted(AMENDMENTS)), st.lists(logged(), min_size=1, max_size=10))
def test_the_shortcut_answers_as_evaluating_both_versions(name: str, texts: list[str]) -> None:
    new = amended(name)
    fast, plain = Replayer(OLD, new), Replayer(OLD, new)
    plain.rewritten = None  # no shortcut: both versions evaluated every time
    for text in texts:
        assert fast.replayed(text) == plain.replayed(text)


class Counted(Policy):
    """A version that counts its evaluations."""

    calls = 0

    def evaluate(self, facts: Any, proposed: Any = None) -> Any:
        self.calls += 1
        return super().evaluate(facts, proposed)


def test_the_shortcut_is_taken_for_requests_out_of_the_rewritten_clauses() -> None:
    fifteen = amended("15 jours ouvrables")
    new = Counted(fifteen.compiled, fifteen.warnings, fifteen.laws)
    replayer = Replayer(OLD, new)
    service = {"request": {"kind": "cancellation", "date": "2012-03-19"},
               "product": {"category": "map"}, "service": {"downloaded": True}}  # fmt: skip
    device = {"request": {"kind": "cancellation", "date": "2012-04-23"},
              "product": {"category": "device", "used": False, "original_packaging": True},
              "delivery": {"date": "2012-04-04", "postcode": "75011"}}  # fmt: skip
    assert replayer.replayed(json.dumps(service)).status == "same"
    assert new.calls == 0  # clause a did not apply to the map: decided alike, evaluated once
    assert replayer.replayed(json.dumps(device)).status == "changed"
    assert new.calls == 1
