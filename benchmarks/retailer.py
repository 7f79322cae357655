"""The retailer's terms with their amounts (restocking fee, refund or store credit computed from
`product.price`) and the same terms without them, and seeded random returns to decide: what
benchmarks/evaluate.py times in turn (target: amounts at most 1.5x the time without them)."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from policycheck.language.source import Source
from policycheck.policy import Policy, load_source

RULE_FILE = Path(__file__).resolve().parent.parent / "rules" / "online-retailer-returns.policy"
TARGET_AMOUNTS_COST = 1.5


def policies() -> tuple[Policy, Policy]:
    """(with amounts, without): the shipped text, and the same with its computed fees removed,
    its remedies stated but not computed and `product.price` undeclared; both without their
    worked examples (which expect amounts), so that only the amounts differ."""
    text = RULE_FILE.read_text(encoding="utf-8").split("\nexample ")[0]
    plain = re.sub(r"(?m)^  fee \".*\n", "", text)
    plain = re.sub(r"(?m)^(  remedy \w+) of [^\"\n]*(\".*)$", r"\1 \2", plain)
    plain = re.sub(r"(?m)^  product\.price: money USD\n    \".*\"\n", "", plain)
    assert " of product.price" not in plain
    assert "product.price:" not in plain
    with_amounts = load_source(Source(str(RULE_FILE), text))
    without = load_source(Source("without-amounts.policy", plain))
    return with_amounts, without


def returns(n: int, seed: int) -> list[dict[str, Any]]:
    """n returns of 2025 (orders in the January 2025 edition), every category, flags known or
    not, priced from 1 to 2,000 USD (the policy without amounts is sent them without price)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        ordered = date(2025, 1, 1) + timedelta(days=rng.randrange(300))
        delivered = ordered + timedelta(days=rng.randrange(1, 6))
        asked = delivered + timedelta(days=rng.randrange(45))
        product: dict[str, Any] = {"category": rng.choice(("general", "electronics", "hygiene"))}
        for flag in ("opened", "final_sale", "complete"):
            if rng.random() < 0.9:
                product[flag] = rng.random() < (0.3 if flag == "final_sale" else 0.6)
        product["price"] = {"value": f"{rng.randrange(100, 200_000) / 100:.2f}", "currency": "USD"}
        out.append(
            {
                "request": {"kind": "return", "date": asked.isoformat()},
                "order": {"date": ordered.isoformat()},
                "delivery": {"date": delivered.isoformat()},
                "product": product,
                "receipt": {"present": rng.random() < 0.8},
            }
        )
    return out


def without_price(sets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same returns without the price, for the policy that does not declare it."""
    return [
        facts | {"product": {k: v for k, v in facts["product"].items() if k != "price"}}
        for facts in sets
    ]
