"""Every example of every shipped rule file, one test each, named after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from policycheck import load_policy
from policycheck.evaluation.coverage import Coverage
from policycheck.evaluation.examples import example_facts
from policycheck.language.nodes import Example
from policycheck.language.source import Source
from policycheck.policy import Policy, load_versions

RULES = Path(__file__).resolve().parents[1] / "rules"


def _cases() -> list[object]:
    cases = []
    for path in sorted(RULES.rglob("*.policy")):
        policy = load_policy(path)
        for example in policy.examples:
            cases.append(pytest.param(policy, example, id=f"{path.stem}::{example.name}"))
    return cases


@pytest.mark.parametrize(("policy", "example"), _cases())
def test_example(policy: Policy, example: Example) -> None:
    result = policy.run_example(example)
    explanation = result.decision.explanations["en"] if result.decision else ""
    assert result.passed, "\n".join([*result.failures, explanation])


def test_every_shipped_policy_has_examples_reaching_every_clause() -> None:
    for path in sorted(RULES.rglob("*.policy")):
        policy = load_policy(path)
        coverage = Coverage(policy.compiled)
        for example in policy.examples:
            coverage.example = example.name
            policy.run_example(example, coverage)
        unreached = [i.clause for i in coverage.items() if i.kind == "scope" and not i.complete]
        assert len(policy.examples) >= 15, path.name
        assert unreached == [], f"{path.name}: no example reaches clause(s) {unreached}"


def test_every_shipped_example_is_a_request_its_own_version_decides() -> None:
    # sent as a request (API, `eval rules/ --policy`), each example is decided by the rule file
    # it is written in: its date is in that file's period, and it gives the fact that chooses
    paths = sorted(RULES.rglob("*.policy"))
    published, errors = load_versions(Source.read(path) for path in paths)
    assert errors == []
    assert [v.compiled.header.version for v in published["online-retailer-returns"].versions] == [
        "2025-01",
        "2026-03",
    ]
    for path in paths:
        policy = load_policy(path)
        for example in policy.examples:
            chosen = published[policy.id].in_force(example_facts(example))
            assert chosen.hash == policy.hash, f"{path.name}::{example.name}"
