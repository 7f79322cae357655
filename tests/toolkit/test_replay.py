"""Replaying the decision log against two versions (policycheck.toolkit.replay), over a real
SQLite file and, when POLICYCHECK_TEST_PG is set, a fresh PostgreSQL schema: the decisions whose
outcome flips, computed here independently; masked facts; the exceptions made unnecessary;
other versions' decisions; the same tally whatever the workers and batches."""

from __future__ import annotations

import collections
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.evaluation.evaluate import laws_shared
from policycheck.language.source import Source
from policycheck.policy import Policy, laws_among, load_source
from policycheck.review.log import ExceptionLog
from policycheck.store import Store, reading
from policycheck.toolkit.replay import Replay, Replayer, replay
from policycheck.toolkit.replay_report import report
from policycheck.toolkit.tally import Tally
from tests.store.test_store import pg_url, store_url  # noqa: F401  (fixtures)
from tests.tomtom_requests import LAST_DAY, LATE_AND_USED, MAP_DOWNLOADED, ONE_DAY_LATE
from tests.toolkit.replay_log import (
    LAW_FILE,
    TOMTOM_FILE,
    grant,
    log_requests,
    tomtom_requests,
)


def variant(folder: Path, name: str, *edits: tuple[str, str]) -> Policy:
    """TomTom's rule file with `edits` made, beside the law beneath it."""
    shutil.copy(LAW_FILE, folder / LAW_FILE.name)
    text = TOMTOM_FILE.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return load_source(Source.read(path))


FIFTEEN = ("within 14 ouvrables", "within 15 ouvrables")


@pytest.fixture
def policies(tmp_path: Path) -> tuple[Policy, Policy]:
    """The rule file in force and its amendment: 15 jours ouvrables."""
    return variant(tmp_path, "tomtom-fr-2012.policy"), variant(
        tmp_path, "tomtom-15.policy", FIFTEEN
    )


@pytest.fixture
def store(store_url: str) -> Any:  # noqa: F811
    opened = Store(store_url)
    opened.migrate()
    yield opened
    opened.close()


def run(
    store: Store, old: Policy, new: Policy, workers: int = 1, batch: int = 10_000, **window: Any
) -> Tally:
    """The merged tally of a replay of the store's log, with every changed decision kept."""
    url = store.engine.url.render_as_string(hide_password=False)
    spec = Replay(url, reading.Window(old.id, **window), old.compiled.source,
                  new.compiled.source, changes=True)  # fmt: skip
    opened = reading.open_log(url)
    try:
        found = reading.extent(opened, spec.window)
    finally:
        opened.close()
    assert found is not None
    total, changes = Tally(), []
    for tally in replay(spec, found, workers, batch):
        changes += tally.changes
        total.merge(tally)
    total.changes = changes
    return total


def test_replaying_300_decisions_against_15_jours_ouvrables_reports_exactly_the_flips(
    store: Store, policies: tuple[Policy, Policy]
) -> None:
    old, new = policies
    requests = tomtom_requests(300, seed=15)
    records = log_requests(store, old, requests)
    expected: dict[str, tuple[str, str]] = {}
    for record, facts in zip(records, requests, strict=True):
        before, after = old.evaluate(facts).outcome.value, new.evaluate(facts).outcome.value
        if before != after:
            expected[record.id] = (before, after)
    assert len(expected) >= 10  # the requests reach the 15th jour ouvrable often enough

    tally = run(store, old, new)
    assert (tally.read, tally.replayed) == (300, 300)
    flipped = {c["decision_id"]: (c["old"]["outcome"], c["new"]["outcome"])
               for c in tally.changes if "outcome" in c["changed"]}  # fmt: skip
    assert flipped == expected
    by_transition = collections.Counter(expected.values())
    out = report(tally, old, new, None, None)
    assert {(o["old"], o["new"]): o["decisions"] for o in out["outcomes"]} == by_transition
    assert out["fields"]["outcome"] == len(expected)
    assert all(set(o["decision_ids"]) <= expected.keys() for o in out["outcomes"])
    # the first logged of each transition, at most 5
    for group in out["outcomes"]:
        ids = [r.id for r in records if expected.get(r.id) == (group["old"], group["new"])]
        assert group["decision_ids"] == ids[:5]
    assert out["customers"]["against"]["decisions"] == 0  # a longer period takes nothing away
    assert out["decisions"]["logged_otherwise"] == 0  # the log was made by this very text


def test_the_tally_is_the_same_whatever_the_workers_and_batches(
    tmp_path: Path, policies: tuple[Policy, Policy]
) -> None:
    old, new = policies
    store = Store(f"sqlite:///{tmp_path / 'log.db'}")
    store.migrate()
    log_requests(store, old, tomtom_requests(200, seed=7))
    store.close()
    one = run(store, old, new)
    several = run(store, old, new, workers=2, batch=30)
    assert report(several, old, new, None, None) == report(one, old, new, None, None)
    assert several.changes == one.changes  # in the log's order


def test_masked_personal_facts_are_not_replayable_never_guessed(
    store: Store, tmp_path: Path
) -> None:
    personal = ("delivery.postcode: text ", "delivery.postcode: text personal ")
    old = variant(tmp_path, "personal.policy", personal)
    new = variant(tmp_path, "personal-15.policy", personal, FIFTEEN)
    requests = tomtom_requests(60, seed=3)
    records = log_requests(store, old, requests)
    masked = [r for r in records if (r.facts.get("delivery") or {}).get("postcode") == "***"]
    assert 0 < len(masked) < len(records)
    tally = run(store, old, new)
    assert tally.counts["masked"] == len(masked)
    assert tally.replayed == len(records) - len(masked)
    assert not {c["decision_id"] for c in tally.changes} & {r.id for r in masked}


