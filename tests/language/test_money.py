"""Money in rule files: amounts with a currency, percentages, arithmetic, fees and remedies
(parse, check, format), and money facts in requests."""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck import load_policy
from policycheck.evaluation.facts import FactsError
from policycheck.language.formatter import format_rule_file
from policycheck.language.money import Money
from policycheck.language.source import Source
from policycheck.policy import diagnose, load_source

HEAD = """policy shop "Shop"
  timezone "America/New_York"
facts
  request.kind: one of return
  product.price: money USD "What did the customer pay?"
  product.opened: bool "Opened?"
  order.items: number "How many items?"
  delivery.date: date "Delivered when?"
"""


def codes(text: str) -> list[str]:
    _, found = diagnose(Source("t.policy", text))
    return [d.code for d in found if d.severity.value == "error"]


def policy(body: str) -> Any:
    return load_source(Source("t.policy", HEAD + body))


def decide(body: str, **facts: Any) -> Any:
    return policy(body).evaluate({"request": {"kind": "return"}, **facts})


SHOP = """clause a "A"
  applies to return
  otherwise allow
  fee "restocking fee" 15% of product.price when product.opened
  remedy refund of product.price - fees "the price less the fee"
"""


@pytest.mark.parametrize(
    ("price", "fee", "refund"),
    [
        ("199.80", "29.97", "169.83"),
        ("249.99", "37.50", "212.49"),  # 37.4985: half up
        ("0.10", "0.02", "0.08"),  # 0.015: half up
        ("0.03", "0.00", "0.03"),  # 0.0045
    ],
)
def test_a_fee_is_a_percentage_rounded_half_up_and_the_refund_the_rest(
    price: str, fee: str, refund: str
) -> None:
    out = decide(SHOP, product={"price": {"value": price, "currency": "USD"}, "opened": True})
    assert out.to_dict()["fees"] == [
        {"label": "restocking fee", "amount": {"value": fee, "currency": "USD"}}
    ]
    assert out.to_dict()["remedy"] == {
        "kind": "refund",
        "amount": {"value": refund, "currency": "USD"},
        "text": "the price less the fee",
    }


@given(st.decimals(min_value=0, max_value=10**9, places=2))
def test_the_refund_and_the_fee_add_up_to_the_price(price: Decimal) -> None:
    out = decide(SHOP, product={"price": str(price), "opened": True})
    fee = (price * Decimal("0.15")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert out.fees[0].amount == Money("USD", fee)
    assert out.remedy.amount == Money("USD", price - fee)


def test_a_fee_whose_condition_fails_is_not_charged_and_fees_is_zero() -> None:
    out = decide(SHOP, product={"price": "199.80 USD", "opened": False})
    assert out.fees == ()
    assert out.remedy.amount == Money("USD", Decimal("199.80"))


def test_unknown_price_leaves_the_amounts_unknown_not_the_outcome() -> None:
    out = decide(SHOP, product={"opened": True})
    assert out.outcome.value == "allow"
    assert out.to_dict()["remedy"]["amount"] is None
    assert out.to_dict()["fees"] == [{"label": "restocking fee", "amount": None}]


def test_a_refused_request_has_no_remedy_and_no_fees() -> None:
    out = decide(SHOP.replace("otherwise allow", "otherwise refuse"), product={"price": "5"})
    assert out.to_dict()["remedy"] is None
    assert out.to_dict()["fees"] == []


CONDITIONAL = """clause a "A"
  applies to return
  otherwise allow
  remedy refund of product.price "in full" when order.items < 3
  remedy partial_refund of 80% of product.price "80%" when order.items < 10
  remedy store_credit of min(product.price, 100 USD) "credit, at most 100 USD"
"""


@pytest.mark.parametrize(
    ("items", "kind", "amount"),
    [(1, "refund", "250.00"), (5, "partial_refund", "200.00"), (12, "store_credit", "100.00")],
)
def test_the_first_remedy_whose_condition_holds_is_given(
    items: int, kind: str, amount: str
) -> None:
    out = decide(CONDITIONAL, product={"price": "250.00"}, order={"items": items})
    assert (out.remedy.kind, str(out.remedy.amount.value)) == (kind, amount)


def test_a_remedy_after_an_unknown_condition_is_not_guessed() -> None:
    out = decide(CONDITIONAL, product={"price": "250.00"})
    assert out.outcome.value == "allow"
    assert out.remedy is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ({"value": "ten", "currency": "USD"}, "PC502"),
        ("1e400", "PC502"),
        (float("inf"), "PC502"),
        ({"value": "1", "currency": "ABC"}, "PC503"),
        ("12 XYZ", "PC503"),
        ({"value": "1", "currency": "EUR"}, "PC508"),
        ("3 €", "PC508"),
        ({"value": "1"}, "PC502"),
        ({"value": "1", "currency": "USD", "extra": 1}, "PC502"),
        (True, "PC502"),
        ([1], "PC502"),
    ],
)
def test_a_malformed_amount_names_the_fact(value: object, code: str) -> None:
    with pytest.raises(FactsError) as raised:
        decide(SHOP, product={"price": value, "opened": True})
    assert [(p.code, p.fact) for p in raised.value.problems] == [(code, "product.price")]


