"""Deep conditions (issue 11 item 7): a chain of `and`/`or` of any length goes through every pass;
true nesting past MAX_NESTING is a located PC106, never a RecursionError."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from api_support import auth
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from api.settings import Settings
from policycheck.evaluation.coverage import Coverage, render_coverage
from policycheck.language.build import build
from policycheck.language.diagnostics import Diagnostic
from policycheck.language.formatter import format_rule_file
from policycheck.language.nesting import MAX_NESTING
from policycheck.language.source import Source
from policycheck.language.syntax import parse
from policycheck.policy import Policy, diagnose
from policycheck.toolkit.render import render

HEAD = """\
policy deep "Deep conditions"
  effective 2020-01-01
  timezone "Europe/Paris"

facts
  request.kind: one of cancellation, return  "What does the customer ask for?"
  request.date: date                         "When did the customer ask?"
  delivery.date: date                        "When was the order delivered?"
  product.used: bool                         "Has the product been used?"
"""
CLAUSE = """
clause a "Returns"
  source "Returns within 14 days of an unused product."
  applies to return
  allow when {condition}
  otherwise refuse
"""
EXAMPLES = """
example "unused, in time"
  given request.kind = return, request.date = 2024-01-12, delivery.date = 2024-01-05,
        product.used = false
  expect {expected}
