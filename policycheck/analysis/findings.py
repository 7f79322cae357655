"""Static analysis of a compiled policy: gaps, overlaps, unreachable clauses and conditions,
unused declarations — each shown with a concrete request.

What it proves and what it cannot:
- Scopes are enumerated exhaustively over the enum and yes/no facts they read, so a reported gap
  or unreachable clause is certain, and no gap is missed among those combinations. A scope that
  also reads dates, numbers or text is tried with boundary values only.
- Overlaps and unreachable conditions are searched over the facts the conditions read: every
  enum value and true/false, and for dates the last day in time and the day after of every
  `within` period (found with the real calendar), numbers and texts from the constants of the
  file. Past `SEARCH_LIMIT` combinations a seeded sample is tried. A reported overlap or dead
  condition comes with a request that shows it; the absence of a report is not a proof.
"""

from __future__ import annotations

import itertools

from policycheck.analysis.requests import Candidates, Request
from policycheck.evaluation.compile import CompiledClause, CompiledPolicy
from policycheck.evaluation.evaluate import clause_scope, clause_verdict, scope_facts
from policycheck.evaluation.facts import FactsError
from policycheck.evaluation.runtime import Ctx, Node
from policycheck.language import nodes
from policycheck.language.diagnostics import Diagnostic, Severity
from policycheck.language.nesting import refs
from policycheck.language.source import Span
from policycheck.language.symbols import KIND_FACT, transitive

CONDITION_LIMIT = 512  # requests tried per clause (dead conditions) or pair (overlaps)
_BASES = 64  # scope combinations a clause's conditions are searched under, at most


def analyse(policy: CompiledPolicy, rule_file: nodes.RuleFile) -> list[Diagnostic]:
    """Every gap, overlap, unreachable clause or condition and unused declaration (warnings)."""
    return sorted(_Analysis(policy, rule_file).run(), key=Diagnostic.sort_key)


