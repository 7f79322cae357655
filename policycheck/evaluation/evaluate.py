"""CompiledPolicy x facts -> Decision: scope first, three-valued conditions, precedence, rigidity.

Never raises on schema-valid facts; invalid facts raise FactsError listing every problem.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from zoneinfo import ZoneInfo

from policycheck.evaluation.assemble import DecisionBuilder, Verdict, missing
from policycheck.evaluation.clock import Reading, read_on_clock, settle
from policycheck.evaluation.compile import CompiledClause, CompiledPolicy
from policycheck.evaluation.coverage import Coverage
from policycheck.evaluation.decision import Decision, Outcome, TraceStep
from policycheck.evaluation.explain import facts_text, speech_of
from policycheck.evaluation.facts import FactProblem, FactsError, FactValue
from policycheck.evaluation.layers import (
    BoundLaw,
    combine,
    in_force,
    law_decides,
    overruled_proposal,
)
from policycheck.evaluation.proposal import check_proposal, validate_proposal
from policycheck.evaluation.reasons import open_atoms, why
from policycheck.evaluation.runtime import UNSET, Ctx, Node
from policycheck.evaluation.words import question
from policycheck.language.symbols import KIND_FACT


def evaluate(
    policy: CompiledPolicy,
    facts: Mapping[str, Any],
    proposed: Mapping[str, Any] | None = None,
    coverage: Coverage | None = None,
    laws: tuple[BoundLaw, ...] = (),
) -> Decision:
    """The decision for `facts` (nested JSON) under the terms and the `laws` beneath them, with
    the verdict on `proposed` if given; what the terms reached is added to `coverage`."""
    problems: list[FactProblem] = []
    try:
        readings = read_on_clock(policy.schema, policy.clock, policy.tz, facts)
    except FactsError as invalid:
        problems, readings = invalid.problems, []
    problems += validate_proposal(policy, proposed)
    if problems:
        raise FactsError(problems)
    if len(readings) == 1 or policy.clock is None:
        return _layered(policy, readings[0], proposed, coverage, laws)
    # The customer's region is unknown and their zones read the date-times differently.
    decisions = [_layered(policy, reading, proposed, coverage, laws) for reading in readings]
    region = policy.clock.region_fact
    language = policy.header.language
    ask = question(region, policy.schema.declared[region], language, language)
    speech = speech_of(policy)
    decision = settle(readings, decisions, policy.clock, ask, policy.personal, speech.label)
    if proposed is not None and decision.proposal is None:  # a needs_info of its own
        return check_proposal(decision, proposed, [], ())
    return decision


def _layered(
    policy: CompiledPolicy,
    reading: Reading,
    proposed: Mapping[str, Any] | None,
    coverage: Coverage | None,
    laws: tuple[BoundLaw, ...],
) -> Decision:
    """The decision for the facts as read on one clock, under the terms and the laws."""
    tz, known = reading
    ctx, decision, not_applicable, evaluated = _terms(policy, known, policy.personal, tz=tz)
    if coverage is not None:
        coverage.record(ctx, decision)
    decision = _beneath(decision, ctx, laws)
    if proposed is not None:
        overruled = overruled_proposal(decision, proposed)
        if overruled is not None:
            return dataclasses.replace(decision, proposal=overruled)
        return check_proposal(decision, proposed, list(not_applicable), evaluated)
    return decision


def _terms(
    policy: CompiledPolicy,
    known: dict[str, FactValue],
    personal: frozenset[str],
    traced: bool = True,
    tz: ZoneInfo | None = None,
) -> tuple[Ctx, Decision, tuple[tuple[str, Callable[[], str]], ...], set[str]]:
    """The terms' own decision on valid facts, with what the proposal check needs; without its
    trace when not `traced` (a law's answer that will not be shown); `tz`: the customer's zone,
    whose clock reads the periods (None: the policy's)."""
    ctx = Ctx(known, policy.node_count, personal, tz)
    covered = policy.covered_kinds
    if not traced and covered is not None and known.get(KIND_FACT, covered) not in covered:
        # a kind no clause applies to: no clause, said without going through each of them
        return ctx, DecisionBuilder(policy, ctx, None, ()).make(Outcome.NO_CLAUSE, None), (), set()
    trace: list[TraceStep] | None = [] if traced else None
    not_applicable: list[tuple[str, Callable[[], str]]] = []
    verdicts: list[Verdict] = []
    for clause in policy.clauses:
        scope, reason = clause_scope(clause, ctx)
        if trace is not None:
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
    return ctx, decision, tuple(not_applicable), {v.clause.decl.id for v in verdicts}


def _beneath(decision: Decision, ctx: Ctx, laws: tuple[BoundLaw, ...]) -> Decision:
    """The decision with the laws beneath the terms, each evaluated on our facts' answers to
    its own (and the laws beneath it in turn), in the version in force on the request; the
    first law that decides is the one shown."""
    for bound, known in in_force(laws, ctx):
        law = _law_answer(bound, known, ctx, traced=False)
        if law_decides(decision, law):  # its steps are shown: evaluated again with them
            law = _law_answer(bound, known, ctx, traced=True)
        decision = combine(decision, law, bound, ctx)
        if decision.layer == "law":
            break
    return decision


def _law_answer(bound: BoundLaw, known: dict[str, FactValue], ctx: Ctx, traced: bool) -> Decision:
    """The law's own answer on its facts, with the laws beneath it, read on our request's clock
    (asked once per request within `laws_shared`)."""
    shared = _SHARED_LAWS.get()
    if shared is None:
        return _law_evaluated(bound, known, ctx, traced)
    key = (_law_key(bound), ctx.tz, traced, frozenset(known.items()))
    answer = shared.get(key)
    if answer is None:
        answer = shared[key] = _law_evaluated(bound, known, ctx, traced)
    return answer


def _law_evaluated(
    bound: BoundLaw, known: dict[str, FactValue], ctx: Ctx, traced: bool
) -> Decision:
    law_ctx, law, _, _ = _terms(bound.law, known, bound.personal, traced, ctx.tz)
    return _beneath(law, law_ctx, bound.beneath)


# The laws' answers to the request being evaluated, when shared between the versions of the terms
# it is evaluated against (`laws_shared`); None otherwise (every evaluation asks its laws).
_SHARED_LAWS: ContextVar[dict[Hashable, Decision] | None] = ContextVar("laws", default=None)


@contextmanager
def laws_shared() -> Iterator[None]:
    """Within the block, a law beneath the terms answers each request once: evaluating the same
    facts against several versions of terms subject to the same law (`diff --db` replays every
    logged request against two) asks it once, where each evaluation would ask it again. The
    law's answer is a function of its text, of the laws beneath it, of its own facts (as our
    facts answer them: a version that maps them otherwise asks anew) and of the clock that reads
    them, which make the key; what the terms said is not in it. Use one block per request: the
    answers are kept until it ends."""
    token = _SHARED_LAWS.set({})
    try:
        yield
    finally:
        _SHARED_LAWS.reset(token)


def _law_key(bound: BoundLaw) -> tuple[Any, ...]:
    """What a law's answer depends on besides its facts: its text, which of its facts are
    masked in words, and the laws beneath it."""
    return (bound.law.hash, bound.personal, tuple(_law_key(b) for b in bound.beneath))


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
        return None, lambda: "unknown: " + ", ".join(missing(scope_facts(clause), ctx))
    return True, _no_note


def _no_note() -> str:
    return ""


def scope_facts(clause: CompiledClause) -> tuple[str, ...]:
    """The facts a clause's scope reads: the request kind and its group's facts."""
    facts = (KIND_FACT,) if clause.kinds is not None else ()
    return facts + (clause.group.facts if clause.group is not None else ())


# -- one clause -----------------------------------------------------------------------------------


def clause_verdict(
    clause: CompiledClause, scope: bool | None, ctx: Ctx, trace: list[TraceStep] | None
) -> Verdict:
    verdict = Verdict(clause, scope)
    possible: list[tuple[str, Node | None, bool | None]] = []
    for rule in clause.rules:
        value = rule.node.fn(ctx)
        if trace is not None:
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
            if trace is not None:
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
    deadline = result.deadline.due if result.deadline else None
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
    trace: list[TraceStep] | None,
    not_applicable: tuple[tuple[str, Callable[[], str]], ...],
) -> Decision:
    applicable = [v for v in verdicts if v.scope is True]
    beaten = {b for v in applicable for b in v.clause.beats}
    for v in verdicts:
        if v.clause.decl.id in beaten and trace is not None:
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
    base = DecisionBuilder(policy, ctx, trace, not_applicable)
    maybe: list[str] = []
    if undecided:
        unknown = [n for v in undecided for n in v.unknown]
        facts = [f for v in undecided for f in missing(scope_facts(v.clause), ctx)]
        if not _settled([*winners, *undecided]) or not winners:
            return base.needs_info(winners[0] if len(winners) == 1 else None, unknown, facts)
        # Whether or not the undecided clauses apply, the answer is the same.
        for v in undecided:
            if trace is not None:
                step = f"may apply; gives {v.outcome} too"
                trace.append(TraceStep(v.clause.decl.id, "precedence", step, None))
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
    terms = {_settlement_terms(v.clause) for v in verdicts}
    return None not in terms and len(terms) == 1


def _settlement_terms(clause: CompiledClause) -> tuple[object, ...] | None:
    """What a clause gives an allowed request, to compare with another's; None when amounts
    are computed (which clause applies may change them: ask rather than guess)."""
    decl = clause.decl
    if decl.charges or any(r.amount is not None or r.when is not None for r in decl.remedies):
        return None
    remedies = tuple((r.kind, r.text) for r in decl.remedies)
    return (remedies, decl.obligations, decl.fees)
