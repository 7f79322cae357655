"""CompiledPolicy x facts -> Decision: scope first, three-valued conditions, precedence, rigidity.

Never raises on schema-valid facts; invalid facts raise FactsError listing every problem.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from policycheck.evaluation.compile import CompiledClause, CompiledPolicy
from policycheck.evaluation.coverage import Coverage
from policycheck.evaluation.decision import Decision, Grounds, Outcome, TraceStep
from policycheck.evaluation.explain import explain, facts_text, question, reason_words, scope_words
from policycheck.evaluation.facts import FactProblem, FactsError
from policycheck.evaluation.proposal import check_proposal, validate_proposal
from policycheck.evaluation.reasons import open_atoms, waivable, why
from policycheck.evaluation.runtime import UNSET, Ctx, Node
from policycheck.language.symbols import KIND_FACT


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


def evaluate(
    policy: CompiledPolicy,
    facts: Mapping[str, Any],
    proposed: Mapping[str, Any] | None = None,
    coverage: Coverage | None = None,
) -> Decision:
    """The decision for `facts` (nested JSON), with the verdict on `proposed` if given; what it
    reached is added to `coverage` when one is given."""
    problems: list[FactProblem] = []
    try:
        known = policy.schema.validate(facts)
    except FactsError as invalid:
        problems, known = invalid.problems, {}
    problems += validate_proposal(policy, proposed)
    if problems:
        raise FactsError(problems)
    ctx = Ctx(known, policy.node_count, policy.personal)
    trace: list[TraceStep] = []
    not_applicable: list[tuple[str, Callable[[], str]]] = []
    verdicts: list[Verdict] = []
    for clause in policy.clauses:
        scope, reason = clause_scope(clause, ctx)
        trace.append(
            TraceStep(
                clause.decl.id, "scope", clause.scope_text, scope, scope_facts(clause), reason
            )
        )
        if scope is False:
            not_applicable.append((clause.decl.id, reason))
            continue
        verdicts.append(clause_verdict(clause, scope, ctx, trace))
    decision = _decide(policy, verdicts, ctx, trace, tuple(not_applicable))
    if coverage is not None:
        coverage.record(ctx, decision)
    if proposed is not None:
        evaluated = {v.clause.decl.id for v in verdicts}
        return check_proposal(decision, proposed, not_applicable, evaluated)
    return decision


# -- scope ----------------------------------------------------------------------------------------


def clause_scope(clause: CompiledClause, ctx: Ctx) -> tuple[bool | None, Callable[[], str]]:
    """Whether the clause applies, and a note saying why not (or what is unknown)."""
    kind_ok: bool | None = True
    if clause.kinds is not None:
        kind = ctx.facts.get(KIND_FACT)
        kind_ok = None if kind is None else kind in clause.kinds
        if kind_ok is False:
            return (
                False,
                lambda: f"{KIND_FACT} = {kind} is not {' or '.join(sorted(clause.kinds or ()))}",
            )
    group_ok: bool | None = True
    group = clause.group
    if group is not None:
        group_ok = ctx.values[group.index]
        if group_ok is UNSET:
            group_ok = group.fn(ctx)
        if group_ok is False:
            scope = clause.decl.scope
            name = scope.group.name if scope and scope.group else ""
            return False, lambda: f"{facts_text(group, ctx)} is not {name}"
    if kind_ok is None or group_ok is None:
        return None, lambda: "unknown: " + ", ".join(_missing(scope_facts(clause), ctx))
    return True, _no_note


def _no_note() -> str:
    return ""


def scope_facts(clause: CompiledClause) -> tuple[str, ...]:
    """The facts a clause's scope reads: the request kind and its group's facts."""
    facts = (KIND_FACT,) if clause.kinds is not None else ()
    return facts + (clause.group.facts if clause.group is not None else ())


# -- one clause -----------------------------------------------------------------------------------


def clause_verdict(
    clause: CompiledClause, scope: bool | None, ctx: Ctx, trace: list[TraceStep]
) -> Verdict:
    verdict = Verdict(clause, scope)
    possible: list[tuple[str, Node | None, bool | None]] = []
    for rule in clause.rules:
        value = rule.node.fn(ctx)
        trace.append(_step(clause, "condition", rule.node, value, ctx))
        if value is not False:
            possible.append((rule.outcome, rule.node, value))
        if value is True:
            break
    else:
        possible.append((clause.otherwise, None, None))
    outcomes = {outcome for outcome, _, _ in possible}
    failed: list[Node] = []
    if "allow" in outcomes:
        for requirement in clause.requirements:
            value = requirement.fn(ctx)
            trace.append(_step(clause, "requirement", requirement, value, ctx))
            if value is False:
                failed.append(requirement)
            elif value is None:
                verdict.unchecked.append(requirement)
    if failed:
        verdict.outcome = "refuse"
        verdict.reasons = [(node, "formal") for node in failed]
        if outcomes != {"allow"}:  # the refusal may also rest on a rule not yet known
            verdict.unknown = [
                n for _, node, v in possible if v is None and node for n in why(node, None, ctx)
            ]
    elif len(outcomes) == 1:
        verdict.outcome = outcomes.pop()
        verdict.reasons = [(atom, "rule") for atom in _grounds(clause, possible[-1], ctx)]
        if verdict.outcome == "refuse":
            deciding = [possible[-1][1]] if possible[-1][1] else [r.node for r in clause.rules]
            verdict.open = [atom for node in deciding for atom in open_atoms(node, ctx)]
    else:
        verdict.unknown = [
            n for _, node, v in possible if v is None and node for n in why(node, None, ctx)
        ]
    return verdict


def _grounds(
    clause: CompiledClause, deciding: tuple[str, Node | None, bool | None], ctx: Ctx
) -> list[Node]:
    """The atoms an outcome rests on: the rule that held, or every rule that did not."""
    _, node, _ = deciding
    if node is not None:
        return why(node, True, ctx)
    return [
        atom
        for rule in clause.rules
        for atom in why(rule.node, False, ctx)
        if ctx.values[rule.node.index] is False
    ]


def _step(clause: CompiledClause, kind: str, node: Node, value: bool | None, ctx: Ctx) -> TraceStep:
    result = next((ctx.withins[i] for i in node.withins if i in ctx.withins), None)
    if result is None:
        return TraceStep(clause.decl.id, kind, node.text, value, node.facts)
    deadline = result.deadline.last_day if result.deadline else None
    note = "the region is unknown" if result.region_unknown else ""
    return TraceStep(
        clause.decl.id,
        kind,
        node.text,
        value,
        node.facts,
        note,
        deadline,
        result.margin,
        result.margin_unit,
    )


# -- the decision ---------------------------------------------------------------------------------


def _decide(
    policy: CompiledPolicy,
    verdicts: list[Verdict],
    ctx: Ctx,
    trace: list[TraceStep],
    not_applicable: tuple[tuple[str, Callable[[], str]], ...],
) -> Decision:
    applicable = [v for v in verdicts if v.scope is True]
    beaten = {b for v in applicable for b in v.clause.beats}
    for v in verdicts:
        if v.clause.decl.id in beaten:
            winner = next(
                w.clause.decl.id for w in applicable if v.clause.decl.id in w.clause.beats
            )
            trace.append(
                TraceStep(
                    v.clause.decl.id, "precedence", f"clause {winner} takes precedence", False
                )
            )
    winners = [v for v in applicable if v.clause.decl.id not in beaten]
    undecided = [v for v in verdicts if v.scope is None and v.clause.decl.id not in beaten]
    base = _Builder(policy, ctx, trace, not_applicable)
    maybe: list[str] = []
    if undecided:
        unknown = [n for v in undecided for n in v.unknown]
        facts = [f for v in undecided for f in _missing(scope_facts(v.clause), ctx)]
        if not _settled([*winners, *undecided]) or not winners:
            return base.needs_info(winners[0] if len(winners) == 1 else None, unknown, facts)
        # Whether or not the undecided clauses apply, the answer is the same.
        for v in undecided:
            trace.append(
                TraceStep(v.clause.decl.id, "precedence", f"may apply; gives {v.outcome} too", None)
            )
        maybe = facts
    if not winners:
        return base.make(Outcome.NO_CLAUSE, None)
    if any(v.outcome is None for v in winners):
        unsure = [v for v in winners if v.outcome is None]
        return base.needs_info(
            winners[0] if len(winners) == 1 else None, [n for v in unsure for n in v.unknown], []
        )
    if len({v.outcome for v in winners}) > 1:
        return base.make(
            Outcome.CONFLICT, None, conflicting=tuple(v.clause.decl.id for v in winners)
        )
    return base.decided(winners[0], maybe)


def _settled(verdicts: list[Verdict]) -> bool:
    """True when these clauses give one known outcome and, for an allowance, the same remedy,
    obligations and fees: then which of them applies changes nothing for the customer."""
    outcomes = {v.outcome for v in verdicts}
    if None in outcomes or len(outcomes) != 1:
        return False
    if outcomes == {"refuse"}:
        return True
    terms = {
        (v.clause.decl.remedy, v.clause.decl.obligations, v.clause.decl.fees) for v in verdicts
    }
    return len(terms) == 1


class _Builder:
    """Puts a Decision together from the verdict that decides it."""

    def __init__(
        self,
        policy: CompiledPolicy,
        ctx: Ctx,
        trace: list[TraceStep],
        not_applicable: tuple[tuple[str, Callable[[], str]], ...],
    ) -> None:
        self.policy, self.ctx, self.trace, self.not_applicable = policy, ctx, trace, not_applicable

    def make(self, outcome: Outcome, verdict: Verdict | None, **extra: Any) -> Decision:
        header = self.policy.header
        ctx, not_applicable = self.ctx, self.not_applicable
        conflicting = extra.pop("conflicting", ())

        def grounds() -> Grounds:
            reasons = verdict.reasons if verdict else []
            return Grounds(
                scope=scope_words(verdict.clause, ctx) if verdict else "",
                reasons=tuple(reason_words(n, ctx) for n, _ in reasons),
                late_only=bool(reasons) and all(n.within and k == "rule" for n, k in reasons),
                not_applicable=tuple((cid, note()) for cid, note in not_applicable),
                conflicting=conflicting,
                formal=any(kind == "formal" for _, kind in reasons),
            )

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
            trace=tuple(self.trace),
            facts=self.ctx.facts,
            make_grounds=grounds,
            explainer=explain,
        )

    def needs_info(
        self, verdict: Verdict | None, unknown: list[Node], facts: list[str]
    ) -> Decision:
        missing = list(dict.fromkeys([*facts, *(f for n in unknown for f in n.facts)]))
        extra = self.period(verdict) if verdict is not None else {}
        return self.make(
            Outcome.NEEDS_INFO, verdict, **extra, **self.questions(_missing(missing, self.ctx))
        )

    def period(self, verdict: Verdict) -> dict[str, Any]:
        """The deadline and margin of the clause's period, whenever the facts determine them
        (also when the outcome waits on other facts)."""
        ctx = self.ctx
        result = next((ctx.withins[i] for i in verdict.clause.withins if i in ctx.withins), None)
        if result is None:
            return {}
        return {
            "deadline": result.deadline.last_day if result.deadline else None,
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
                Outcome.ALLOW, verdict, obligations=clause.decl.obligations + checks, **extra
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
                missing = _missing([f for n in verdict.open for f in n.facts], ctx)
                return self.make(Outcome.REFUSE, verdict, **extra, **self.questions(missing))
        return self.make(Outcome.REFUSE, verdict, rigid=rigid, discretion=discretion, **extra)

    def questions(self, missing: list[str]) -> dict[str, tuple[str, ...]]:
        """`missing` and `questions` for a decision: the facts and what to ask for each."""
        declared = self.policy.schema.declared
        questions = tuple(
            question(declared[name].question, name, self.policy.header.language)
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


# -- words ----------------------------------------------------------------------------------------


def _missing(names: tuple[str, ...] | list[str], ctx: Ctx) -> list[str]:
    return [name for name in dict.fromkeys(names) if name not in ctx.facts]
