"""The checker through `diagnose`: one code per golden file, and the shape of each diagnostic."""

from __future__ import annotations

from pathlib import Path

import pytest

from policycheck.language.diagnostics import Diagnostic, Severity
from policycheck.language.source import Source, Span
from policycheck.policy import diagnose
from tests.language.test_golden import golden_diagnostics

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
CODE_CASES = sorted(GOLDEN.glob("PC*.policy"))

HEADER = """\
policy shop-returns-2024 "Returns and cancellations"
  version "2024-01"
  effective 2024-01-01
  timezone "Europe/Paris"
  language en

facts
  request.kind: one of cancellation, return, refund  "What does the customer ask for?"
  request.date: date                "When did the customer ask?"
  delivery.date: date               "When was the order delivered?"
  product.category: one of device, accessory, map
  product.used: bool                "Has the device been used?"

group hardware: product.category in [device, accessory]
"""
# HEADER is 14 lines long: the first clause of a test starts on line 16 (after a blank line).


def run(
    text: str, name: str = "t.policy", *, analysis: bool = False
) -> tuple[object | None, list[Diagnostic]]:
    return diagnose(Source(name, text), analysis=analysis)


def only(text: str) -> Diagnostic:
    """The one diagnostic of a rule file."""
    _, diagnostics = run(text)
    assert len(diagnostics) == 1, [(d.code, d.message) for d in diagnostics]
    return diagnostics[0]


def at(diagnostic: Diagnostic) -> tuple[int, int, int, int]:
    span = diagnostic.span
    return (span.line, span.col, span.end_line, span.end_col)


# -- every golden file: exactly its own code, well-formed diagnostics ------------------------------


@pytest.mark.parametrize("path", CODE_CASES, ids=[p.stem for p in CODE_CASES])
def test_golden_file_raises_exactly_its_code(path: Path) -> None:
    source, diagnostics = golden_diagnostics(path)
    assert {d.code for d in diagnostics} == {path.stem}
    for diagnostic in diagnostics:
        assert diagnostic.span.line >= 1
        assert diagnostic.span.col >= 1
        assert diagnostic.message
        assert diagnostic.help
        assert diagnostic.file == source.name
        as_dict = diagnostic.to_dict()
        assert set(as_dict) == {"code", "severity", "message", "file", "start", "end", "help"}
        assert as_dict["code"] == path.stem
        assert as_dict["start"] == {"line": diagnostic.span.line, "column": diagnostic.span.col}


# -- names ---------------------------------------------------------------------------------------


def test_unknown_fact_suggests_the_declared_one() -> None:
    diagnostic = only(
        HEADER
        + """
clause a "Returns"
  applies to return
  allow when request.date within 14 days after delivery.dat
  otherwise refuse
"""
    )
    assert diagnostic.code == "PC201"
    assert diagnostic.severity is Severity.ERROR
    assert diagnostic.message == "unknown fact `delivery.dat`"
    assert at(diagnostic) == (18, 48, 18, 60)
    assert "`delivery.date`" in diagnostic.help
    assert diagnostic.help.startswith("did you mean")


def test_duplicate_clause_names_the_first_declaration() -> None:
    diagnostic = only(
        HEADER
        + """
clause a "Returns"
  applies to return
  allow when request.date within 14 days after delivery.date

clause a "Cancellations"
  applies to cancellation
  otherwise allow
"""
    )
    assert diagnostic.code == "PC205"
    assert diagnostic.message == "clause `a` is declared twice"
    # the second `a`, on its `clause` line
    assert at(diagnostic) == (20, 8, 20, 9)
    assert "line 16" in diagnostic.help


# -- types ---------------------------------------------------------------------------------------


def test_date_compared_with_a_number_labels_both_sides() -> None:
    diagnostic = only(
        HEADER
        + """
clause a "Late returns"
  applies to return
  refuse when request.date > 30
  otherwise allow
"""
    )
    assert diagnostic.code == "PC302"
    assert diagnostic.message == "cannot compare a date with a number"
    assert at(diagnostic) == (18, 30, 18, 32)  # `30`
    assert diagnostic.note == "a number"
    assert len(diagnostic.labels) == 1
    label = diagnostic.labels[0]
    assert label.span == Span(18, 15, 18, 27)  # `request.date`
    assert label.note == "a date"
    assert "within" in diagnostic.help


def test_within_on_a_condition_needs_dates() -> None:
    diagnostic = only(
        HEADER
        + """
clause a "Returns"
  applies to return
  allow when product.used within 14 days after delivery.date
  otherwise refuse
"""
    )
    assert diagnostic.code == "PC304"
    assert "`product.used`" in diagnostic.message
    assert at(diagnostic) == (18, 14, 18, 26)
    assert diagnostic.note == "a condition (true/false)"
    assert "date" in diagnostic.help


def test_enum_value_not_declared_suggests_the_closest() -> None:
    diagnostic = only(
        HEADER
        + """
clause a "Map returns"
  applies to return
  refuse when product.category = mapp
  otherwise allow
"""
    )
    assert diagnostic.code == "PC303"
    assert diagnostic.message == "`mapp` is not a value of `product.category`"
    assert at(diagnostic) == (18, 34, 18, 38)
    assert "device, accessory, map" in diagnostic.note
    assert diagnostic.help == "did you mean `map`?"


# -- clauses -------------------------------------------------------------------------------------


def test_clause_without_a_decision_decides_nothing() -> None:
    diagnostic = only(
        HEADER
        + """
clause a "Returns"
  applies to return of hardware
  obligations "send the device back in its box"
"""
    )
    assert diagnostic.code == "PC401"
    assert diagnostic.message == "clause `a` decides nothing"
    assert at(diagnostic) == (16, 8, 16, 9)
    assert "otherwise" in diagnostic.help