@pytest.mark.parametrize(
    "value", ["199.80", 199.8, "199.80 USD", {"value": 199.8, "currency": "USD"}]
)
def test_an_amount_may_be_written_four_ways(value: object) -> None:
    out = decide(SHOP, product={"price": value, "opened": True})
    assert out.remedy.amount == Money("USD", Decimal("169.83"))


def test_dividing_by_a_fact_that_is_zero_is_a_problem_with_the_request() -> None:
    body = """clause a "A"
  applies to return
  otherwise allow
  remedy refund of product.price / order.items
"""
    assert decide(body, product={"price": "10"}, order={"items": 4}).remedy.amount.value == Decimal(
        "2.50"
    )
    with pytest.raises(FactsError) as raised:
        decide(body, product={"price": "10"}, order={"items": 0})
    assert [(p.code, p.fact) for p in raised.value.problems] == [("PC509", "order.items")]


def test_amounts_compare_with_amounts() -> None:
    body = 'clause a "A"\n  applies to return\n  allow when product.price <= 50 USD\n'
    assert decide(body, product={"price": "50.00"}).outcome.value == "allow"
    assert decide(body, product={"price": "50.01"}).outcome.value == "refuse"
    assert codes(HEAD + body.replace("50 USD", "50")) == ["PC302"]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("allow when product.price < 10 XYZ", "PC330"),
        ("allow when delivery.date + 3 > delivery.date", "PC331"),
        ("allow when 15% of delivery.date > 3", "PC331"),
        ("allow when product.price * product.price > 3 USD", "PC331"),
        ("allow when product.price + 1 > 3 USD", "PC331"),
        ("allow when order.items / 0 > 3", "PC333"),
        ("allow when product.price > 3 EUR", "PC332"),
        ("allow when fees > 3 USD", "PC334"),
        ("allow when max(order.items, product.price) > 3", "PC331"),
        ('allow when "a" + "b" = "ab"', "PC331"),
        ("otherwise allow\n  remedy refund of order.items", "PC334"),
        ('otherwise allow\n  fee "x" 3', "PC334"),
        ("otherwise allow\n  remedy refund of product.price\n  remedy exchange", "PC335"),
        ("otherwise allow\n  remedy refund when order.items", "PC301"),
    ],
)
def test_each_mistake_with_amounts_is_a_located_diagnostic(line: str, code: str) -> None:
    text = HEAD + f'clause a "A"\n  applies to return\n  {line}\n'
    _, found = diagnose(Source("t.policy", text))
    assert code in [d.code for d in found]
    assert all(d.span.line >= 10 for d in found if d.code == code)


def test_a_currency_on_a_fact_that_is_not_money_is_an_error() -> None:
    assert codes(HEAD.replace("order.items: number", "order.items: number USD")) == ["PC330"]


