"""The static analysis on the solver: the four false results of the candidate search are gone,
every finding's example reproduces it when evaluated, and what is proved is said."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from policycheck.analysis.findings import Analysis, Settings, analyse
from policycheck.evaluation.decision import Outcome
from policycheck.evaluation.examples import request_json
from policycheck.language.diagnostics import Diagnostic
from policycheck.language.source import Source
from policycheck.policy import Policy, diagnose, load_source

ROOT = Path(__file__).resolve().parents[2]
RULES = Path(__file__).resolve().parent / "rules"
SCRIPT = str(Path(sys.executable).with_name("policycheck"))
EXAMPLE = re.compile(r"([\w.]+) = (.*?)(?=, [\w.]+ = |$)")


def analysed(path: Path, settings: Settings | None = None) -> Analysis:
    compiled, diagnostics = diagnose(Source.read(path))
    assert compiled is not None, [d.message for d in diagnostics]
    return analyse(compiled, compiled.rule_file, settings)


def example_facts(diagnostic: Diagnostic, policy: Policy) -> dict[str, Any]:
    """The nested JSON facts of the first request a finding shows (`for example: a = 1, ...`)."""
    text = diagnostic.help.split("for example: ", 1)[1].split(";", 1)[0]
    kinds = {f.name: f.type.kind for f in policy.compiled.rule_file.facts}
    flat: dict[str, object] = {
        name: shown == "true" if kinds[name] == "bool" else shown
        for name, shown in EXAMPLE.findall(text)
    }
    return request_json(flat)


def codes(analysis: Analysis) -> list[str]:
    return [d.code for d in analysis.diagnostics]


# -- the four false results ------------------------------------------------------------------------


def test_a_condition_between_100_and_101_is_reachable_and_the_file_checks_strictly() -> None:
    analysis = analysed(RULES / "narrow-amounts.policy")
    assert codes(analysis) == []
    assert "no dead condition" in analysis.proved
    result = cli("check", "--strict", "tests/analysis/rules/narrow-amounts.policy")
    assert result.returncode == 0, result.stdout


def test_clauses_that_disagree_only_between_100_and_101_overlap_and_eval_says_conflict() -> None:
    analysis = analysed(RULES / "band-overlap.policy")
    [overlap] = [d for d in analysis.diagnostics if d.code == "PC402"]
    assert overlap.message == "clauses `up-to-100` and `up-to-101` overlap"
    policy = load_source(Source.read(RULES / "band-overlap.policy"))
    facts = example_facts(overlap, policy)
    amount = float(facts["order"]["amount"])
    assert 100 < amount < 101
    decision = policy.evaluate(facts)
    assert decision.outcome is Outcome.CONFLICT
    assert "no overlap" not in analysis.proved


def test_fixed_dates_and_chained_periods_in_hours_and_days_can_hold() -> None:
    analysis = analysed(RULES / "fixed-dates.policy")
    assert codes(analysis) == []
    assert "no dead condition" in analysis.proved


def test_a_calendar_used_only_inside_a_group_is_used() -> None:
    analysis = analysed(RULES / "calendar-in-group.policy")
    assert codes(analysis) == []
    # the hint of the old PC410 would have changed the decision: without the calendar,
    # `3 workdays` is no longer a count of working days (the file does not even check)
    text = (RULES / "calendar-in-group.policy").read_text(encoding="utf-8")
    without = text.replace(
        "calendar workdays: monday to friday, closed on public holidays of FR\n", ""
    )
    _, diagnostics = diagnose(Source("without.policy", without))
    assert any(d.severity.value == "error" for d in diagnostics)


# -- every finding shows itself --------------------------------------------------------------------

GAP_AND_OVERLAP = """policy cafes "Cafés"
  timezone "Europe/Paris"
  language en

facts
  request.kind: one of return, exchange  "What does the customer ask for?"
  product.category: one of grinder, machine, beans  "What was bought?"
  order.amount: number  "How much?"
  delivery.date: date  "When was it delivered?"
  request.date: date  "When did the customer ask?"

clause machines "Machines"
  applies to return
  allow when product.category = machine and request.date within 14 days after delivery.date
  otherwise refuse

clause expensive "Expensive orders"
  applies to return
  allow when order.amount > 499.99
  otherwise refuse

clause beans "Beans"
  applies to exchange
  refuse when product.category = beans
  otherwise allow
