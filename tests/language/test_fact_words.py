"""Labels and questions of a fact by language: parsed, checked (PC211, PC212), formatted."""

from __future__ import annotations

from policycheck.language import nodes
from policycheck.language.build import build
from policycheck.language.formatter import format_rule_file
from policycheck.language.source import Source
from policycheck.language.syntax import parse
from policycheck.policy import diagnose

RULES = """policy velo-malin-2024 "Vélo Malin — retours"
  version "2024-03"
  timezone "Europe/Paris"
  language fr

facts
  request.kind: one of return "Que demande le client ?"
  request.date: date "Quand le client a-t-il demandé ?"
    label fr "la date de la demande", en "the date of the request"
    question en "When did the customer ask?"
  delivery.date: date label en "the delivery date"

clause retour "Retour des vélos"
  applies to return
  allow when request.date within 14 days after delivery.date
"""


def _file(text: str) -> tuple[nodes.RuleFile, Source]:
    source = Source("velo.policy", text)
    tree, errors = parse(source)
    assert tree is not None
    assert errors == []
    rule_file, _ = build(tree, source)
    return rule_file, source


def _facts(text: str) -> dict[str, nodes.FactDecl]:
    return {fact.name: fact for fact in _file(text)[0].facts}


def _format(text: str) -> str:
    return format_rule_file(*_file(text))


def _words(text: str) -> dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]]:
    return {
        name: (
            [(w.language, w.text) for w in f.labels],
            [(w.language, w.text) for w in f.questions],
        )
        for name, f in _facts(text).items()
    }


def test_labels_and_questions_parse_by_language() -> None:
    facts = _facts(RULES)
    asked = facts["request.date"]
    assert asked.label("fr") == "la date de la demande"
    assert asked.label("en") == "the date of the request"
    assert asked.question_in("en", "fr") == "When did the customer ask?"
    assert asked.question_in("fr", "fr") == "Quand le client a-t-il demandé ?"
    delivered = facts["delivery.date"]
    assert delivered.label("fr") is None
    assert delivered.question_in("en", "fr") is None


def test_labels_check_clean() -> None:
    _, diagnostics = diagnose(Source("velo.policy", RULES))
    assert [d.code for d in diagnostics if d.severity.value == "error"] == []


def test_a_bad_language_code_and_a_language_twice_are_located() -> None:
    text = RULES.replace('label en "the delivery date"', 'label en "a", en "b", fra "c"')
    _, diagnostics = diagnose(Source("velo.policy", text))
    found = {(d.code, d.span.line, d.span.col) for d in diagnostics if d.code in ("PC211", "PC212")}
    line = text.splitlines().index('  delivery.date: date label en "a", en "b", fra "c"') + 1
    assert found == {("PC212", line, 37), ("PC211", line, 45)}


def test_formatting_keeps_the_words_and_is_idempotent() -> None:
    once = _format(RULES)
    assert '    label fr "la date de la demande", en "the date of the request"' in once
    assert '    question en "When did the customer ask?"' in once
    assert '  delivery.date: date\n    label en "the delivery date"' in once
    assert _format(once) == once
    assert _words(once) == _words(RULES)