def test_overlapping_clauses_are_a_warning_and_the_policy_still_compiles() -> None:
    compiled, diagnostics = run(
        HEADER
        + """
clause a "Satisfied or refunded"
  applies to return of hardware
  otherwise allow

clause b "Used devices"
  applies to return of hardware
  refuse when product.used
""",
        analysis=True,
    )
    overlaps = [d for d in diagnostics if d.code == "PC402"]
    assert len(overlaps) == 1
    diagnostic = overlaps[0]
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.to_dict()["severity"] == "warning"
    assert at(diagnostic) == (20, 8, 20, 9)  # the later clause, `b`
    assert "a gives allow, b gives refuse" in diagnostic.note
    assert "product.used = true" in diagnostic.help
    assert "exception to a" in diagnostic.help
    assert compiled is not None


# -- the whole file ------------------------------------------------------------------------------


def test_every_problem_is_reported_in_one_run_in_line_order() -> None:
    # Checked in another order (build, duplicates, groups, clauses) than they appear.
    text = """\
policy shop-returns-2024 "Returns and cancellations"
  effective 2024-02-30
  timezone "Europe/Paris"

facts
  request.kind: one of cancellation, return, refund
  request.date: date
  delivery.date: date
  product.category: one of device, accessory, map

group hardware: product.category in [device, acessory]

clause a "Returns"
  applies to return of hardware
  allow when request.date within 14 days after delivery.dat
  otherwise refuse

clause a "Cancellations"
  applies to cancellation
  otherwise allow
"""
    compiled, diagnostics = run(text)
    assert compiled is None
    assert [(d.code, d.span.line) for d in diagnostics] == [
        ("PC105", 2),
        ("PC303", 11),
        ("PC201", 15),
        ("PC205", 18),
    ]
    assert diagnostics == sorted(diagnostics, key=Diagnostic.sort_key)


def test_the_shipped_tomtom_policy_checks_clean() -> None:
    path = ROOT / "rules" / "tomtom-fr-2012.policy"
    compiled, diagnostics = diagnose(Source.read(path))
    assert diagnostics == []
    assert compiled is not None


def test_an_impossible_end_date_is_reported_once() -> None:
    text = (
        'policy p "P"\n  effective 2024-01-01 until 2024-02-30\n'
        'facts\n  x: bool\nclause a "A"\n  allow when x\n'
    )
    _, diagnostics = run(text)
    assert [d.code for d in diagnostics] == ["PC105"]


def test_a_clause_that_is_its_own_exception_is_reported_once() -> None:
    text = 'policy p "P"\nfacts\n  x: bool\nclause a "A"\n  exception to a\n  allow when x\n'
    _, diagnostics = run(text)
    assert [(d.code, d.span.line) for d in diagnostics] == [("PC403", 5)]


def test_allow_only_and_refuse_only_clauses_on_one_scope_overlap() -> None:
    text = (
        'policy p "P"\nfacts\n  request.kind: one of cancellation, return, refund\n'
        "  request.date: date\n  delivery.date: date\n  product.seal_broken: bool\n"
        'clause r1 "Returns"\n  applies to return\n'
        "  allow when request.date within 14 days after delivery.date\n"
        'clause r2 "Opened"\n  applies to return\n  refuse when product.seal_broken\n'
    )
    compiled, diagnostics = run(text, analysis=True)
    overlaps = [(d.code, d.severity) for d in diagnostics if d.code == "PC402"]
    assert overlaps == [("PC402", Severity.WARNING)]
    assert compiled is not None


def test_a_chain_of_exceptions_is_not_an_overlap() -> None:
    text = (
        'policy chain "Chain"\nfacts\n  request.kind: one of cancellation, return\n'
        "  product.used: bool\n"
        'clause a "A"\n  applies to cancellation\n  otherwise allow\n'
        'clause b "B"\n  applies to cancellation\n  refuse when product.used\n'
        "  otherwise allow\n  exception to a\n"
        'clause c "C"\n  applies to cancellation\n  otherwise refuse\n  exception to b\n'
    )
    compiled, diagnostics = run(text, analysis=True)
    assert [d.code for d in diagnostics if d.code == "PC402"] == []
    # a and b are always overridden by the chain: reported as such, not as overlaps
    assert sorted(d.message for d in diagnostics if d.code == "PC408") == [
        "clause `a` is always overridden",
        "clause `b` is always overridden",
    ]
    assert compiled is not None


def test_a_policy_without_clauses_says_no_request_is_covered() -> None:
    """Not `no clause covers ` with nothing after it: the gap is every request."""
    _, diagnostics = run(HEADER, analysis=True)
    gaps = [d for d in diagnostics if d.code == "PC407"]
    assert [d.message for d in gaps] == ["no clause covers any request"]
    assert gaps[0].span.line == 1


def test_a_group_named_like_an_enum_value_it_compares_with_is_not_a_cycle() -> None:
    """`group electronics: product.category = electronics`: the right side is a value (the
    evaluator reads it so), not the group itself (PC404 said it was, wrongly)."""
    text = HEADER.replace(
        "group hardware: product.category in [device, accessory]",
        "group device: product.category = device\ngroup hardware: device or product.category = map",
    )
    text += (
        '\nclause a "Devices"\n  applies to return of device\n'
        "  allow when request.date within 14 days after delivery.date\n"
    )
    compiled, diagnostics = run(text)
    assert [d.code for d in diagnostics if d.severity is Severity.ERROR] == []
    assert compiled is not None