@pytest.mark.parametrize(
    "text",
    [
        "a + b - c",
        "a - (b - c)",
        "(a + b) \N{MULTIPLICATION SIGN} c",
        "a \N{MULTIPLICATION SIGN} b / c",
        "a / (b \N{MULTIPLICATION SIGN} c)",
        "15% of a + 2",
        "min(a, b + 1, 3) - max(a, 2)",
        "12.5% of (a + b)",
    ],
)
def test_arithmetic_formats_back_to_itself(text: str) -> None:
    body = (
        "facts\n  request.kind: one of return\n  a: number\n  b: number\n  c: number\n"
        f'clause x "X"\n  applies to return\n  allow when {text} > 1\n'
    )
    source = Source("t.policy", 'policy p "P"\n' + body)
    compiled, found = diagnose(source)
    assert compiled is not None, found
    formatted = format_rule_file(compiled.rule_file, source)
    assert f"allow when {text} > 1" in formatted
    again = Source("t.policy", formatted)
    assert format_rule_file(diagnose(again)[0].rule_file, again) == formatted  # type: ignore[union-attr]


def test_a_bare_money_fact_stays_an_amount_in_no_currency() -> None:
    text = HEAD.replace("money USD", "money") + (
        'clause a "A"\n  applies to return\n  allow when product.price < 50\n'
    )
    assert codes(text) == []
    out = load_source(Source("t.policy", text)).evaluate(
        {"request": {"kind": "return"}, "product": {"price": 49.99}}
    )
    assert out.outcome.value == "allow"


def test_the_analysis_tries_amounts_in_the_policy_currency() -> None:
    text = HEAD + (
        'clause a "A"\n  applies to return\n'
        "  allow when product.price > 100 USD and product.price < 101 USD\n"
        'clause b "B"\n  applies to return\n  refuse when product.price >= 100.5 USD\n'
    )
    _, found = diagnose(Source("t.policy", text), analysis=True)
    overlap = [d for d in found if d.code == "PC402"]
    assert len(overlap) == 1
    # they disagree up to 100 USD, and from 100.5 up to 101 (excluded): the example is one
    found_price = re.search(r"product\.price = ([\d.]+) USD", overlap[0].help)
    assert found_price is not None, overlap[0].help
    price = Decimal(found_price.group(1))
    assert price <= 100 or Decimal("100.5") <= price < 101


def test_the_explanation_says_the_remedy_and_the_fees_in_each_language() -> None:
    root = Path(__file__).resolve().parents[2]
    retailer = load_policy(root / "rules" / "online-retailer-returns.policy")
    facts = json.loads((root / "examples" / "opened-headphones.json").read_text("utf-8"))
    said = retailer.evaluate(facts).explanations["en"]
    assert "Remedy: refund $169.83" in said
    assert "Fees: restocking fee $29.97." in said
    tomtom = load_policy(root / "rules" / "tomtom-fr-2012.policy").without_laws()
    decision = tomtom.evaluate(
        {
            "request": {"kind": "cancellation", "date": "2012-04-21"},
            "product": {"category": "device", "used": False, "original_packaging": True},
            "delivery": {"date": "2012-04-04", "postcode": "75011"},
            "order": {"price_paid": "199.00"},
        }
    )
    assert "Remède : remboursement 199,00\xa0€" in decision.explanations["fr"]
    assert decision.to_dict()["remedy"]["amount"] == {"value": "199.00", "currency": "EUR"}


def test_fees_in_a_policy_whose_only_amounts_are_written_in_it() -> None:
    text = """policy p "P"
facts
  request.kind: one of return
clause a "A"
  applies to return
  otherwise allow
  fee "handling" 5 USD
  fee "packing" 2.50 USD
  remedy store_credit of 20 USD - fees "a voucher"
"""
    out = load_source(Source("p.policy", text)).evaluate({"request": {"kind": "return"}})
    assert out.remedy.amount == Money("USD", Decimal("12.50"))
    assert [fee.amount for fee in out.fees] == [
        Money("USD", Decimal("5")),
        Money("USD", Decimal("2.50")),
    ]
