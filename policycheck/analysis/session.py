"""One analysis of one policy: its limits, its report, and the questions it asks the solver.

Every question goes through `Session.ask`, which keeps the analysis within its budget and
learns from each request the solver finds which clauses apply and win there and which values
their conditions take (so that most questions are answered before they are asked).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from policycheck.analysis.encode import Encoder
from policycheck.analysis.solve import Answer, Prover, Request, Result
from policycheck.analysis.verdicts import Decisions
from policycheck.evaluation.compile import CompiledClause, CompiledPolicy
from policycheck.evaluation.decision import Decision
from policycheck.evaluation.evaluate import clause_scope, clause_verdict, evaluate
from policycheck.evaluation.facts import FactsError
from policycheck.evaluation.runtime import Ctx, Node
from policycheck.language import nodes
from policycheck.language.diagnostics import Diagnostic, Severity
from policycheck.language.source import Span
from policycheck.language.symbols import KIND_FACT, transitive

SOLVER_TIMEOUT_MS = 10_000  # per finding (`check --solver-timeout`)
ANALYSIS_BUDGET_S = 120.0  # per rule file (`check --analysis-budget`)


@dataclass(frozen=True)
class Settings:
    """How long the analysis may take: per question, and in all."""

    solver_timeout_ms: int = SOLVER_TIMEOUT_MS
    budget_s: float = ANALYSIS_BUDGET_S


@dataclass
class Analysis:
    """What the analysis found (warnings, and notes for what it could not decide or skipped)
    and what it proved for every request."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    proved: list[str] = field(default_factory=list)
    # what the proofs assume beyond the rule file, said with them ("" when nothing)
    assuming: str = ""
    seconds: float = 0.0
    questions: int = 0


class BudgetError(Exception):
    """The analysis's total budget ran out."""


class Session:
    """The state of one analysis: the policy, the report so far, the solver and what the
    requests it found have shown."""

    def __init__(self, policy: CompiledPolicy, rule_file: nodes.RuleFile, settings: Settings):
        self.policy = policy
        self.file = rule_file
        self.settings = settings
        self.ends = time.monotonic() + settings.budget_s
        self.result = Analysis()
        # what the requests found so far showed: clauses that apply, that win, and the values
        # their conditions took where their clause applies (by node index)
        self.applying: set[str] = set()
        self.winning: set[str] = set()
        self.seen: dict[int, set[bool | None]] = {}

    @functools.cached_property
    def precedence(self) -> dict[str, set[str]]:
        """Per clause, the clauses it takes precedence over, directly or through others."""
        return transitive({c.decl.id: set(c.beats) for c in self.policy.clauses})

    def start_solver(self) -> None:
        """The policy's terms and the solver (RecursionError: too deep for them)."""
        self.encoder = Encoder(self.policy)
        self.decisions = Decisions(self.encoder, self.policy)
        self.prover = Prover(self.encoder, self.settings.solver_timeout_ms)

    # -- the report --------------------------------------------------------------------------

    def warn(self, code: str, message: str, span: Span, note: str, help: str) -> None:
        self.result.diagnostics.append(
            Diagnostic(code, Severity.WARNING, message, span, self.policy.source.name, note, help)
        )

    def note(self, code: str, message: str, span: Span, note: str, help: str) -> None:
        self.result.diagnostics.append(
            Diagnostic(code, Severity.NOTE, message, span, self.policy.source.name, note, help)
        )

    def unknown(self, what: str, span: Span, result: Result) -> None:
        """PC412: the solver said nothing on `what`; said as such, never guessed."""
        self.note(
            "PC412",
            f"undecided: {what}",
            span,
            note=f"the solver gave no answer: {result.why}",
            help="neither proved nor shown; give it longer with `check --solver-timeout MS`",
        )

    def beneath(self) -> str:
        """For a policy subject to a law: the law may still answer where the terms do not."""
        if not self.file.laws:
            return ""
        return " (of the terms; the law beneath them may still decide it)"

    # -- asking ------------------------------------------------------------------------------

    def ask(self, goal: Any, about: list[CompiledClause] | None = None) -> Result:
        """The solver's answer on `goal` (about these clauses' conditions; None: any)."""
        left = self.ends - time.monotonic()
        if left <= 0:
            raise BudgetError
        limit = min(self.settings.solver_timeout_ms, int(left * 1000) + 1)
        reads = None if about is None else [node for c in about for node in conditions(c)]
        result = self.prover.find(goal, limit, reads)
        if result.answer is Answer.UNKNOWN and time.monotonic() >= self.ends:
            raise BudgetError
        if result.request is not None:
            self.observe(result.request)
        return result

    def observe(self, request: Request) -> None:
        """What a request shows: the clauses that apply and win, their conditions' values."""
        ctx = Ctx(dict(request.facts), self.policy.node_count)
        try:
            scopes = {c.decl.id: clause_scope(c, ctx)[0] for c in self.policy.clauses}
            true = {cid for cid, value in scopes.items() if value is True}
            for cid in true:
                for node in decision_conditions(self.policy.by_id[cid]):
                    self.seen.setdefault(node.index, set()).add(node.fn(ctx))
        except FactsError:
            return
        self.applying |= true
        beaten = self.decisions.beaten_by
        self.winning |= {c for c in true if not any(w in true for w in beaten[c])}

    # -- the evaluator's word ----------------------------------------------------------------

    def decide(self, facts: Request) -> Decision | None:
        """The decision for a request the analysis built (None when its facts are invalid)."""
        try:
            return evaluate(self.policy, facts.json())
        except FactsError:
            return None

    def outcome(self, clause_id: str, request: Request) -> str:
        """The clause's own verdict on `request` (it applies to it)."""
        ctx = Ctx(dict(request.facts), self.policy.node_count)
        return clause_verdict(self.policy.by_id[clause_id], True, ctx, None).outcome or "unknown"

    def smallest(self, request: Request, shows: Callable[[Request], bool]) -> Request:
        """The request with every fact it does not need left unknown (but its kind)."""
        facts = dict(request.facts)
        for name in [f for f in facts if f != KIND_FACT]:
            trial = {k: v for k, v in facts.items() if k != name}
            if shows(Request(trial)):
                facts = trial
        return Request(facts)


def decision_conditions(clause: CompiledClause) -> list[Node]:
    """A clause's rules and requirements."""
    return [rule.node for rule in clause.rules] + list(clause.requirements)


def conditions(clause: CompiledClause) -> list[Node]:
    """Every condition of a clause's scope and decision."""
    found = decision_conditions(clause)
    return found + ([clause.group] if clause.group is not None else [])