class _Analysis:
    def __init__(self, policy: CompiledPolicy, rule_file: nodes.RuleFile) -> None:
        self.policy = policy
        self.file = rule_file
        self.declared = {f.name: f for f in rule_file.facts}
        self.found: list[Diagnostic] = []
        self.candidates = Candidates(policy, self.declared)
        self.beats = transitive({c.decl.id: set(c.beats) for c in policy.clauses})

    def warn(self, code: str, message: str, span: Span, note: str, help: str) -> None:
        self.found.append(
            Diagnostic(code, Severity.WARNING, message, span, self.policy.source.name, note, help)
        )

    def run(self) -> list[Diagnostic]:
        applies = self.scopes()
        for clause in self.policy.clauses:
            self.dead_conditions(clause, applies[clause.decl.id])
        self.unused()
        return self.found

    # -- scopes: gaps, unreachable and shadowed clauses, overlaps ------------------------------

    def scopes(self) -> dict[str, list[Request]]:
        """Gaps, unreachable clauses and overlaps; returns, per clause, the requests (of the
        scope facts) it applies to."""
        names = list(
            dict.fromkeys(f for c in self.policy.clauses for f in scope_facts(c) if self._finite(f))
        )
        applies: dict[str, list[Request]] = {c.decl.id: [] for c in self.policy.clauses}
        winners: dict[str, int] = {c.decl.id: 0 for c in self.policy.clauses}
        gaps: list[Request] = []
        pairs: dict[tuple[str, str], Request] = {}
        for request in self.candidates.requests(names):
            ctx = Ctx(dict(request.facts), self.policy.node_count)
            try:
                scopes = {c.decl.id: clause_scope(c, ctx)[0] for c in self.policy.clauses}
            except FactsError:  # a period from these dates leaves the supported years
                continue
            true = [cid for cid, value in scopes.items() if value is True]
            for cid in true:
                applies[cid].append(request)
                if not any(cid in self.beats[other] for other in true):
                    winners[cid] += 1
            if all(value is False for value in scopes.values()) and not self._outside(request):
                gaps.append(request)
            for first, second in itertools.combinations(true, 2):
                if first not in self.beats[second] and second not in self.beats[first]:
                    pairs.setdefault((first, second), request)
        self.report_gaps(gaps, names)
        for clause in self.policy.clauses:
            self.report_unreachable(clause, applies[clause.decl.id], winners[clause.decl.id])
        for (first, second), request in pairs.items():
            self.overlap(self.policy.by_id[first], self.policy.by_id[second], request)
        return applies

    def _finite(self, name: str) -> bool:
        fact = self.declared.get(name)
        return fact is not None and fact.type.kind in ("enum", "bool")

    def _outside(self, request: Request) -> bool:
        kind = request.facts.get(KIND_FACT)
        return any(kind in {k.name for k in decl.kinds} for decl in self.file.outside)

    def report_gaps(self, gaps: list[Request], names: list[str]) -> None:
        if not gaps:
            return
        header = self.file.header
        if not names:  # no fact decides anything: no clause applies to any request
            self.warn(
                "PC407",
                "no clause covers any request",
                header.span,
                note="no clause of this policy applies, whatever the facts",
                help='add a clause, or declare the policy silent with `outside KIND "why"`',
            )
            return
        shown = "; ".join(r.words() for r in gaps[:3])
        more = f" (and {len(gaps) - 3} more)" if len(gaps) > 3 else ""
        self.warn(
            "PC407",
            f"no clause covers {gaps[0].words()}",
            header.span,
            note=f"{len(gaps)} combination(s) of {', '.join(names)} reach no clause",
            help=f"for example: {shown}{more}; add a clause, or declare the policy silent with "
            '`outside KIND "why"`',
        )

    def report_unreachable(self, clause: CompiledClause, applies: list[Request], wins: int) -> None:
        decl = clause.decl
        if clause.kinds is None and clause.group is None:
            return
        if not applies and self._scope_is_finite(clause):
            self.warn(
                "PC408",
                f"clause `{decl.id}` can never apply",
                decl.span,
                note="no request satisfies its scope",
                help="its scope contradicts itself: check `applies to` and its group",
            )
        elif applies and wins == 0 and self._scope_is_finite(clause):
            stronger = sorted(c for c in self.beats if decl.id in self.beats[c])
            self.warn(
                "PC408",
                f"clause `{decl.id}` is always overridden",
                decl.span,
                note=f"whenever it applies, clause {', '.join(stronger)} takes precedence",
                help=f"for example: {applies[0].words()}",
            )

    def _scope_is_finite(self, clause: CompiledClause) -> bool:
        return all(self._finite(f) for f in scope_facts(clause))

    def overlap(self, first: CompiledClause, second: CompiledClause, base: Request) -> None:
        names = [
            f
            for f in dict.fromkeys([*_decision_facts(first), *_decision_facts(second)])
            if f not in base.facts
        ]
        for request in self.candidates.requests(names, base.facts, CONDITION_LIMIT):
            ctx = Ctx(dict(request.facts), self.policy.node_count)
            try:
                if not (clause_scope(first, ctx)[0] is clause_scope(second, ctx)[0] is True):
                    continue
                one = clause_verdict(first, True, ctx, []).outcome
                two = clause_verdict(second, True, ctx, []).outcome
            except FactsError:  # a period from these dates leaves the supported years
                continue
            if one is not None and two is not None and one != two:
                self.warn(
                    "PC402",
                    f"clauses `{first.decl.id}` and `{second.decl.id}` overlap",
                    second.decl.span,
                    note=f"both apply with different outcomes: {first.decl.id} gives {one}, "
                    f"{second.decl.id} gives {two}",
                    help=f"for example: {request.words()}; declare `exception to "
                    f"{first.decl.id}` (or `overrides`) in the clause that should win",
                )
                return

    # -- conditions that can never hold -------------------------------------------------------

    def dead_conditions(self, clause: CompiledClause, applies: list[Request]) -> None:
        nodes_ = [rule.node for rule in clause.rules] + list(clause.requirements)
        if not nodes_:
            return
        if not self._scope_is_finite(clause):  # scope reads dates or numbers: search it too
            applies = [Request({})]
            names = list(dict.fromkeys([*scope_facts(clause), *_decision_facts(clause)]))
        else:
            names = [f for f in _decision_facts(clause) if f not in scope_facts(clause)]
        if not applies:
            return
        bases = applies[:_BASES]
        per_base = max(1, CONDITION_LIMIT // len(bases))
        seen: dict[int, set[bool | None]] = {n.index: set() for n in nodes_}
        for base in bases:
            for request in self.candidates.requests(names, base.facts, per_base):
                ctx = Ctx(dict(request.facts), self.policy.node_count)
                try:
                    if clause_scope(clause, ctx)[0] is not True:
                        continue
                    found = [node.fn(ctx) for node in nodes_]
                except FactsError:  # a period from these dates leaves the supported years
                    continue
                for node, value in zip(nodes_, found, strict=True):
                    seen[node.index].add(value)
        for node in nodes_:
            values = seen[node.index]
            if values and True not in values and None not in values:
                self.dead(clause, node, "never holds")
            elif (
                values
                and False not in values
                and None not in values
                and node in [r.node for r in clause.rules[:-1]]
            ):
                self.dead(clause, node, "always holds: the rules after it are never reached")

    def dead(self, clause: CompiledClause, node: Node, what: str) -> None:
        span = self._span_of(clause, node)
        self.warn(
            "PC409",
            f"condition `{node.text}` {what.split(':')[0]}",
            span,
            note=f"in clause {clause.decl.id}, for every request it applies to, it {what}",
            help="check the condition against the terms; a contradiction or a "
            "tautology is usually a typo",
        )

    def _span_of(self, clause: CompiledClause, node: Node) -> Span:
        decl = clause.decl
        spans = [r.expr.span for r in decl.rules] + [e.span for e in decl.requirements]
        texts = [self.policy.source.excerpt(s) for s in spans]
        return spans[texts.index(node.text)] if node.text in texts else decl.span

    # -- unused declarations ------------------------------------------------------------------

    def unused(self) -> None:
        read: set[str] = set()
        for clause in self.policy.clauses:
            read.update(scope_facts(clause))
            read.update(_decision_facts(clause))
            for expr in settlement_exprs(clause.decl):  # what fees and remedies compute from
                read.update(_names(expr))
            whens = [fee.when for fee in clause.fees] + [r.when for r in clause.remedies]
            read.update(f for node in whens if node is not None for f in node.facts)
        # what a law beneath the terms is told (`where`) is read too
        read.update(f for law in self.policy.laws for answer in law.answers for f in answer.facts)
        if self.file.header.in_force_on is not None:  # it chooses the version in force
            read.add(self.file.header.in_force_on.name)
        used_groups = _group_refs(self.file)
        used_calendars = {
            unit
            for c in self.file.clauses
            for expr in [*(r.expr for r in c.rules), *c.requirements]
            for w in nodes.withins(expr)
            for unit in nodes.period_units(w)
        } | {d.unit for c in self.file.clauses for d in c.discretions if d.reason == "near_miss"}
        for calendar in self.file.calendars:
            if calendar.name not in used_calendars:
                self.warn(
                    "PC410",
                    f"calendar `{calendar.name}` is never used",
                    calendar.span,
                    note="no `within` or near-miss tolerance counts in it",
                    help="remove it or use it",
                )
            elif calendar.region_fact is not None:
                read.add(calendar.region_fact.name)
        if self.file.header.customer_zone is not None:  # it reads every date-time given
            read.add(self.file.header.customer_zone.region_fact.name)
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


def _decision_facts(clause: CompiledClause) -> list[str]:
    nodes_ = [rule.node for rule in clause.rules] + list(clause.requirements)
    return list(dict.fromkeys(f for node in nodes_ for f in node.facts))


def _group_refs(rule_file: nodes.RuleFile) -> set[str]:
    groups = {g.name for g in rule_file.groups}
    used: set[str] = set()
    exprs: list[nodes.Expr] = [g.expr for g in rule_file.groups]
    for clause in rule_file.clauses:
        if clause.scope and clause.scope.group:
            used.add(clause.scope.group.name)
        exprs += [r.expr for r in clause.rules] + list(clause.requirements)
        exprs += settlement_exprs(clause)
    for law in rule_file.laws:
        for mapping in law.mappings:
            exprs += [case.expr for case in mapping.cases]
            exprs += [mapping.expr] if mapping.expr is not None else []
    for expr in exprs:
        used.update(ref for ref in _names(expr) if ref in groups)
    return used


def settlement_exprs(clause: nodes.ClauseDecl) -> list[nodes.Expr]:
    """The amounts and conditions of a clause's fees and remedies."""
    found: list[nodes.Expr | None] = [fee.amount for fee in clause.charges]
    found += [fee.when for fee in clause.charges]
    found += [part for r in clause.remedies for part in (r.amount, r.when)]
    return [expr for expr in found if expr is not None]


def _names(expr: nodes.Expr) -> list[str]:
    """The facts and groups an expression names (language.nesting.refs)."""
    return [ref.name for ref in refs(expr)]
