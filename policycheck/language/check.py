"""The checker: names, types, scopes and precedence of a rule file -> every diagnostic, sorted."""

from __future__ import annotations

from policycheck.calendar import CalendarError, resolve_region
from policycheck.calendar.local_time import zone
from policycheck.language import nodes
from policycheck.language.check_examples import ExampleChecker
from policycheck.language.diagnostics import Diagnostic
from policycheck.language.nesting import MAX_NESTING, NESTING_HELP, group_depths, too_deep
from policycheck.language.source import Source
from policycheck.language.symbols import KIND_FACT, transitive


class _Checker(ExampleChecker):
    """Declarations, scopes, clauses and precedence; conditions are checked by ExprChecker."""

    def run(self) -> list[Diagnostic]:
        self.header(self.file.header)
        self.duplicates("fact", [(f.name, f.span) for f in self.file.facts], "PC206")
        self.duplicates("group", [(g.name, g.span) for g in self.file.groups], "PC207")
        self.duplicates("calendar", [(c.name, c.span) for c in self.file.calendars], "PC209")
        self.duplicates("clause", [(c.id, c.span) for c in self.file.clauses], "PC205")
        for calendar in self.file.calendars:
            self.calendar(calendar)
        for group in self.file.groups:
            self.condition(group.expr)
        self.group_cycles()
        for clause in self.file.clauses:
            self.clause(clause)
        self.precedence_cycles()
        for outside in self.file.outside:
            self.outside(outside)
        self.examples()
        return sorted(self.found, key=Diagnostic.sort_key)

    def header(self, header: nodes.Header) -> None:
        try:
            zone(header.timezone)
        except CalendarError:
            self.report(
                "PC406",
                f"unknown time zone `{header.timezone}`",
                header.timezone_span or header.span,
                note="not an IANA time zone",
                help="use a name such as Europe/Paris or America/Guadeloupe",
            )
        start, end = header.effective_from, header.effective_until
        if start and end and end < start:
            self.report(
                "PC405",
                "the policy ends before it starts",
                header.effective_span or header.span,
                note=f"until {end} is before {start}",
                help="swap the two dates",
            )
        if header.in_force_on is not None:
            self.in_force_on(header.in_force_on)

    def in_force_on(self, ref: nodes.Ref) -> None:
        """`in force on FACT`: a declared date or date-time fact (PC201, PC321)."""
        found = self.ref(ref)
        if found is not None and found.kind not in ("date", "datetime"):
            self.report(
                "PC321",
                f"`{ref.name}` cannot choose the version in force",
                ref.span,
                note=f"this is {found.words()}, not a date",
                help="name a `date` fact, such as the day the contract was concluded "
                "(`in force on contract.date`), or leave the line out for `request.date`",
            )

    def calendar(self, calendar: nodes.CalendarDecl) -> None:
        if self.symbols.unit_of(calendar.name) is None:
            self.report(
                "PC307",
                f"calendar `{calendar.name}` cannot be counted",
                calendar.span,
                note="its working days are not monday to saturday, monday to friday "
                "or monday to sunday",
                help="write `monday to saturday` (jours ouvrables), `monday to friday` "
                "(jours ouvrés) or `monday to sunday` (calendar days)",
            )
        if calendar.country is not None:
            try:
                resolve_region(calendar.country)
            except CalendarError:
                self.report(
                    "PC310",
                    f"unknown country `{calendar.country}`",
                    calendar.country_span or calendar.span,
                    note="no public holidays are known for it",
                    help="use an ISO 3166-1 alpha-2 code such as FR, BE or DE",
                )
        if calendar.region_fact is not None:
            fact_type = self.ref(calendar.region_fact)
            if fact_type is not None and fact_type.kind not in ("text", "value"):
                self.report(
                    "PC308",
                    "a region is read from a postcode or region code",
                    calendar.region_fact.span,
                    note=f"this is {fact_type.words()}",
                    help="declare the fact as `text`",
                )

    def group_cycles(self) -> None:
        depths, cyclic = group_depths(self.symbols.groups)
        for group in self.file.groups:
            if group.name in cyclic and self.symbols.groups[group.name] is group:
                self.report(
                    "PC404",
                    f"group `{group.name}` is defined by itself",
                    group.span,
                    note="it refers back to itself",
                    help="define it from facts and other groups only",
                )
        conditions = [g.expr for g in self.file.groups]
        for clause in self.file.clauses:
            conditions += [r.expr for r in clause.rules] + list(clause.requirements)
        for condition in conditions:
            self.nesting(condition, depths)

    def nesting(self, condition: nodes.Expr, depths: dict[str, int]) -> None:
        """PC106 where a condition nests too deeply through the groups it uses (the text
        itself was bounded by the parser); a group too deep is reported once, where it is."""
        part = too_deep(condition, depths.get)
        if part is None:
            return
        inner = part.name if isinstance(part, nodes.Ref) and part.name in depths else None
        if inner is not None and depths[inner] > MAX_NESTING:
            return
        self.report(
            "PC106",
            "condition nested too deeply",
            part.span,
            note=f"more than {MAX_NESTING} levels deep"
            + (f" with group `{inner}` ({depths[inner]} levels)" if inner else ""),
            help=NESTING_HELP,
        )

    # -- clauses -------------------------------------------------------------------------------

    def clause(self, clause: nodes.ClauseDecl) -> None:
        if clause.scope is not None:
            self.scope(clause.scope)
        for rule in clause.rules:
            self.condition(rule.expr)
        for requirement in clause.requirements:
            self.condition(requirement)
        if not clause.rules and clause.otherwise is None:
            self.report(
                "PC401",
                f"clause `{clause.id}` decides nothing",
                clause.span,
                note="no `allow when`, `refuse when` or `otherwise`",
                help="add the decision the clause makes, e.g. `otherwise allow`",
            )
        units = {w.unit for rule in clause.rules for w in nodes.withins(rule.expr)}
        for discretion in clause.discretions:
            tolerance = self.symbols.unit_of(discretion.unit or "")
            if tolerance is not None:
                self.countable(discretion.tolerance, tolerance[0], discretion.span)
            if discretion.reason == "near_miss" and discretion.unit not in units:
                self.report(
                    "PC309",
                    "a near miss needs a `within` period in the same unit",
                    discretion.span,
                    note=f"no `within ... {discretion.unit}` in this clause's decision",
                    help="measure lateness in the unit of the clause's period"
                    + (f" ({', '.join(sorted(units))})" if units else ""),
                )
        for ref in (*clause.exception_to, *clause.overrides):
            if self.known_clause(ref) and ref.name == clause.id:
                self.report(
                    "PC403",
                    f"clause `{clause.id}` takes precedence over itself",
                    ref.span,
                    note="a clause cannot be its own exception",
                    help="name another clause",
                )

    def scope(self, scope: nodes.Scope) -> None:
        kind_fact = self.symbols.facts.get(KIND_FACT)
        if kind_fact is None or kind_fact.type.kind != "enum":
            self.report(
                "PC306",
                f"`applies to` needs the fact `{KIND_FACT}`",
                scope.span,
                note="the kind of request is not declared"
                if kind_fact is None
                else f"`{KIND_FACT}` is not declared as `one of ...`",
                help=f"declare `{KIND_FACT}: one of cancellation, return, refund` under `facts`",
            )
        else:
            for kind in scope.kinds:
                self.enum_value(kind, kind_fact)
        if scope.group is not None and scope.group.name not in self.symbols.groups:
            self.report(
                "PC202",
                f"unknown group `{scope.group.name}`",
                scope.group.span,
                note="not declared with `group`",
                help=self.symbols.suggest(scope.group.name, list(self.symbols.groups))
                or "declare it: group NAME: condition",
            )

    # -- precedence and overlaps ---------------------------------------------------------------

    def precedence_cycles(self) -> None:
        # A clause naming itself is reported where it does; only longer cycles here.
        direct = {cid: others - {cid} for cid, others in _precedence(self.file).items()}
        closed = transitive(direct)
        for clause in self.file.clauses:
            if clause.id in closed.get(clause.id, set()):
                self.report(
                    "PC403",
                    f"clause `{clause.id}` takes precedence over itself",
                    clause.span,
                    note="through a cycle of exceptions/overrides",
                    help="remove one `exception to` or `overrides` of the cycle",
                )

    def outside(self, outside: nodes.Outside) -> None:
        kind_fact = self.symbols.facts.get(KIND_FACT)
        if kind_fact is not None and kind_fact.type.kind == "enum":
            for kind in outside.kinds:
                self.enum_value(kind, kind_fact)


def check(rule_file: nodes.RuleFile, source: Source) -> list[Diagnostic]:
    """Every name, type, scope and precedence problem of a rule file, sorted by position."""
    return _Checker(rule_file, source).run()


def _precedence(rule_file: nodes.RuleFile) -> dict[str, set[str]]:
    """Clause id -> the ids of the clauses it takes precedence over."""
    return {c.id: {r.name for r in (*c.exception_to, *c.overrides)} for c in rule_file.clauses}
