"""Amounts through the CLI: `eval` prints the remedy and the fees; the shipped examples catch a
restocking fee changed from 15% to 16%; `test --coverage` counts the branches of a remedy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("policycheck")
RETAILER = ROOT / "rules" / "online-retailer-returns.policy"


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def test_eval_prints_the_refund_and_the_restocking_fee() -> None:
    facts = {
        "request": {"kind": "return", "date": "2025-03-20"},
        "order": {"date": "2025-02-27"},
        "delivery": {"date": "2025-03-01"},
        "product": {"category": "electronics", "opened": True, "final_sale": False,
                    "complete": True, "price": {"value": "199.80", "currency": "USD"}},
        "receipt": {"present": True},
    }  # fmt: skip
    result = run("eval", str(RETAILER), "--facts", "-", "--format", "json", stdin=json.dumps(facts))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["remedy"]["amount"] == {"value": "169.83", "currency": "USD"}
    assert out["fees"] == [
        {"label": "restocking fee", "amount": {"value": "29.97", "currency": "USD"}}
    ]


def test_the_shipped_examples_catch_a_fee_of_16_percent(tmp_path: Path) -> None:
    text = RETAILER.read_text(encoding="utf-8")
    assert text.count("15% of product.price") == 2  # clause 2 and clause 3
    for nth in (1, 2):  # each of the two fee lines, changed alone
        parts = text.split("15% of product.price")
        changed = "15% of product.price".join(parts[:nth]) + "16% of product.price"
        changed += "15% of product.price".join(parts[nth:])
        path = tmp_path / f"changed-{nth}.policy"
        path.write_text(changed, encoding="utf-8")
        result = run("test", str(path))
        assert result.returncode == 1, result.stdout
        assert 'expected fee "restocking fee" 29.97 USD' in result.stdout
    unchanged = tmp_path / "unchanged.policy"
    unchanged.write_text(text, encoding="utf-8")
    assert run("test", str(unchanged)).returncode == 0


def test_coverage_counts_each_branch_of_a_conditional_remedy() -> None:
    result = run("test", "--coverage", str(ROOT / "rules" / "subscription-cancellation.policy"))
    assert result.returncode == 0, result.stdout
    assert "remedy `partial_refund when service.started_at_once`: given ✓" in result.stdout
    assert "remedy `refund otherwise`: given ✓" in result.stdout


def test_eval_of_a_return_after_the_holiday_season() -> None:
    facts = {
        "request": {"kind": "return", "date": "2026-01-30"},
        "order": {"date": "2025-12-22"},
        "delivery": {"date": "2025-12-28"},
        "product": {"category": "general", "final_sale": False, "complete": True},
        "receipt": {"present": True},
    }
    result = run("eval", str(RETAILER), "--facts", "-", "--format", "json", stdin=json.dumps(facts))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["outcome"], out["deadline"], out["margin"]["value"]) == ("refuse", "2026-01-27", 3)
    assert out["discretion"] == {"level": "agent", "reason": "near_miss"}