"""
FACTS = {
    "request": {"kind": "return", "date": "2024-01-12"},
    "delivery": {"date": "2024-01-05"},
    "product": {"used": False},
}
LINE = HEAD.count("\n") + 5  # the line of `allow when`
PERIOD = "request.date within 14 days after delivery.date"


def rule_file(condition: str, expected: str = "allow", groups: str = "") -> str:
    return HEAD + groups + CLAUSE.format(condition=condition) + EXAMPLES.format(expected=expected)


def nots(count: int) -> str:
    """`not not ... (period)`: allow when `count` is even."""
    return "not " * count + f"({PERIOD})"


def parentheses(count: int) -> str:
    """`period and (period and (...))`: `count` conditions nested in each other."""
    return f"{PERIOD} and (" * (count - 1) + PERIOD + ")" * (count - 1)


def expected(count: int) -> str:
    return "allow" if count % 2 == 0 else "refuse"


def every_pass(text: str) -> dict[str, Any]:
    """Check, compile, analyse, evaluate, explain, run the examples with coverage, format and
    render a rule file; what each gave."""
    source = Source("deep.policy", text)
    compiled, diagnostics = diagnose(source, analysis=True)
    errors = [d.code for d in diagnostics if d.severity.value == "error"]
    assert compiled is not None, errors
    policy = Policy(compiled)
    decision = policy.evaluate(FACTS).to_dict()
    coverage = Coverage(compiled)
    results = [policy.run_example(example, coverage) for example in policy.examples]
    tree, _ = parse(source)
    assert tree is not None
    rule_file, _ = build(tree, source)
    formatted = format_rule_file(rule_file, source)
    again, _ = diagnose(Source("formatted.policy", formatted))
    return {
        "decision": decision,
        "examples_pass": [not r.failures for r in results],
        "coverage": render_coverage("deep.policy", coverage),
        "formatted_compiles": again is not None,
        "html": render(source, "html"),
        "md": render(source, "md"),
    }


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


# -- chains: flat, any length -------------------------------------------------------------------


def test_a_chain_of_ten_thousand_and_goes_through_every_pass() -> None:
    condition = " and ".join([PERIOD, *["not product.used"] * 9_999])
    done = every_pass(rule_file(condition))
    assert done["decision"]["outcome"] == "allow"
    assert done["examples_pass"] == [True]
    assert done["formatted_compiles"] is True


def test_a_chain_of_ten_thousand_or_goes_through_every_pass() -> None:
    condition = " or ".join([*["product.used"] * 9_999, PERIOD])
    done = every_pass(rule_file(condition))
    assert done["decision"]["outcome"] == "allow"
    assert done["examples_pass"] == [True]
    assert done["formatted_compiles"] is True


def test_a_chain_is_one_node_with_every_operand() -> None:
    source = Source("t.policy", rule_file(" and ".join(["product.used"] * 1_000)))
    tree, _ = parse(source)
    assert tree is not None
    rule_file_, diagnostics = build(tree, source)
    condition = rule_file_.clauses[0].rules[0].expr
    assert (type(condition).__name__, len(getattr(condition, "items", ()))) == ("And", 1_000)
    assert diagnostics == []


# -- true nesting: every pass at the documented depth, PC106 past it -----------------------------


def test_every_pass_works_at_the_documented_depth_under_a_deep_stack() -> None:
    # 300 frames below, as a web server and its middleware would have
    results: list[dict[str, Any]] = []

    def descend(n: int) -> None:
        if n:
            descend(n - 1)
        else:
            results.append(every_pass(rule_file(nots(MAX_NESTING - 1), expected(MAX_NESTING - 1))))
            results.append(every_pass(rule_file(parentheses(MAX_NESTING), "allow")))

    descend(300 - len(_stack()))
    assert [r["examples_pass"] for r in results] == [[True], [True]]
    assert [r["decision"]["outcome"] for r in results] == ["refuse", "allow"]


def _stack() -> list[object]:
    frames, frame = [], sys._getframe()
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back  # type: ignore[assignment]
    return frames


def test_one_level_past_the_limit_is_a_located_pc106() -> None:
    text = rule_file(nots(MAX_NESTING))  # the period is the 101st level
    compiled, diagnostics = diagnose(Source("t.policy", text))
    assert compiled is None
    assert codes(diagnostics) == ["PC106"]
    span = diagnostics[0].span
    column = len("  allow when ") + 4 * MAX_NESTING + 2  # inside the parentheses
    assert (span.line, span.col, span.end_line) == (LINE, column, LINE)
    assert str(MAX_NESTING) in diagnostics[0].help


@settings(max_examples=25)
@given(
    st.sampled_from([nots, parentheses]),
    st.integers(min_value=1, max_value=10_000),
)
def test_nesting_up_to_ten_thousand_gives_a_policy_or_pc106(
    shape: Callable[[int], str], count: int
) -> None:
    text = rule_file(shape(count), expected(count) if shape is nots else "allow")
    levels = count + 1 if shape is nots else count
    compiled, diagnostics = diagnose(Source("t.policy", text))
    if levels <= MAX_NESTING:
        assert compiled is not None, codes(diagnostics)
        assert Policy(compiled).evaluate(FACTS).outcome.value in ("allow", "refuse")
    else:
        assert compiled is None
        assert codes(diagnostics) == ["PC106"]
        assert diagnostics[0].span.line == LINE


def test_groups_nesting_through_each_other_are_bounded_too() -> None:
    chain = "group g0: product.used\n" + "".join(
        f"group g{i}: not g{i - 1}\n" for i in range(1, 10_000)
    )
    text = rule_file("g9999 and not g5000", "refuse", groups=chain)
    compiled, diagnostics = diagnose(Source("t.policy", text))
    assert compiled is None
    assert codes(diagnostics) == ["PC106"]  # once, where the limit is first passed
    assert diagnostics[0].span.line == HEAD.count("\n") + 1 + MAX_NESTING // 2 + 1


def test_a_long_cycle_of_groups_is_reported_without_recursion() -> None:
    cycle = "".join(f"group g{i}: not g{(i + 1) % 5_000}\n" for i in range(5_000))
    compiled, diagnostics = diagnose(Source("t.policy", rule_file("g0", groups=cycle)))
    assert compiled is None
    assert set(codes(diagnostics)) == {"PC404"}
    assert len(diagnostics) == 5_000


def test_the_api_checks_and_the_cli_reports_deep_nesting(client: TestClient) -> None:
    # within the API's 64 KiB body limit
    for text in (rule_file(nots(10_000)), rule_file(parentheses(1_000))):
        response = client.post("/v1/policies/check", json={"text": text}, headers=auth("legal"))
        assert response.status_code == 200
        out = response.json()
        assert out["ok"] is False
        assert [d["code"] for d in out["diagnostics"]] == ["PC106"]
    chain = " and ".join(["product.used"] * 3_000)
    response = client.post(
        "/v1/policies/check", json={"text": rule_file(chain)}, headers=auth("legal")
    )
    assert response.status_code == 200
    assert response.json()["ok"] is True


def test_a_reload_with_deep_nesting_is_refused_with_pc106(
    client: TestClient, settings: Settings
) -> None:
    (settings.rules_dir / "deep.policy").write_text(rule_file(nots(10_000)), encoding="utf-8")
    refused = client.post("/v1/policies/reload", headers=auth("legal"))
    assert refused.status_code == 422
    assert [e["code"] for e in refused.json()["errors"]] == ["PC106"]


def test_check_reports_deep_nesting_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "deep.policy"
    path.write_text(rule_file(nots(10_000)), encoding="utf-8")
    done = subprocess.run(
        [Path(sys.executable).with_name("policycheck"), "check", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (1, "")
    assert '"PC106"' in done.stdout
