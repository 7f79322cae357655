"""The proposal check: is the agent's intended answer (outcome and clause) the right one?"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from policycheck.evaluation.decision import Decision, Outcome, Proposal
from policycheck.evaluation.facts import FactProblem

if TYPE_CHECKING:
    from policycheck.evaluation.compile import CompiledPolicy

PROPOSABLE = ("allow", "refuse")


def validate_proposal(
    policy: CompiledPolicy, proposed: Mapping[str, Any] | None
) -> list[FactProblem]:
    """Problems with a proposal: not an object, an unknown outcome or clause, extra keys."""
    if proposed is None:
        return []
    if not isinstance(proposed, Mapping):
        return [FactProblem("PC505", "proposed", "expected an object {outcome, clause}")]
    problems = [
        FactProblem("PC505", f"proposed.{key}", f"unknown key `{key}`; expected outcome, clause")
        for key in proposed
        if key not in ("outcome", "clause")
    ]
    outcome = proposed.get("outcome")
    if outcome not in PROPOSABLE:
        problems.append(
            FactProblem("PC505", "proposed.outcome", f"expected allow or refuse, got {outcome!r}")
        )
    clause = proposed.get("clause")
    if clause is not None and clause not in policy.by_id:
        known = ", ".join(policy.by_id)
        problems.append(
            FactProblem(
                "PC505", "proposed.clause", f"unknown clause {clause!r}; this policy has: {known}"
            )
        )
    return problems


def check_proposal(
    decision: Decision,
    proposed: Mapping[str, Any],
    not_applicable: list[tuple[str, Callable[[], str]]],
    evaluated: Collection[str],
) -> Decision:
    """The decision with its verdict on the agent's proposal (`evaluated`: the ids of the clauses
    whose scope was looked at, `not_applicable`: those out of scope, with why)."""
    outcome, cited = str(proposed["outcome"]), proposed.get("clause")
    deciding = decision.clause.id if decision.clause else None
    actual = decision.outcome.value
    if decision.outcome is Outcome.NEEDS_INFO:
        missing = ", ".join(decision.missing_facts) or "more facts"
        verdict = Proposal(False, f"Cannot confirm yet: the decision needs {missing}.", deciding)
        return dataclasses.replace(decision, proposal=verdict)
    words: list[str] = []
    if cited is not None and cited != deciding:
        note = dict(not_applicable).get(cited)
        if note is not None:
            words.append(f"Clause {cited} does not apply: {note()}.")
        elif cited in evaluated:
            words.append(f"Clause {cited} does not decide this request.")
        words.append(f"Clause {deciding} applies." if deciding else _no_clause(decision))
    if outcome != actual:
        where = f"clause {deciding}" if deciding else "the policy"
        words.append(f"The outcome under {where} is {actual}, not {outcome}.")
    agrees = not words
    if agrees:
        words.append(
            f"Agreed: clause {deciding} gives {actual}." if deciding else f"Agreed: {actual}."
        )
    return dataclasses.replace(decision, proposal=Proposal(agrees, " ".join(words), deciding))


def _no_clause(decision: Decision) -> str:
    if decision.outcome is Outcome.CONFLICT:
        return "Several clauses apply and conflict."
    return "No clause applies."
