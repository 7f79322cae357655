"""A Decision put together from the verdict of the clause that decides it (evaluate.py finds
that clause): its deadline and margin, its questions, and whether a refusal is rigid."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from policycheck.evaluation.amounts import fees_due, remedy_due
from policycheck.evaluation.compile import CompiledClause, CompiledPolicy
from policycheck.evaluation.decision import Decision, Grounds, Outcome, TraceStep
from policycheck.evaluation.explain import explain, speech_of
from policycheck.evaluation.reasons import waivable
from policycheck.evaluation.runtime import Ctx, Node
from policycheck.evaluation.words import question


@dataclass
class Verdict:
    """One applicable clause's answer: an outcome (None: unknown) and what it rests on."""

    clause: CompiledClause
    scope: bool | None
    outcome: str | None = None
    reasons: list[tuple[Node, str]] = field(default_factory=list)  # (atom, "formal"|"rule")
    unknown: list[Node] = field(default_factory=list)
    open: list[Node] = field(default_factory=list)  # unknown atoms that could add reasons
    unchecked: list[Node] = field(default_factory=list)  # requirements still unknown


class DecisionBuilder:
    """Puts a Decision together from the verdict that decides it."""

    def __init__(
        self,
        policy: CompiledPolicy,
        ctx: Ctx,
        trace: list[TraceStep] | None,
        not_applicable: tuple[tuple[str, Callable[[], str]], ...],
    ) -> None:
        self.policy, self.ctx, self.trace, self.not_applicable = policy, ctx, trace, not_applicable

    def make(self, outcome: Outcome, verdict: Verdict | None, **extra: Any) -> Decision:
        header = self.policy.header
        ctx, not_applicable = self.ctx, self.not_applicable
        conflicting = extra.pop("conflicting", ())

        policy = self.policy

        def grounds(language: str) -> Grounds:
            others = tuple((cid, policy.by_id[cid]) for cid, _ in not_applicable)
            return speech_of(policy).grounds(
                language,
                ctx,
                verdict.clause if verdict else None,
                verdict.reasons if verdict else [],
                verdict.unchecked if verdict and outcome is Outcome.ALLOW else [],
                others,
                conflicting,
            )

        def explainer(decision: Decision, language: str) -> str:
            return explain(decision, language, speech_of(policy))

        return Decision(
            policy_id=header.id,
            policy_version=header.version,
            policy_hash=self.policy.hash,
            language=header.language,
            outcome=outcome,
            clause=verdict.clause.ref if verdict else None,
            deadline=extra.pop("deadline", None),
            margin=extra.pop("margin", None),
            margin_unit=extra.pop("margin_unit", None),
            rigid=extra.pop("rigid", False),
            discretion=extra.pop("discretion", None),
            missing_facts=extra.pop("missing", ()),
            questions=extra.pop("questions", ()),
            obligations=extra.pop("obligations", ()),
            trace=tuple(self.trace) if self.trace is not None else (),
            facts=self.ctx.facts,
            make_grounds=grounds,
            explainer=explainer,
            remedy=extra.pop("remedy", None),
            fees=extra.pop("fees", ()),
            remedy_branch=extra.pop("remedy_branch", -1),
        )

    def needs_info(
        self, verdict: Verdict | None, unknown: list[Node], facts: list[str]
    ) -> Decision:
        wanted = list(dict.fromkeys([*facts, *(f for n in unknown for f in n.facts)]))
        extra = self.period(verdict) if verdict is not None else {}
        return self.make(
            Outcome.NEEDS_INFO, verdict, **extra, **self.questions(missing(wanted, self.ctx))
        )

    def period(self, verdict: Verdict) -> dict[str, Any]:
        """The deadline and margin of the clause's period, whenever the facts determine them
        (also when the outcome waits on other facts)."""
        ctx = self.ctx
        result = next((ctx.withins[i] for i in verdict.clause.withins if i in ctx.withins), None)
        if result is None:
            return {}
        return {
            "deadline": result.deadline.due if result.deadline else None,
            "margin": result.margin,
            "margin_unit": result.margin_unit,
        }

    def decided(self, verdict: Verdict, maybe: list[str] | None = None) -> Decision:
        """The decision of the winning clause; `maybe`: facts that decide whether another
        clause (with the same outcome) applies instead, so a refusal's rigidity is unsure."""
        clause, ctx = verdict.clause, self.ctx
        extra = self.period(verdict)
        if verdict.outcome == "allow":
            checks = tuple(f"check: {node.text}" for node in verdict.unchecked)
            return self.make(
                Outcome.ALLOW,
                verdict,
                obligations=clause.decl.obligations + checks,
                **extra,
                **self.settlement(clause),
            )
        rigid, discretion = rigidity(verdict, ctx)
        if rigid and maybe:
            return self.make(Outcome.REFUSE, verdict, **extra, **self.questions(maybe))
        if rigid and verdict.open:
            # Facts still unknown could add reasons: rigid only if those would be waivable too.
            worst = Verdict(
                verdict.clause,
                verdict.scope,
                verdict.outcome,
                verdict.reasons + [(atom, "open") for atom in verdict.open],
            )
            rigid, discretion = rigidity(worst, ctx)
            if not rigid:
                unknown = missing([f for n in verdict.open for f in n.facts], ctx)
                return self.make(Outcome.REFUSE, verdict, **extra, **self.questions(unknown))
        return self.make(Outcome.REFUSE, verdict, rigid=rigid, discretion=discretion, **extra)

    def settlement(self, clause: CompiledClause) -> dict[str, Any]:
        """The fees and the remedy of an allowed request (evaluation.amounts)."""
        if not clause.fees and not clause.remedies:
            return {}
        if clause.fixed_settlement is not None:
            return clause.fixed_settlement
        fees, self.ctx.fees = fees_due(clause.fees, self.ctx, self.policy.currency)
        remedy, branch = remedy_due(clause.remedies, self.ctx)
        return {"fees": fees, "remedy": remedy, "remedy_branch": branch}

    def questions(self, missing: list[str]) -> dict[str, tuple[str, ...]]:
        """`missing` and `questions` for a decision: the facts and what to ask for each."""
        declared = self.policy.schema.declared
        language = self.policy.header.language
        questions = tuple(
            question(name, declared[name], language, language)
            for name in missing
            if name in declared
        )
        return {"missing": tuple(missing), "questions": questions}


def rigidity(verdict: Verdict, ctx: Ctx) -> tuple[bool, tuple[str, str] | None]:
    """Rigid when every reason for the refusal can be waived; who may waive it, and why."""
    if verdict.unknown:
        return False, None
    clause = verdict.clause
    return waivable(clause.decl.discretions, verdict.reasons, ctx, clause.tolerances)


def missing(names: tuple[str, ...] | list[str], ctx: Ctx) -> list[str]:
    return [name for name in dict.fromkeys(names) if name not in ctx.facts]
