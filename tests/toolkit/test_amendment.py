"""`policycheck diff` on the worked examples (policycheck.toolkit.amendment): who may waive, the
obligations, the remedy and the fees compared too, and the examples two versions share run
against both when one of them declares a fact the other does not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from policycheck.language.source import Source
from policycheck.policy import Policy, load_source
from policycheck.toolkit.amendment import compare, render_changes
from policycheck.toolkit.answers import Answer, changed_fields, declared_only, direction
from tests.toolkit.replay_log import LAW_FILE, TOMTOM_FILE

LATE = "device in Paris, one jour ouvrable late: an agent may waive it"
LAST_DAY = "device in Paris, asked on the last day (Saturday 21 April 2012)"
LOYAL_FACT = '  customer.loyal: bool "Le client est-il un client fidèle ?"\n'
LOYAL_EXAMPLE = """
example "a loyal customer asks on the last day"
  given request.kind = cancellation, request.date = 2012-04-21, product.category = device,
        product.used = false, product.original_packaging = true, delivery.date = 2012-04-04,
        delivery.postcode = "75011", customer.loyal = true
  expect allow under a
"""
PRICE_QUESTION = 'question en "What price did the customer actually pay for the device?"\n'


def variant(folder: Path, name: str, *edits: tuple[str, str]) -> Policy:
    shutil.copy(LAW_FILE, folder / LAW_FILE.name)
    text = TOMTOM_FILE.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    (folder / name).write_text(text, encoding="utf-8")
    return load_source(Source.read(folder / name))


@pytest.fixture
def tomtom(tmp_path: Path) -> Policy:
    return variant(tmp_path, "tomtom.policy")


@pytest.mark.parametrize(
    ("edit", "example", "field", "old_words", "new_words"),
    [
        (
            ("discretion agent when", "discretion supervisor when"),
            LATE,
            "discretion",
            "an agent may waive it",
            "a supervisor may waive it",
        ),
        (
            ('fees may charge "frais de port et de transport"', 'fees may charge "frais de port"'),
            LAST_DAY,
            "fees",
            "fees: frais de port et de transport",
            "fees: frais de port",
        ),
        (
            ("remedy refund of order.price_paid", "remedy store_credit of order.price_paid"),
            LAST_DAY,
            "remedy",
            "remedy: refund 199.00 EUR",
            "remedy: store_credit 199.00 EUR",
        ),
        (
            ('"obtenir un numéro RMA', '"obtenir un numéro de retour'),
            LAST_DAY,
            "obligations",
            "obligations: obtenir un numéro RMA",
            "obligations: obtenir un numéro de retour",
        ),
    ],
    ids=["discretion", "fees", "remedy", "obligations"],
)
def test_diff_reports_what_an_allowed_or_refused_request_comes_with(
    tmp_path: Path,
    tomtom: Policy,
    edit: tuple[str, str],
    example: str,
    field: str,
    old_words: str,
    new_words: str,
) -> None:
    changes, _ = compare(tomtom, variant(tmp_path, "amended.policy", edit))
    change = next(c for c in changes if c.example == example)
    assert change.fields() == (field,)
    table = render_changes(changes, 47)
    row = next(line for line in table.splitlines() if line.startswith(example))
    assert old_words in row
    assert new_words in row


def test_an_outcome_that_changes_brings_its_remedy_without_listing_it(
    tmp_path: Path, tomtom: Policy
) -> None:
    fifteen = variant(tmp_path, "tomtom-15.policy", ("within 14 ouvrables", "within 15 ouvrables"))
    changes, _ = compare(tomtom, fifteen)
    late = next(c for c in changes if c.example == LATE)
    assert late.fields() == ("outcome", "deadline")
    assert late.old.discretion == "agent"
    assert late.new.remedy == ("refund", None)  # the example gives no price


def test_examples_run_against_a_version_that_does_not_declare_one_of_their_facts(
    tmp_path: Path, tomtom: Policy
) -> None:
    loyal = variant(
        tmp_path,
        "loyal.policy",
        (PRICE_QUESTION, PRICE_QUESTION + LOYAL_FACT),
        ("\nexample ", LOYAL_EXAMPLE + "\nexample "),
    )
    for old, new in ((tomtom, loyal), (loyal, tomtom)):
        changes, total = compare(old, new)
        assert total == len(tomtom.examples) + 1
        assert changes == []  # the loyal customer is allowed by both: the fact is dropped


def test_facts_one_version_does_not_declare_are_dropped_for_it(tomtom: Policy) -> None:
    given = {"request": {"kind": "cancellation"}, "customer": {"loyal": True}, "product": {"x": 1}}
    assert declared_only(given, tomtom.compiled.schema) == {
        "request": {"kind": "cancellation"},
        "product": {},
    }


@pytest.mark.parametrize(
    ("old", "new", "side"),
    [
        (Answer("allow", "a"), Answer("refuse", "a"), -1),
        (Answer("allow", "a"), Answer("needs_info", "a"), -1),
        (Answer("needs_info", "a"), Answer("refuse", "a"), -1),
        (Answer("refuse", "a"), Answer("allow", "a"), 1),
        (Answer("refuse", "a"), Answer("needs_info", "a"), 1),
        (Answer("no_clause"), Answer("needs_info", "a"), 0),
        (Answer("refuse", "a", discretion="agent"), Answer("refuse", "a"), -1),
        (
            Answer("refuse", "a", discretion="agent"),
            Answer("refuse", "a", discretion="supervisor"),
            -1,
        ),
        (Answer("refuse", "a"), Answer("refuse", "a", discretion="supervisor"), 1),
        (
            Answer("allow", "a", deadline="2012-04-21"),
            Answer("allow", "a", deadline="2012-04-23"),
            0,
        ),
    ],
)
def test_for_or_against_the_customer(old: Answer, new: Answer, side: int) -> None:
    assert direction(old, new) == side
    assert changed_fields(old, new)
