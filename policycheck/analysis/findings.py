"""Static analysis of a compiled policy, proved with an SMT solver (z3): gaps, overlaps,
unreachable clauses and conditions — each shown with a request the analysis has evaluated and
seen reproduce it — and unused declarations.

Every question is asked of the solver over all requests (`encode`, `verdicts`); periods and
local days are checked against the real calendar as the solver goes (`solve`). An answer is a
request that shows the finding (evaluated with the policy: a gap's request gives `no_clause`,
an overlap's `conflict`), a proof that there is none (said in `Analysis.proved`), or `unknown`
when the solver's time limit runs out: a note (PC412), never a guess. Past the analysis's total
budget the questions left are skipped and a note (PC413) says which.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

from policycheck.analysis.encode import Encoder
from policycheck.analysis.solve import Answer, Prover, Request, Result
from policycheck.analysis.terms import FIRST_DAY, LAST_DAY
from policycheck.analysis.verdicts import Decisions
from policycheck.analysis.walk import every_expr, parts
from policycheck.evaluation.compile import CompiledClause, CompiledPolicy
from policycheck.evaluation.decision import Decision, Outcome
from policycheck.evaluation.evaluate import clause_scope, clause_verdict, evaluate
from policycheck.evaluation.facts import FactsError
from policycheck.evaluation.runtime import Ctx, Node
from policycheck.language import nodes
from policycheck.language.diagnostics import Diagnostic, Severity
from policycheck.language.nesting import refs
from policycheck.language.source import Span
from policycheck.language.symbols import KIND_FACT, transitive

SOLVER_TIMEOUT_MS = 10_000  # per finding (`check --solver-timeout`)
ANALYSIS_BUDGET_S = 120.0  # per rule file (`check --analysis-budget`)
MAX_OVERLAPS = 20  # pairs of overlapping clauses reported, at most
MAX_GAPS = 3  # requests shown for a gap


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


def analyse(
    policy: CompiledPolicy, rule_file: nodes.RuleFile, settings: Settings | None = None
) -> Analysis:
    """Every gap, overlap, unreachable clause or condition and unused declaration."""
    started = time.monotonic()
    found = _Analysis(policy, rule_file, settings or Settings()).run()
    found.diagnostics.sort(key=Diagnostic.sort_key)
    found.seconds = time.monotonic() - started
    return found


class _BudgetError(Exception):
    """The analysis's total budget ran out."""


