"""What the policy decides, searched over every request: requests no clause covers (gaps,
PC407) and requests two clauses decide differently with no precedence (overlaps, PC402).

A request is said only once the evaluator has decided it as the finding says: `no_clause` for a
gap, `conflict` naming both clauses for an overlap; otherwise the finding is undecided (PC412).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import z3

from policycheck.analysis.encode import Encoder
from policycheck.analysis.session import Session
from policycheck.analysis.solve import Answer, Request, Result
from policycheck.evaluation.decision import Outcome

MAX_OVERLAPS = 20  # pairs of overlapping clauses reported, at most
MAX_GAPS = 3  # requests shown for a gap


def gaps(session: Session) -> None:
    """PC407, with up to three requests that reach no clause; or the proof of none."""
    header = session.file.header
    if not session.policy.clauses:
        session.warn(
            "PC407",
            "no clause covers any request",
            header.span,
            note="no clause of this policy applies, whatever the facts",
            help='add a clause, or declare the policy silent with `outside KIND "why"`',
        )
        return

    def shows(request: Request) -> bool:
        decision = session.decide(request)
        return decision is not None and decision.outcome is Outcome.NO_CLAUSE

    shown: list[Request] = []
    goal = session.decisions.no_clause()
    while len(shown) < MAX_GAPS:
        result = session.ask(goal)
        if result.answer is Answer.NONE:
            break
        if result.answer is Answer.UNKNOWN or not shows(_request(result)):
            why = result if result.answer is Answer.UNKNOWN else _disagrees("no_clause")
            session.unknown("whether some request reaches no clause", header.span, why)
            return
        request = session.smallest(_request(result), shows)
        shown.append(request)
        goal = z3.And(goal, _not_like(session.encoder, request))
    if not shown:
        session.result.proved.append("no gap")
        return
    more = " (and maybe more)" if len(shown) == MAX_GAPS else ""
    session.warn(
        "PC407",
        f"no clause covers {shown[0].words()}",
        header.span,
        note="for such a request the decision is no_clause" + session.beneath(),
        help=f"for example: {'; '.join(r.words() for r in shown)}{more}; add a clause, or "
        'declare the policy silent with `outside KIND "why"`',
    )


def overlaps(session: Session) -> None:
    """PC402 for each pair of clauses some request finds in conflict (at most 20); or the proof
    of none. Each pair found is set aside and the search goes on: when it ends, every request
    in conflict is one of a reported pair."""
    if len(session.policy.clauses) < 2:
        session.result.proved.append("no overlap")
        return
    goal = session.decisions.any_conflict()
    reported = 0
    while reported < MAX_OVERLAPS:
        result = session.ask(goal)
        if result.answer is Answer.NONE:
            break
        pair = _pair_in(session, _request(result)) if result.answer is Answer.FOUND else None
        if pair is None:  # the evaluator must agree before it is said
            why = result if result.answer is Answer.UNKNOWN else _disagrees("conflict")
            session.unknown("whether two clauses overlap", session.file.header.span, why)
            return
        first, second = pair
        _overlap(
            session, first, second, session.smallest(_request(result), _conflict(session, pair))
        )
        reported += 1
        goal = z3.And(goal, z3.Not(session.decisions.conflict(first, second)))
    if reported == 0:
        session.result.proved.append("no overlap")


def _pair_in(session: Session, request: Request) -> tuple[str, str] | None:
    """Two clauses of different outcomes in the conflict the request gives, in file order."""
    decision = session.decide(request)
    if decision is None or decision.outcome is not Outcome.CONFLICT:
        return None
    conflicting = decision.grounds_in("en").conflicting
    outcomes = {c: session.outcome(c, request) for c in conflicting}
    allows = [c for c, o in outcomes.items() if o == "allow"]
    refuses = [c for c, o in outcomes.items() if o == "refuse"]
    if not allows or not refuses:
        return None
    order = [c.decl.id for c in session.policy.clauses]
    first, second = sorted((allows[0], refuses[0]), key=order.index)
    return first, second


def _conflict(session: Session, pair: tuple[str, str]) -> Callable[[Request], bool]:
    def shows(request: Request) -> bool:
        decision = session.decide(request)
        return (
            decision is not None
            and decision.outcome is Outcome.CONFLICT
            and set(pair) <= set(decision.grounds_in("en").conflicting)
        )

    return shows


def _overlap(session: Session, first: str, second: str, request: Request) -> None:
    one, two = session.outcome(first, request), session.outcome(second, request)
    session.warn(
        "PC402",
        f"clauses `{first}` and `{second}` overlap",
        session.policy.by_id[second].decl.span,
        note=f"both apply with different outcomes: {first} gives {one}, {second} gives {two}"
        + session.beneath(),
        help=f"for example: {request.words()}; declare `exception to {first}` "
        "(or `overrides`) in the clause that should win",
    )


def _request(result: Result) -> Request:
    assert result.request is not None
    return result.request


def _disagrees(outcome: str) -> Result:
    return Result(Answer.UNKNOWN, why=f"its request did not give {outcome}")


def _not_like(encoder: Encoder, request: Request) -> Any:
    """Not a request with the same values of the finite facts (enum, yes/no) `request` knows."""
    same = []
    for name, value in request.facts.items():
        term = encoder.facts[name]
        if term.kind == "enum":
            same.append(z3.And(term.known, term.value == encoder.string(str(value)), encoder.ctx))
        elif term.kind == "bool":
            same.append(z3.And(term.known, term.value == bool(value), encoder.ctx))
    return z3.Not(z3.And(same, encoder.ctx)) if same else z3.BoolVal(False, encoder.ctx)