"""


def test_each_gap_and_overlap_comes_with_a_request_that_gives_it() -> None:
    source = Source("cafes.policy", GAP_AND_OVERLAP)
    compiled, _ = diagnose(source)
    assert compiled is not None
    analysis = analyse(compiled, compiled.rule_file)
    policy = load_source(source)
    found = {d.code for d in analysis.diagnostics}
    assert {"PC402"} <= found
    for diagnostic in analysis.diagnostics:
        if diagnostic.code == "PC402":
            decision = policy.evaluate(example_facts(diagnostic, policy))
            assert decision.outcome is Outcome.CONFLICT, diagnostic.help
        if diagnostic.code == "PC407":
            decision = policy.evaluate(example_facts(diagnostic, policy))
            assert decision.outcome is Outcome.NO_CLAUSE, diagnostic.help
    assert "no gap" in analysis.proved  # machines and expensive cover every return


def test_a_gap_is_shown_with_a_request_that_gets_no_clause() -> None:
    text = GAP_AND_OVERLAP.replace("  applies to exchange\n", "  applies to exchange\n", 1)
    text = text.replace(
        'clause beans "Beans"\n  applies to exchange',
        'clause beans "Beans"\n  applies to exchange of coffee',
    )
    text = text.replace(
        "clause machines", "group coffee: product.category in [beans, grinder]\n\nclause machines"
    )
    source = Source("gap.policy", text)
    compiled, diagnostics = diagnose(source)
    assert compiled is not None, [d.message for d in diagnostics]
    analysis = analyse(compiled, compiled.rule_file)
    [gap] = [d for d in analysis.diagnostics if d.code == "PC407"]
    policy = load_source(source)
    facts = example_facts(gap, policy)
    assert facts["request"]["kind"] == "exchange"
    assert policy.evaluate(facts).outcome is Outcome.NO_CLAUSE


# -- limits: undecided and skipped, said as such ---------------------------------------------------


def test_no_time_for_the_solver_is_said_as_undecided_never_guessed() -> None:
    analysis = analysed(RULES / "band-overlap.policy", Settings(solver_timeout_ms=0))
    assert {d.code for d in analysis.diagnostics} == {"PC412"}
    assert all(d.severity.value == "note" for d in analysis.diagnostics)
    assert analysis.proved == []


def test_no_budget_skips_the_analyses_and_names_them() -> None:
    analysis = analysed(RULES / "band-overlap.policy", Settings(budget_s=0))
    [skipped] = analysis.diagnostics
    assert skipped.code == "PC413"
    assert skipped.message == (
        "analysis skipped: gaps, overlaps, clauses that never apply, "
        "conditions that never or always hold"
    )


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`policycheck ARGS...` from the project's root, as a legal team runs it."""
    return subprocess.run(
        [SCRIPT, *args], capture_output=True, text=True, check=False, cwd=ROOT, timeout=300
    )


def test_check_says_what_it_proved_and_a_note_never_fails_strict() -> None:
    proved = cli("check", "--strict", "tests/analysis/rules/narrow-amounts.policy")
    assert proved.returncode == 0
    assert proved.stdout.splitlines() == [
        "tests/analysis/rules/narrow-amounts.policy: ok",
        "  proved for every request: no gap, no overlap, no unreachable clause, no dead condition",
    ]
    skipped = cli(
        "check", "--strict", "--analysis-budget", "0", "tests/analysis/rules/band-overlap.policy"
    )
    assert skipped.returncode == 0  # a note is not a problem of the file
    assert "note[PC413]" in skipped.stdout
    assert skipped.stdout.splitlines()[-1] == "tests/analysis/rules/band-overlap.policy: ok, 1 note"


@pytest.mark.parametrize(
    ("option", "value"),
    [("--solver-timeout", "soon"), ("--solver-timeout", "-1"), ("--analysis-budget", "nan")],
)
def test_bad_limits_are_usage_errors(option: str, value: str) -> None:
    result = cli("check", option, value, "rules/tomtom-fr-2012.policy")
    assert result.returncode == 2
    assert option in result.stderr
    assert "Traceback" not in result.stderr


# -- the shipped rule files ------------------------------------------------------------------------


def shipped() -> Iterator[Path]:
    yield from sorted((ROOT / "rules").glob("*.policy"))


@pytest.mark.parametrize("path", list(shipped()), ids=lambda p: p.stem)
def test_every_shipped_rule_file_is_proved_clean(path: Path) -> None:
    analysis = analysed(path)
    assert [d.message for d in analysis.diagnostics] == []
    assert analysis.proved == [
        "no gap",
        "no overlap",
        "no unreachable clause",
        "no dead condition",
    ]


def test_analyses_in_threads_give_the_same_answers() -> None:
    """Each analysis has its own solver context: the API checks rule files in threads."""
    paths = [RULES / "band-overlap.policy", RULES / "fixed-dates.policy"] * 3
    alone = [[d.message for d in analysed(p).diagnostics] for p in paths]
    with ThreadPoolExecutor(max_workers=3) as pool:
        together = list(pool.map(lambda p: [d.message for d in analysed(p).diagnostics], paths))
    assert together == alone