def test_exceptions_in_force_on_decisions_the_new_version_allows_are_unnecessary(
    store: Store, policies: tuple[Policy, Policy]
) -> None:
    old, new = policies
    late, late_too, rejected, map_ = log_requests(
        store, old, [ONE_DAY_LATE, ONE_DAY_LATE, ONE_DAY_LATE, MAP_DOWNLOADED]
    )
    log_requests(store, old, [LAST_DAY, LATE_AND_USED])  # no exception on these
    exceptions = ExceptionLog(store)
    granted = grant(exceptions, late)  # an agent's own: in force
    grant(exceptions, late_too)
    grant(exceptions, rejected)  # a second exception on the same request, another decision
    assert new.evaluate(ONE_DAY_LATE).outcome.value == "allow"
    assert new.evaluate(MAP_DOWNLOADED).outcome.value == "refuse"
    approved = grant(exceptions, map_, approve=True)  # a supervisor's: in force, still needed
    out = report(run(store, old, new), old, new, None, None)
    assert out["exceptions"]["in_force"] == 4
    assert out["exceptions"]["unnecessary"] == 3
    assert granted in out["exceptions"]["exception_ids"]
    assert approved not in out["exceptions"]["exception_ids"]


def test_a_rejected_exception_is_not_in_force(
    store: Store, policies: tuple[Policy, Policy]
) -> None:
    old, new = policies
    [map_] = log_requests(store, old, [MAP_DOWNLOADED])
    grant(ExceptionLog(store), map_, approve=False)
    out = report(run(store, old, new), old, new, None, None)
    assert out["exceptions"] == {"in_force": 0, "unnecessary": 0, "exception_ids": []}


def test_decisions_of_another_version_are_not_replayed(
    store: Store, tmp_path: Path, policies: tuple[Policy, Policy]
) -> None:
    old, new = policies
    later = variant(
        tmp_path,
        "tomtom-2014.policy",
        ('version "2012-06"', 'version "2014-06"'),
        ("effective 2012-01-01 until 2014-06-13", "effective 2014-06-14"),
    )
    log_requests(store, old, tomtom_requests(20, seed=1))
    after = {**ONE_DAY_LATE, "request": {"kind": "cancellation", "date": "2014-07-01"}}
    log_requests(store, later, [after, after], start=datetime(2014, 7, 1, 9, tzinfo=UTC))
    tally = run(store, old, new)
    assert (tally.counts["other_version"], tally.replayed) == (2, 20)


def test_a_window_of_days_replays_the_decisions_logged_in_it(
    store: Store, policies: tuple[Policy, Policy]
) -> None:
    old, new = policies
    records = log_requests(store, old, tomtom_requests(40, seed=2))
    start, end = records[10].created_at, records[30].created_at
    tally = run(store, old, new, start=start, end=end)
    assert tally.read == 20


def test_laws_shared_between_versions_answer_as_each_version_alone(
    policies: tuple[Policy, Policy],
) -> None:
    old, new = policies
    for facts in tomtom_requests(300, seed=4):
        alone = [old.evaluate(facts).to_dict(), new.evaluate(facts).to_dict()]
        with laws_shared():
            shared = [old.evaluate(facts).to_dict(), new.evaluate(facts).to_dict()]
        assert shared == alone


# -- properties -------------------------------------------------------------------------------

OLD = load_source(Source.read(TOMTOM_FILE))
NEW = load_source(
    Source("tomtom-15.policy", TOMTOM_FILE.read_text(encoding="utf-8").replace(*FIFTEEN)),
    laws_among([Source.read(LAW_FILE)]),
)
REQUESTS = st.sampled_from(tomtom_requests(400, seed=11))
DATES = st.dates(min_value=datetime(2012, 1, 2).date(), max_value=datetime(2014, 6, 1).date())


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    """A logged request: one of the varied ones, asked on another day, a fact dropped."""
    facts = json.loads(json.dumps(draw(REQUESTS)))
    if draw(st.booleans()):
        facts["request"]["date"] = draw(DATES).isoformat()
    section = draw(st.sampled_from(sorted(facts)))
    if draw(st.booleans()) and facts[section]:
        facts[section].pop(draw(st.sampled_from(sorted(facts[section]))))
    return facts


@settings(max_examples=60)
@given(st.lists(requests(), min_size=1, max_size=8))
def test_replaying_a_policy_against_itself_changes_nothing(logged: list[dict[str, Any]]) -> None:
    replayer = Replayer(OLD, OLD)
    for facts in logged:
        assert replayer.replayed(json.dumps(facts)).status == "same"


@settings(max_examples=40)
@given(st.permutations(range(6)), st.integers(1, 4))
def test_tallies_merge_to_the_same_in_any_order(order: list[int], ids: int) -> None:
    replayer = Replayer(OLD, NEW)
    rows = [reading.LoggedRow(seq, f"{seq:032x}", "refuse", "a", json.dumps(facts))
            for seq, facts in enumerate(tomtom_requests(60, seed=5))]  # fmt: skip
    parts = []
    for first in range(0, len(rows), 10):
        tally = Tally(ids)
        for row in rows[first : first + 10]:
            tally.add(row, replayer.replayed(row.facts))
        parts.append(tally)
    forward, shuffled = Tally(ids), Tally(ids)
    for part in parts:
        forward.merge(part)
    for index in order:
        shuffled.merge(parts[index])
    assert shuffled == forward
