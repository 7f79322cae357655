"""What the evaluator decides, as SMT terms: a clause's scope, its verdict, the winners and the
decision's outcome (`evaluation.evaluate` in formulas, read rule by rule from its code)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import z3

from policycheck.analysis.encode import Encoder
from policycheck.analysis.terms import Tri
from policycheck.evaluation.compile import CompiledClause, CompiledPolicy
from policycheck.language.symbols import KIND_FACT


@dataclass(frozen=True)
class ClauseTerms:
    """One clause as the solver sees it."""

    clause: CompiledClause
    scope: Tri  # applies (true), does not (false), unknown
    allow: Any  # its verdict is allow (a known outcome)
    refuse: Any  # its verdict is refuse


class Decisions:
    """The terms of every clause of a policy, and of the outcome of its decision."""

    def __init__(self, encoder: Encoder, policy: CompiledPolicy) -> None:
        self.encoder = encoder
        self.policy = policy
        self.clauses = {c.decl.id: self._clause(c) for c in policy.clauses}
        # who directly takes precedence over whom, as the evaluator reads it
        self.beaten_by = {
            c.decl.id: [w.decl.id for w in policy.clauses if c.decl.id in w.beats]
            for c in policy.clauses
        }

    def _clause(self, clause: CompiledClause) -> ClauseTerms:
        scope = self.scope(clause)
        allow, refuse = self.verdict(clause)
        return ClauseTerms(clause, scope, allow, refuse)

    def scope(self, clause: CompiledClause) -> Tri:
        """`clause_scope`: the request kind among the clause's, and its group."""
        parts: list[Tri] = []
        if clause.kinds is not None:
            kind = self.encoder.fact(KIND_FACT)
            among = z3.Or(
                [kind.value == self.encoder.string(k) for k in sorted(clause.kinds)],
                self.encoder.ctx,
            )
            parts.append(
                Tri(
                    z3.And(kind.known, among, self.encoder.ctx),
                    z3.And(kind.known, z3.Not(among), self.encoder.ctx),
                )
            )
        if clause.group is not None:
            parts.append(self.encoder.node(clause.group))
        if not parts:
            return Tri(z3.BoolVal(True, self.encoder.ctx), z3.BoolVal(False, self.encoder.ctx))
        return Tri(
            z3.And([p.true for p in parts], self.encoder.ctx),
            z3.Or([p.false for p in parts], self.encoder.ctx),
        )

    def verdict(self, clause: CompiledClause) -> tuple[Any, Any]:
        """`clause_verdict`: the first rule that holds decides; a rule unknown before it leaves
        both outcomes possible; a requirement that fails turns a possible allowance into a
        refusal. Returns (allow, refuse): the verdict is that known outcome."""
        rules = [(rule.outcome, self.encoder.node(rule.node)) for rule in clause.rules]
        possible: dict[str, list[Any]] = {"allow": [], "refuse": []}
        reached: list[Any] = []  # no rule before this one holds
        for outcome, value in rules:
            possible[outcome].append(z3.And([*reached, z3.Not(value.false)], self.encoder.ctx))
            reached.append(z3.Not(value.true))
        possible[clause.otherwise].append(z3.And(reached, self.encoder.ctx))
        may_allow, may_refuse = (
            z3.Or(possible["allow"], self.encoder.ctx),
            z3.Or(possible["refuse"], self.encoder.ctx),
        )
        requirements = [self.encoder.node(r) for r in clause.requirements]
        failed = z3.And(
            may_allow, z3.Or([r.false for r in requirements], self.encoder.ctx), self.encoder.ctx
        )
        allow = z3.And(z3.Not(failed), may_allow, z3.Not(may_refuse), self.encoder.ctx)
        refuse = z3.Or(failed, z3.And(may_refuse, z3.Not(may_allow)), self.encoder.ctx)
        return allow, refuse

    # -- the decision -----------------------------------------------------------------------------

    @functools.cache  # noqa: B019 - one Decisions per analysis, kept as long as it
    def beaten(self, clause_id: str) -> Any:
        """A clause that takes precedence over it applies."""
        return z3.Or(
            [self.clauses[w].scope.true for w in self.beaten_by[clause_id]], self.encoder.ctx
        )

    @functools.cache  # noqa: B019
    def winner(self, clause_id: str) -> Any:
        """It applies and no clause that applies takes precedence over it."""
        return z3.And(
            self.clauses[clause_id].scope.true, z3.Not(self.beaten(clause_id)), self.encoder.ctx
        )

    def no_clause(self) -> Any:
        """No clause applies (the request kind is not one the policy is silent on by design)."""
        silent = [k.name for decl in self.policy.rule_file.outside for k in decl.kinds]
        kind = self.encoder.fact(KIND_FACT) if KIND_FACT in self.encoder.declared else None
        outside = (
            z3.And(
                kind.known,
                z3.Or([kind.value == self.encoder.string(k) for k in silent], self.encoder.ctx),
                self.encoder.ctx,
            )
            if kind is not None and silent
            else z3.BoolVal(False, self.encoder.ctx)
        )
        known = [kind.known] if kind is not None else []  # a request says what it asks for
        return z3.And(
            *known,
            *[t.scope.false for t in self.clauses.values()],
            z3.Not(outside),
            self.encoder.ctx,
        )

    @functools.cache  # noqa: B019
    def settled(self) -> Any:
        """Every clause's scope known and every winner's outcome known: the decision is the
        winners' outcome, or a conflict."""
        known = [z3.Not(t.scope.unknown) for t in self.clauses.values()]
        outcomes = [
            z3.Implies(self.winner(cid), z3.Or(t.allow, t.refuse, self.encoder.ctx))
            for cid, t in self.clauses.items()
        ]
        return z3.And(known + outcomes, self.encoder.ctx)

    def conflict(self, first: str, second: str) -> Any:
        """Both win with different outcomes: the decision is `conflict`."""
        one, two = self.clauses[first], self.clauses[second]
        differ = z3.Or(
            z3.And(one.allow, two.refuse), z3.And(one.refuse, two.allow), self.encoder.ctx
        )
        return z3.And(
            self.settled(), self.winner(first), self.winner(second), differ, self.encoder.ctx
        )

    def any_conflict(self) -> Any:
        """Some two winners with different outcomes."""
        allow = z3.Or(
            [z3.And(self.winner(c), t.allow) for c, t in self.clauses.items()], self.encoder.ctx
        )
        refuse = z3.Or(
            [z3.And(self.winner(c), t.refuse) for c, t in self.clauses.items()], self.encoder.ctx
        )
        return z3.And(self.settled(), allow, refuse, self.encoder.ctx)
