"""The parser: a well-formed file gives a tree; anything else PC1xx diagnostics, never a crash."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from policycheck.language.diagnostics import CODES, Severity
from policycheck.language.source import Source
from policycheck.language.syntax import MAX_SYNTAX_ERRORS, parse

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
FOUNDING = """\
policy tomtom-fr-2012 "TomTom"
  version "2012-06" effective 2012-01-01 until 2014-06-13
  timezone "Europe/Paris" language fr
calendar ouvrables: monday to saturday, closed on public holidays of FR at delivery.postcode
facts
  request.kind: one of cancellation, return, refund
  request.date: date "When did the customer ask?"
  delivery.date: date
  delivery.postcode: text personal
  product.used: bool
group hardware: product.category in [device, accessory]
clause a "Annulation du Matériel"
  source "TomTom accepte..."
  applies to cancellation of hardware
  allow when request.date within 14 ouvrables after delivery.date
         and not product.used   # a condition may run over several lines
  requires product.original_packaging
  obligations "obtenir un numéro RMA"
  fees may charge "frais de port"
  remedy refund "prix payé"
  discretion agent when late by at most 3 ouvrables
clause a-2 "Other"
  exception to a
  refuse when product.price > 10.5 or delivery.date is unknown
  otherwise allow
  discretion supervisor when formal
"""


def test_founding_policy_parses() -> None:
    tree, diagnostics = parse(Source("t.policy", FOUNDING))
    assert diagnostics == []
    assert tree is not None
    clauses = [c for c in tree.children if getattr(c, "data", None) == "clause"]
    assert [str(c.children[0]) for c in clauses] == ["a", "a-2"]


def test_every_syntax_error_is_reported_once_in_order() -> None:
    source = Source("m.policy", (GOLDEN / "many-errors.policy").read_text(encoding="utf-8"))
    tree, diagnostics = parse(source)
    assert tree is None
    assert [(d.code, d.span.line, d.span.col) for d in diagnostics] == [
        ("PC101", 3, 45),
        ("PC101", 6, 9),
        ("PC101", 9, 36),
    ]
    assert diagnostics[1].help == "did you mean `when`?"
    assert diagnostics[1].span.end_col == 12


def test_end_of_file_is_named_in_the_dsl_words() -> None:
    _, diagnostics = parse(Source("e.policy", 'policy x "y"\nclause a "b"\n  allow when'))
    (only,) = diagnostics
    assert (only.code, only.message) == ("PC102", "unexpected end of file")
    assert "$END" not in only.help
    assert "NAME" not in only.help


@given(st.text(max_size=300))
def test_arbitrary_text_gives_a_tree_or_diagnostics(text: str) -> None:
    source = Source("fuzz.policy", text)
    tree, diagnostics = parse(source)
    assert (tree is None) == bool(diagnostics)
    assert len(diagnostics) <= MAX_SYNTAX_ERRORS
    for diagnostic in diagnostics:
        assert diagnostic.code in CODES
        assert diagnostic.severity is Severity.ERROR
        assert diagnostic.span.line >= 1
        assert diagnostic.span.col >= 1


KEYWORDS = [
    "policy", "clause", "group", "facts", "allow", "when", "refuse", "and", "or", "not",
    "within", "after", "14", "ouvrables", '"t"', "a.b", "[", "]", ",", ":", "=", "\n",
]  # fmt: skip


@given(st.lists(st.sampled_from(KEYWORDS), max_size=40))
def test_keyword_soup_gives_a_tree_or_diagnostics(words: list[str]) -> None:
    text = 'policy p "P"\n' + " ".join(words)
    tree, diagnostics = parse(Source("soup.policy", text))
    assert (tree is None) == bool(diagnostics)
