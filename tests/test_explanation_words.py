"""Explanations in business words, in the policy's language and in English: no rule syntax, no
dotted fact name; questions in the language of the explanation; the trace stays formal."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck import load_policy
from policycheck.evaluation.words import question
from policycheck.language import nodes
from tests import tomtom_requests as requests

RULES = Path(__file__).resolve().parents[1] / "rules"
SHIPPED = sorted(RULES.glob("*.policy"))
TOMTOM = load_policy(RULES / "tomtom-fr-2012.policy")
CASES = {
    "one day late": requests.ONE_DAY_LATE,
    "map downloaded": requests.MAP_DOWNLOADED,
    "late and used": requests.LATE_AND_USED,
    "last day": requests.LAST_DAY,
    "use unknown": requests.USE_UNKNOWN,
    "a return": {"request": {"kind": "return", "date": "2012-04-23"}},
    "packaging unknown": {
        "request": {"kind": "cancellation", "date": "2012-04-21"},
        "product": {"category": "device", "used": False},
        "delivery": requests.PARIS,
    },
    "guadeloupe evening": {
        "request": {"kind": "cancellation", "date": "2012-09-19T20:00-04:00"},
        "product": requests.DEVICE,
        "delivery": {"date": "2012-09-03"},
    },
}
# Rule syntax that must never reach an explanation: `within`, a period in rule units
# (`14 ouvrables after`), comparisons and lists as written in a rule file.
RULE_SYNTAX = re.compile(r"\bwithin\b|\b\d+ ouvrables\b| = |!=|\bin \[|\bis known\b")


def _dotted(policy_names: list[str], text: str) -> list[str]:
    return [name for name in policy_names if name in text]


def _fact_names(path: Path) -> list[str]:
    return list(load_policy(path).compiled.schema.declared)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_tomtom_explanations_have_no_rule_syntax_nor_dotted_names(case: str) -> None:
    decision = TOMTOM.evaluate(CASES[case])
    names = _fact_names(RULES / "tomtom-fr-2012.policy")
    assert set(decision.explanations) == {"en", "fr"}
    for language, text in decision.explanations.items():
        assert _dotted(names, text) == [], (language, text)
        assert RULE_SYNTAX.search(text) is None, (language, text)
    assert "When did" not in decision.explanations["fr"]
    assert "Has the" not in decision.explanations["fr"]


def test_a_late_cancellation_in_words_in_both_languages() -> None:
    said = TOMTOM.evaluate(requests.ONE_DAY_LATE).explanations
    assert said["fr"].startswith("La clause a s'applique")
    assert (
        "Refusé : la date de la demande (23 avril 2012) tombe plus de 14 jours ouvrables après "
        "la date de livraison (4 avril 2012) : en retard de 1 jour ouvrable." in said["fr"]
    )
    assert (
        "Refused: the date of the request (23 April 2012) is more than 14 jours ouvrables after "
        "the delivery date (4 April 2012): late by 1 jour ouvrable." in said["en"]
    )


def test_yes_no_facts_in_words() -> None:
    said = TOMTOM.evaluate(requests.LATE_AND_USED).explanations
    assert "appareil utilisé depuis la livraison : oui" in said["fr"]
    assert "the device has been used since delivery" in said["en"]
    said = TOMTOM.evaluate(requests.MAP_DOWNLOADED).explanations
    assert "Refusé : service téléchargé : oui." in said["fr"]
    assert "Refused: the service has been downloaded." in said["en"]


def test_questions_in_the_language_of_each_explanation() -> None:
    decision = TOMTOM.evaluate(requests.USE_UNKNOWN)
    # the decision's questions: the policy's language (the contract)
    assert decision.questions == ("L'appareil a-t-il été utilisé depuis la livraison ?",)
    assert (
        "appareil utilisé depuis la livraison (L'appareil a-t-il été utilisé depuis la "
        "livraison ?)" in decision.explanations["fr"]
    )
    assert (
        "device used since delivery (Has the device been used since delivery?)"
        in decision.explanations["en"]
    )


def test_the_trace_keeps_the_formal_view() -> None:
    decision = TOMTOM.evaluate(requests.ONE_DAY_LATE).to_dict()
    texts = [step["text"] for step in decision["trace"]]
    assert "request.date within 14 ouvrables after delivery.date and not product.used" in texts
    assert set(decision) >= {"explanation", "explanations", "questions"}
    assert decision["explanation"] == decision["explanations"]["fr"]


def test_a_generated_question_uses_the_label() -> None:
    retailer = load_policy(RULES / "fr-retailer-returns-2024.policy")
    facts = retailer.compiled.schema.declared
    assert question("order.date", facts["order.date"], "en", "fr") == "What is the order date?"
    assert question("order.date", facts["order.date"], "fr", "fr").startswith("Quel jour")
    assert question("product.used", facts["product.used"], "en", "fr") == "Item used: yes or no?"


# -- any schema-valid facts, for every shipped policy ---------------------------------------------


def _value(fact: nodes.FactDecl, start: date) -> st.SearchStrategy[Any]:
    days = st.dates(start, start + timedelta(days=700)).map(str)
    kinds: dict[str, st.SearchStrategy[Any]] = {
        "bool": st.booleans(),
        "date": days,
        "datetime": days.map(lambda d: f"{d}T20:00-04:00"),
        "number": st.integers(0, 500),
        "text": st.sampled_from(["75011", "67000", "97110", "13001", "98000", "10115"]),
        "enum": st.sampled_from(fact.type.values or ("x",)),
    }
    return st.one_of(st.none(), kinds.get(fact.type.kind, st.none()))


def _facts_for(path: Path) -> st.SearchStrategy[dict[str, Any]]:
    policy = load_policy(path)
    header = policy.compiled.header
    start = header.effective_from or date(2012, 1, 1)
    declared = policy.compiled.schema.declared
    names = sorted(declared)

    def nest(values: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in zip(names, values, strict=True):
            if value is not None:
                *parents, leaf = name.split(".")
                node = out
                for part in parents:
                    node = node.setdefault(part, {})
                node[leaf] = value
        return out

    return st.tuples(*(_value(declared[n], start) for n in names)).map(lambda v: nest(list(v)))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_no_explanation_names_a_dotted_fact(path: Path) -> None:
    policy = load_policy(path)
    names = list(policy.compiled.schema.declared)

    @settings(max_examples=60, deadline=None)
    @given(_facts_for(path))
    def check(facts: dict[str, Any]) -> None:
        decision = policy.evaluate(facts)
        for language, text in decision.explanations.items():
            assert _dotted(names, text) == [], (language, text)

    check()