class _Analysis:
    def __init__(self, policy: CompiledPolicy, rule_file: nodes.RuleFile, settings: Settings):
        self.policy = policy
        self.file = rule_file
        self.settings = settings
        self.ends = time.monotonic() + settings.budget_s
        self.result = Analysis()
        self.skipped: list[str] = []
        self.beats = transitive({c.decl.id: set(c.beats) for c in policy.clauses})
        # what the requests found so far showed: clauses that apply, that win, and the values
        # their conditions took where their clause applies (by node index)
        self.applying: set[str] = set()
        self.winning: set[str] = set()
        self.seen: dict[int, set[bool | None]] = {}

    def warn(self, code: str, message: str, span: Span, note: str, help: str) -> None:
        self.result.diagnostics.append(
            Diagnostic(code, Severity.WARNING, message, span, self.policy.source.name, note, help)
        )

    def note(self, code: str, message: str, span: Span, note: str, help: str) -> None:
        self.result.diagnostics.append(
            Diagnostic(code, Severity.NOTE, message, span, self.policy.source.name, note, help)
        )

    def run(self) -> Analysis:
        if self.policy.clock is not None and any(
            f.type.kind == "datetime" for f in self.file.facts
        ):  # the solver reads them in one zone; each customer's may differ
            self.result.assuming = "date-times read on the policy's own clock"
        self.unused()
        steps: list[tuple[str, Callable[[], None]]] = [
            ("gaps", self.gaps),
            ("overlaps", self.overlaps),
            ("clauses that never apply", self.unreachable),
            ("conditions that never or always hold", self.dead_conditions),
        ]
        try:
            self.encoder = Encoder(self.policy)
            self.decisions = Decisions(self.encoder, self.policy)
            self.prover = Prover(self.encoder, self.settings.solver_timeout_ms)
        except RecursionError:  # too deep for the solver's terms (nesting is bounded: PC106)
            self.skipped = [name for name, _ in steps]
            steps = []
        for name, step in steps:
            if self.skipped:
                self.skipped.append(name)
                continue
            asked = self.prover.questions
            try:
                step()
            except _BudgetError:  # what it found so far is reported; the rest is not searched
                started = self.prover.questions > asked + 1
                self.skipped.append(f"{name} (in part)" if started else name)
        if self.skipped:
            self.note(
                "PC413",
                f"analysis skipped: {', '.join(self.skipped)}",
                self.file.header.span,
                note=f"the analysis's budget of {self.settings.budget_s:g} s ran out",
                help="names and types are checked in full; give it longer with "
                "`check --analysis-budget SECONDS`, or split the rule file",
            )
        if hasattr(self, "prover"):
            self.result.questions = self.prover.questions
        return self.result

    # -- asking ------------------------------------------------------------------------------

    def ask(self, goal: object, about: list[CompiledClause] | None = None) -> Result:
        """The solver's answer on `goal` (about these clauses' conditions; None: any)."""
        left = self.ends - time.monotonic()
        if left <= 0:
            raise _BudgetError
        limit = min(self.settings.solver_timeout_ms, int(left * 1000) + 1)
        reads = None if about is None else [node for c in about for node in _nodes(c)]
        result = self.prover.find(goal, limit, reads)
        if result.answer is Answer.UNKNOWN and time.monotonic() >= self.ends:
            raise _BudgetError
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
                clause = self.policy.by_id[cid]
                for node in [*(r.node for r in clause.rules), *clause.requirements]:
                    self.seen.setdefault(node.index, set()).add(node.fn(ctx))
        except FactsError:
            return
        self.applying |= true
        beaten = self.decisions.beaten_by
        self.winning |= {c for c in true if not any(w in true for w in beaten[c])}

    def unknown(self, what: str, span: Span, result: Result) -> None:
        self.note(
            "PC412",
            f"undecided: {what}",
            span,
            note=f"the solver gave no answer: {result.why}",
            help="neither proved nor shown; give it longer with `check --solver-timeout MS`",
        )

    def decide(self, facts: Request) -> Decision | None:
        """The decision for a request the analysis built (None when its facts are invalid)."""
        try:
            return evaluate(self.policy, facts.json())
        except FactsError:
            return None

    def smallest(self, request: Request, shows: Callable[[Request], bool]) -> Request:
        """The request with every fact it does not need left unknown (but its kind)."""
        facts = dict(request.facts)
        for name in [f for f in facts if f != KIND_FACT]:
            trial = {k: v for k, v in facts.items() if k != name}
            if shows(Request(trial)):
                facts = trial
        return Request(facts)

    # -- gaps ----------------------------------------------------------------------------------

    def gaps(self) -> None:
        header = self.file.header
        if not self.policy.clauses:
            self.warn(
                "PC407",
                "no clause covers any request",
                header.span,
                note="no clause of this policy applies, whatever the facts",
                help='add a clause, or declare the policy silent with `outside KIND "why"`',
            )
            return
        shows = self._shows_gap
        shown: list[Request] = []
        goal = self.decisions.no_clause()
        while len(shown) < MAX_GAPS:
            result = self.ask(goal)
            if result.answer is Answer.NONE:
                break
            if result.answer is Answer.UNKNOWN:
                self.unknown("whether some request reaches no clause", header.span, result)
                return
            assert result.request is not None
            if not shows(result.request):  # the evaluator must agree before it is said
                self.unknown(
                    "whether some request reaches no clause",
                    header.span,
                    Result(Answer.UNKNOWN, why="its request did not give no_clause"),
                )
                return
            request = self.smallest(result.request, shows)
            shown.append(request)
            goal = _and(goal, _not_like(self.encoder, request))
        if not shown:
            self.result.proved.append("no gap")
            return
        more = " (and maybe more)" if len(shown) == MAX_GAPS else ""
        self.warn(
            "PC407",
            f"no clause covers {shown[0].words()}",
            header.span,
            note="for such a request the decision is no_clause" + self._beneath(),
            help=f"for example: {'; '.join(r.words() for r in shown)}{more}; add a clause, or "
            'declare the policy silent with `outside KIND "why"`',
        )

    def _beneath(self) -> str:
        """For a policy subject to a law: the law may still answer where the terms do not."""
        if not self.file.laws:
            return ""
        return " (of the terms; the law beneath them may still decide it)"

    def _shows_gap(self, request: Request) -> bool:
        decision = self.decide(request)
        return decision is not None and decision.outcome is Outcome.NO_CLAUSE

    # -- overlaps ------------------------------------------------------------------------------

    def overlaps(self) -> None:
        pairs = [
            (a.decl.id, b.decl.id)
            for i, a in enumerate(self.policy.clauses)
            for b in self.policy.clauses[i + 1 :]
        ]
        if not pairs:
            self.result.proved.append("no overlap")
            return
        goal = self.decisions.any_conflict()
        reported = 0
        while reported < MAX_OVERLAPS:
            result = self.ask(goal)
            if result.answer is Answer.NONE:
                break
            if result.answer is Answer.UNKNOWN:
                self.unknown("whether two clauses overlap", self.file.header.span, result)
                return
            assert result.request is not None
            pair = self._pair_in(result)
            if pair is None:  # the evaluator must agree before it is said
                self.unknown(
                    "whether two clauses overlap",
                    self.file.header.span,
                    Result(Answer.UNKNOWN, why="its request did not give conflict"),
                )
                return
            first, second = pair
            shows = self._shows_conflict(first, second)
            self.overlap(first, second, self.smallest(result.request, shows))
            reported += 1
            goal = _and(goal, _not(self.decisions.conflict(first, second)))
        if reported == 0:
            self.result.proved.append("no overlap")

    def _pair_in(self, result: Result) -> tuple[str, str] | None:
        """Two clauses of different outcomes in the conflict the request gives, in file order."""
        assert result.request is not None
        decision = self.decide(result.request)
        if decision is None or decision.outcome is not Outcome.CONFLICT:
            return None
        outcomes = {
            c: self._outcome(c, result.request) for c in decision.grounds_in("en").conflicting
        }
        allows = [c for c, o in outcomes.items() if o == "allow"]
        refuses = [c for c, o in outcomes.items() if o == "refuse"]
        if not allows or not refuses:
            return None
        order = [c.decl.id for c in self.policy.clauses]
        first, second = sorted((allows[0], refuses[0]), key=order.index)
        return first, second

    def _shows_conflict(self, first: str, second: str) -> Callable[[Request], bool]:
        def shows(request: Request) -> bool:
            decision = self.decide(request)
            return (
                decision is not None
                and decision.outcome is Outcome.CONFLICT
                and {first, second} <= set(decision.grounds_in("en").conflicting)
            )

        return shows

    def overlap(self, first: str, second: str, request: Request) -> None:
        one = self._outcome(first, request)
        two = self._outcome(second, request)
        self.warn(
            "PC402",
            f"clauses `{first}` and `{second}` overlap",
            self.policy.by_id[second].decl.span,
            note=f"both apply with different outcomes: {first} gives {one}, {second} gives {two}"
            + self._beneath(),
            help=f"for example: {request.words()}; declare `exception to {first}` "
            "(or `overrides`) in the clause that should win",
        )

    def _outcome(self, clause_id: str, request: Request) -> str:
        """The clause's own verdict on `request` (it applies to it)."""
        ctx = Ctx(dict(request.facts), self.policy.node_count)
        return clause_verdict(self.policy.by_id[clause_id], True, ctx, None).outcome or "unknown"

    # -- clauses that never apply, or are always overridden ------------------------------------

    def unreachable(self) -> None:
        applying, winning = self.applying, self.winning
        for clause in self.policy.clauses:
            cid, decl = clause.decl.id, clause.decl
            if cid in applying and (cid in winning or not self.decisions.beaten_by[cid]):
                continue
            if cid not in applying:
                result = self.ask(self.decisions.clauses[cid].scope.true, [clause])
                if result.answer is Answer.UNKNOWN:
                    self.unknown(f"whether clause `{cid}` can apply", decl.span, result)
                    continue
                if result.answer is Answer.NONE:
                    self.warn(
                        "PC408",
                        f"clause `{cid}` can never apply",
                        decl.span,
                        note="no request satisfies its scope",
                        help="its scope contradicts itself: check `applies to` and its group",
                    )
                    continue
            if cid in winning or not self.decisions.beaten_by[cid]:
                continue
            beating = [self.policy.by_id[w] for w in self.decisions.beaten_by[cid]]
            result = self.ask(self.decisions.winner(cid), [clause, *beating])
            if result.answer is Answer.UNKNOWN:
                self.unknown(f"whether clause `{cid}` is always overridden", decl.span, result)
            elif result.answer is Answer.NONE:
                example = self._applying_example(cid)
                stronger = sorted(c for c in self.beats if cid in self.beats[c])
                self.warn(
                    "PC408",
                    f"clause `{cid}` is always overridden",
                    decl.span,
                    note=f"whenever it applies, clause {', '.join(stronger)} takes precedence",
                    help=f"for example: {example.words()}"
                    if example
                    else "remove it, or narrow the clauses that take precedence",
                )
        if not any(d.code == "PC408" for d in self.result.diagnostics) and not any(
            d.code == "PC412" and "apply" in d.message for d in self.result.diagnostics
        ):
            self.result.proved.append("no unreachable clause")

    def _applying_example(self, cid: str) -> Request | None:
        result = self.ask(self.decisions.clauses[cid].scope.true, [self.policy.by_id[cid]])
        return result.request if result.answer is Answer.FOUND else None

    # -- conditions that never or always hold --------------------------------------------------

    def dead_conditions(self) -> None:
        clean = True
        for clause in self.policy.clauses:
            last = clause.rules[-1].node if clause.rules else None
            checks = [(rule.node, rule.node is not last) for rule in clause.rules]
            checks += [(node, False) for node in clause.requirements]
            for node, may_be_always in checks:
                clean &= self.dead_condition(clause, node, may_be_always)
        if clean:
            self.result.proved.append("no dead condition")

    def dead_condition(self, clause: CompiledClause, node: Node, may_be_always: bool) -> bool:
        """Whether the condition can hold (and fail, for a rule before the last) where its
        clause applies; True when both are shown."""
        scope = self.decisions.clauses[clause.decl.id].scope
        value = self.encoder.node(node)
        questions = [(True, value.true, "hold", "never holds")]
        if may_be_always:
            always = "always holds: the rules after it are never reached"
            questions.append((False, value.false, "fail", always))
        for shown, term, verb, finding in questions:
            if shown in self.seen.get(node.index, set()):
                continue  # a request found before shows it, where its clause applies
            result = self.ask(_and(scope.true, term), [clause])
            if result.answer is Answer.UNKNOWN:
                self.unknown(
                    f"whether `{node.text}` can {verb}", self._span_of(clause, node), result
                )
                return False
            if result.answer is Answer.NONE:
                opposite = value.false if shown else value.true
                self.dead(clause, node, finding, self._example(clause, node, opposite, not shown))
                return False
        return True

    def _example(
        self, clause: CompiledClause, node: Node, term: Any, holds: bool
    ) -> Request | None:
        """A request the clause applies to where the condition is `holds` (checked)."""
        scope = self.decisions.clauses[clause.decl.id].scope
        result = self.ask(_and(scope.true, term), [clause])
        if result.request is None:
            return None
        ctx = Ctx(dict(result.request.facts), self.policy.node_count)
        try:
            if clause_scope(clause, ctx)[0] is True and node.fn(ctx) is holds:
                return result.request
        except FactsError:
            pass
        return None

    def dead(self, clause: CompiledClause, node: Node, what: str, example: Request | None) -> None:
        shown = ""
        if example is not None:
            value = "false" if what.startswith("never") else "true"
            shown = f"for example: {example.words()}, where it is {value}; "
        self.warn(
            "PC409",
            f"condition `{node.text}` {what.split(':')[0]}",
            self._span_of(clause, node),
            note=f"in clause {clause.decl.id}, for every request it applies to, it {what}",
            help=f"{shown}check the condition against the terms; a contradiction or a "
            "tautology is usually a typo",
        )

    def _span_of(self, clause: CompiledClause, node: Node) -> Span:
        decl = clause.decl
        spans = [r.expr.span for r in decl.rules] + [e.span for e in decl.requirements]
        texts = [self.policy.source.excerpt(s) for s in spans]
        return spans[texts.index(node.text)] if node.text in texts else decl.span

    # -- unused declarations ------------------------------------------------------------------

    def unused(self) -> None:
        read: set[str] = (
            {KIND_FACT} if any(c.kinds is not None for c in self.policy.clauses) else set()
        )
        exprs = every_expr(self.file)
        for expr in exprs:
            read.update(ref.name for ref in refs(expr))
        # what a law beneath the terms is told (`where`) is read too
        read.update(f for law in self.policy.laws for answer in law.answers for f in answer.facts)
        if self.file.header.in_force_on is not None:  # it chooses the version in force
            read.add(self.file.header.in_force_on.name)
        used_calendars = {
            unit
            for expr in exprs
            for part in parts(expr)
            if isinstance(part, nodes.Within | nodes.OnOrBefore)
            for unit in nodes.period_units(part)
        }
        used_calendars |= {
            d.unit
            for c in self.file.clauses
            for d in c.discretions
            if d.reason == "near_miss" and d.unit is not None
        }
        for calendar in self.file.calendars:
            if calendar.name not in used_calendars:
                self.warn(
                    "PC410",
                    f"calendar `{calendar.name}` is never used",
                    calendar.span,
                    note="no `within`, `on or before` or near-miss tolerance counts in it",
                    help="remove it or use it",
                )
            elif calendar.region_fact is not None:
                read.add(calendar.region_fact.name)
        if self.file.header.customer_zone is not None:  # it reads every date-time given
            read.add(self.file.header.customer_zone.region_fact.name)
        used_groups = _group_refs(self.file, exprs)
        for group in self.file.groups:
            if group.name not in used_groups:
                self.warn(
                    "PC410",
                    f"group `{group.name}` is never used",
                    group.span,
                    note="no clause or group refers to it",
                    help="remove it or use it",
                )
        for fact in self.file.facts:
            if fact.name not in read:
                self.warn(
                    "PC410",
                    f"fact `{fact.name}` is never read",
                    fact.span,
                    note="no clause, group or calendar reads it",
                    help="remove it, or use it in the clause it was meant for",
                )


def _nodes(clause: CompiledClause) -> list[Node]:
    """Every condition of a clause's scope and decision."""
    found = [rule.node for rule in clause.rules] + list(clause.requirements)
    return found + ([clause.group] if clause.group is not None else [])


def _group_refs(rule_file: nodes.RuleFile, exprs: list[nodes.Expr]) -> set[str]:
    """The groups some clause, group or law names (a group never names itself: PC404)."""
    groups = {g.name for g in rule_file.groups}
    return {ref.name for expr in exprs for ref in refs(expr) if ref.name in groups}


def _and(*terms: Any) -> Any:
    return z3.And(*terms)  # never empty: the context is its terms'


def _not(term: Any) -> Any:
    return z3.Not(term)


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


DATES_ANALYSED = f"{FIRST_DAY.year} to {LAST_DAY.year}"  # the years the proofs range over
