"""Running a policy's worked examples: the facts they give, what they expect, what came out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from policycheck.evaluation.decision import Decision
from policycheck.language import nodes
from policycheck.language.money import Money


@dataclass(frozen=True)
class ExampleResult:
    """One example's run: the decision, and each expectation it did not meet."""

    example: nodes.Example
    decision: Decision | None  # None when the example's facts are invalid
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.failures


def example_facts(example: nodes.Example) -> dict[str, Any]:
    """The example's facts as the nested JSON a request would send (`unknown` as null)."""
    return request_json({given.fact.name: given.value for given in example.given})


def request_json(flat: Mapping[str, object]) -> dict[str, Any]:
    """Flat facts (dotted names, a rule file's or the evaluator's values) as the nested JSON a
    request would send: dates in ISO form, numbers as decimal strings, money as an object."""
    facts: dict[str, Any] = {}
    for name, value in flat.items():
        *sections, leaf = name.split(".")
        branch = facts
        for section in sections:
            branch = branch.setdefault(section, {})
        branch[leaf] = _json(value)
    return facts


def example_proposal(example: nodes.Example) -> dict[str, str] | None:
    """The example's `proposed` answer as a proposal object, or None."""
    if example.proposed is None:
        return None
    outcome, clause = example.proposed
    return {"outcome": outcome} | ({"clause": clause.name} if clause else {})


def unmet(example: nodes.Example, decision: Decision) -> tuple[str, ...]:
    """Each expectation of `example` that `decision` does not meet, in words."""
    failures = []
    for expectation in example.expectations:
        problem = _check(expectation, decision)
        if problem:
            failures.append(problem)
    return tuple(failures)


def _check(expectation: nodes.Expectation, decision: Decision) -> str:
    kind = expectation.kind
    clause = decision.clause.id if decision.clause else None
    if kind == "outcome":
        wanted = expectation.outcome or ""
        if expectation.clause is not None:
            wanted += f" under {expectation.clause.name}"
            actual = decision.outcome.value + (f" under {clause}" if clause else " (no clause)")
            return (
                ""
                if (decision.outcome.value, clause)
                == (expectation.outcome, expectation.clause.name)
                else f"expected {wanted}, got {actual}"
            )
        return (
            ""
            if decision.outcome.value == wanted
            else (f"expected {wanted}, got {decision.outcome.value}")
        )
    if kind == "deadline":
        if _day_of(decision.deadline) == expectation.deadline:
            return ""
        return f"expected deadline {_day(expectation.deadline)}, got {_day(decision.deadline)}"
    if kind == "rigid":
        level = decision.discretion[0] if decision.discretion else None
        if decision.rigid and expectation.level in (None, level):
            return ""
        wanted = "rigid" + (f" by {expectation.level}" if expectation.level else "")
        got = f"rigid by {level}" if decision.rigid else "a firm decision"
        return f"expected {wanted}, got {got}"
    if kind == "firm":
        return "expected a firm decision, got a rigid refusal" if decision.rigid else ""
    if kind == "missing":
        wanted_facts = sorted(f.name for f in expectation.facts)
        if wanted_facts == sorted(decision.missing_facts):
            return ""
        return (f"expected missing {', '.join(wanted_facts)}, got "
                f"{', '.join(decision.missing_facts) or 'nothing missing'}")  # fmt: skip
    if kind == "proposal":
        agrees = decision.proposal.agrees if decision.proposal else None
        if agrees is expectation.agrees:
            return ""
        wanted = "agrees" if expectation.agrees else "disagrees"
        return f"expected the proposal check to say it {wanted}, got: " + (
            decision.proposal.message if decision.proposal else "no proposal"
        )
    if kind == "layer":
        if decision.layer == expectation.layer:
            return ""
        return f"expected the {expectation.layer} to decide, got the {decision.layer}"
    if kind == "terms":
        return _terms(expectation, decision)
    if kind in ("remedy", "fee", "no_fees"):
        return _settlement(expectation, decision)
    raise AssertionError(kind)


def _settlement(expectation: nodes.Expectation, decision: Decision) -> str:
    """`expect remedy KIND [AMOUNT|none]`, `expect fee "label" AMOUNT|none`, `expect no fees`."""
    if expectation.kind == "no_fees":
        labels = ", ".join(f'"{fee.label}"' for fee in decision.fees)
        return f"expected no fees, got {labels}" if decision.fees else ""
    if expectation.kind == "fee":
        fee = next((f for f in decision.fees if f.label == expectation.label), None)
        wanted = f'fee "{expectation.label}" {_money(expectation.amount)}'
        if fee is None:
            given = ", ".join(f'"{f.label}"' for f in decision.fees) or "no fees"
            return f"expected {wanted}, got {given}"
        if fee.amount != expectation.amount:
            return f"expected {wanted}, got {_money(fee.amount)}"
        return ""
    remedy = decision.remedy
    wanted = f"remedy {expectation.kind_name}" + (
        f" {_money(expectation.amount)}" if expectation.amount_given else ""
    )
    if remedy is None:
        return f"expected {wanted}, got no remedy"
    got = f"remedy {remedy.kind} {_money(remedy.amount)}"
    if remedy.kind != expectation.kind_name:
        return f"expected {wanted}, got {got}"
    if expectation.amount_given and remedy.amount != expectation.amount:
        return f"expected {wanted}, got {got}"
    return ""


def _money(amount: Money | None) -> str:
    return str(amount) if amount is not None else "none"


def _terms(expectation: nodes.Expectation, decision: Decision) -> str:
    """`expect terms refuse under a`: what the terms alone said, when the law decided."""
    wanted = (expectation.outcome or "") + (
        f" under {expectation.clause.name}" if expectation.clause else ""
    )
    terms = decision.terms
    if terms is None:
        return f"expected the terms to say {wanted} beneath the law, but the terms decided"
    clause = terms.clause.id if terms.clause else None
    if terms.outcome.value == expectation.outcome and (
        expectation.clause is None or expectation.clause.name == clause
    ):
        return ""
    actual = terms.outcome.value + (f" under {clause}" if clause else "")
    return f"expected the terms to say {wanted}, they say {actual}"


def _day(day: date | None) -> str:
    return day.isoformat() if day else "none"


def _day_of(deadline: date | None) -> date | None:
    """`expect deadline DATE` of a period in hours: the day of its instant, in its zone."""
    return deadline.date() if isinstance(deadline, datetime) else deadline


def _json(value: object) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Money):
        return value.to_json()
    return value
