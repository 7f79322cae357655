"""What no request reaches: clauses that never apply or are always overridden (PC408), and
conditions that never hold, or always hold so that the rules after them are dead (PC409).

Each is a proof that no request reaches it; a request found on the way that reaches it answers
the question without asking (`Session.observe`).
"""

from __future__ import annotations

from typing import Any

import z3

from policycheck.analysis.session import Session
from policycheck.analysis.solve import Answer, Request
from policycheck.evaluation.compile import CompiledClause
from policycheck.evaluation.evaluate import clause_scope
from policycheck.evaluation.facts import FactsError
from policycheck.evaluation.runtime import Ctx, Node
from policycheck.language.source import Span


def unreachable(session: Session) -> None:
    """PC408 for each clause no request applies to, or always overridden where it applies."""
    decisions, clean = session.decisions, True
    for clause in session.policy.clauses:
        cid, decl = clause.decl.id, clause.decl
        beaten_by = decisions.beaten_by[cid]
        if cid not in session.applying:
            result = session.ask(decisions.clauses[cid].scope.true, [clause])
            if result.answer is Answer.UNKNOWN:
                session.unknown(f"whether clause `{cid}` can apply", decl.span, result)
                clean = False
                continue
            if result.answer is Answer.NONE:
                session.warn(
                    "PC408",
                    f"clause `{cid}` can never apply",
                    decl.span,
                    note="no request satisfies its scope",
                    help="its scope contradicts itself: check `applies to` and its group",
                )
                clean = False
                continue
        if cid in session.winning or not beaten_by:
            continue
        beating = [session.policy.by_id[w] for w in beaten_by]
        result = session.ask(decisions.winner(cid), [clause, *beating])
        if result.answer is Answer.UNKNOWN:
            session.unknown(f"whether clause `{cid}` is always overridden", decl.span, result)
            clean = False
        elif result.answer is Answer.NONE:
            clean = False
            _overridden(session, clause)
    if clean:
        session.result.proved.append("no unreachable clause")


def _overridden(session: Session, clause: CompiledClause) -> None:
    cid = clause.decl.id
    example = session.ask(session.decisions.clauses[cid].scope.true, [clause]).request
    beats = session.precedence
    stronger = sorted(c for c in beats if cid in beats[c])
    session.warn(
        "PC408",
        f"clause `{cid}` is always overridden",
        clause.decl.span,
        note=f"whenever it applies, clause {', '.join(stronger)} takes precedence",
        help=f"for example: {example.words()}"
        if example
        else "remove it, or narrow the clauses that take precedence",
    )


def dead_conditions(session: Session) -> None:
    """PC409 for each rule or requirement that never holds where its clause applies, and each
    rule before the last that always holds there."""
    clean = True
    for clause in session.policy.clauses:
        last = clause.rules[-1].node if clause.rules else None
        checks = [(rule.node, rule.node is not last) for rule in clause.rules]
        checks += [(node, False) for node in clause.requirements]
        for node, may_be_always in checks:
            clean &= _live(session, clause, node, may_be_always)
    if clean:
        session.result.proved.append("no dead condition")


def _live(session: Session, clause: CompiledClause, node: Node, may_be_always: bool) -> bool:
    """Whether the condition can hold (and fail, for a rule before the last) where its clause
    applies; True when both are shown."""
    scope = session.decisions.clauses[clause.decl.id].scope
    value = session.encoder.node(node)
    questions = [(True, value.true, "hold", "never holds")]
    if may_be_always:
        always = "always holds: the rules after it are never reached"
        questions.append((False, value.false, "fail", always))
    for shown, term, verb, finding in questions:
        if shown in session.seen.get(node.index, set()):
            continue  # a request found before shows it, where its clause applies
        result = session.ask(z3.And(scope.true, term), [clause])
        if result.answer is Answer.UNKNOWN:
            span = _span_of(session, clause, node)
            session.unknown(f"whether `{node.text}` can {verb}", span, result)
            return False
        if result.answer is Answer.NONE:
            opposite = value.false if shown else value.true
            _dead(
                session, clause, node, finding, _example(session, clause, node, opposite, not shown)
            )
            return False
    return True


def _example(
    session: Session, clause: CompiledClause, node: Node, term: Any, holds: bool
) -> Request | None:
    """A request the clause applies to where the condition is `holds` (checked)."""
    scope = session.decisions.clauses[clause.decl.id].scope
    request = session.ask(z3.And(scope.true, term), [clause]).request
    if request is None:
        return None
    ctx = Ctx(dict(request.facts), session.policy.node_count)
    try:
        if clause_scope(clause, ctx)[0] is True and node.fn(ctx) is holds:
            return request
    except FactsError:
        pass
    return None


def _dead(
    session: Session, clause: CompiledClause, node: Node, what: str, example: Request | None
) -> None:
    shown = ""
    if example is not None:
        value = "false" if what.startswith("never") else "true"
        shown = f"for example: {example.words()}, where it is {value}; "
    session.warn(
        "PC409",
        f"condition `{node.text}` {what.split(':')[0]}",
        _span_of(session, clause, node),
        note=f"in clause {clause.decl.id}, for every request it applies to, it {what}",
        help=f"{shown}check the condition against the terms; a contradiction or a "
        "tautology is usually a typo",
    )


def _span_of(session: Session, clause: CompiledClause, node: Node) -> Span:
    decl = clause.decl
    spans = [r.expr.span for r in decl.rules] + [e.span for e in decl.requirements]
    texts = [session.policy.source.excerpt(s) for s in spans]
    return spans[texts.index(node.text)] if node.text in texts else decl.span
