"""The checker: names, types, scopes and precedence of a rule file -> every diagnostic, sorted."""

from __future__ import annotations

import re

from policycheck.calendar import CalendarError, Unit, parse_unit, resolve_region
from policycheck.calendar.local_time import zone, zone_hint
from policycheck.calendar.regions import country_timezones
from policycheck.language import nodes
from policycheck.language.check_examples import ExampleChecker
from policycheck.language.diagnostics import Diagnostic
from policycheck.language.nesting import MAX_NESTING, NESTING_HELP, group_depths, too_deep
from policycheck.language.source import Source, Span
from policycheck.language.symbols import KIND_FACT, transitive

_LANGUAGE = re.compile(r"[a-z]{2}")


class _Checker(ExampleChecker):
    """Declarations, scopes, clauses and precedence; conditions are checked by ExprChecker."""

    def run(self) -> list[Diagnostic]:
        self.header(self.file.header)
        self.laws()
        self.duplicates("fact", [(f.name, f.span) for f in self.file.facts], "PC206")
        self.fact_words()
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
            self.amounts(clause)
        self.currencies()
        self.precedence_cycles()
        for outside in self.file.outside:
            self.outside(outside)
        self.examples()
        return sorted(self.found, key=Diagnostic.sort_key)

    def fact_words(self) -> None:
        """Labels and questions by language: a two-letter lowercase code, each language once
        per fact (PC211, PC212). A declaration of several facts shares its words: seen once."""
        seen: set[Span] = set()
        for fact in self.file.facts:
            for kind, words in (("label", fact.labels), ("question", fact.questions)):
                first: dict[str, nodes.Worded] = {}
                for word in words:
                    if word.span in seen:
                        continue
                    seen.add(word.span)
                    if not _LANGUAGE.fullmatch(word.language):
                        self.report(
                            "PC211",
                            f"`{word.language}` is not a language code",
                            word.span,
                            note=f"the language of this {kind}",
                            help="write a two-letter lowercase code (ISO 639-1): `en`, `fr`, `de`",
                        )
                    elif word.language in first:
                        self.report(
                            "PC212",
                            f"fact `{fact.name}` has two {kind}s in `{word.language}`",
                            word.span,
                            note="given again here",
                            help=f"the first is on line {first[word.language].span.line}; keep one",
                        )
                    else:
                        first[word.language] = word

    def header(self, header: nodes.Header) -> None:
        try:
            zone(header.timezone)
        except CalendarError:
            self.report(
                "PC406",
                f"unknown time zone `{header.timezone}`",
                header.timezone_span or header.span,
                note="not an IANA time zone",
                help=zone_hint(header.timezone),
            )
        if header.customer_zone is not None:
            self.customer_zone(header.customer_zone)
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

    def customer_zone(self, customer: nodes.CustomerZone) -> None:
        """`customer timezone of FR at delivery.postcode`: a country whose regions each have
        one zone, read from a text fact (as a calendar's holidays are)."""
        try:
            resolve_region(customer.country)
        except CalendarError:
            self.report(
                "PC310",
                f"unknown country `{customer.country}`",
                customer.country_span,
                note="no regions are known for it",
                help="use an ISO 3166-1 alpha-2 code such as FR, BE or DE",
            )
        else:
            zones = country_timezones(customer.country)
            if customer.country != "FR" and len(zones) != 1:
                self.report(
                    "PC416",
                    f"the customer's time zone cannot be read from a region of {customer.country}",
                    customer.country_span,
                    note=f"{customer.country} spans {len(zones)} time zones, not one per region",
                    help="regions map to time zones for FR (overseas included) and for countries "
                    "with one zone; otherwise ask for the date-time with its offset",
                )
        fact_type = self.ref(customer.region_fact)
        if fact_type is not None and fact_type.kind not in ("text", "value"):
            self.report(
                "PC308",
                "a region is read from a postcode or region code",
                customer.region_fact.span,
                note=f"this is {fact_type.words()}",
                help="declare the fact as `text`",
            )

    def laws(self) -> None:
        """`subject to`: each law once, each of its facts mapped once, from well-typed parts of
        this file (whether they fit the law's facts is checked with the law: language.laws)."""
        self.duplicates("law", [(law.id, law.span) for law in self.file.laws], "PC607")
        for law in self.file.laws:
            first: dict[str, nodes.LawMapping] = {}
            for mapping in law.mappings:
                seen = first.setdefault(mapping.target.name, mapping)
                if seen is not mapping:
                    self.report(
                        "PC607",
                        f"the law's fact `{mapping.target.name}` is answered twice",
                        mapping.target.span,
                        note="a second `where` for it",
                        help=f"keep one of the two (the first is on line {seen.span.line})",
                    )
            for mapping in law.mappings:
                expr = mapping.expr
                if isinstance(expr, nodes.Ref) and "." not in expr.name:
                    if expr.name in self.symbols.groups:
                        self.expr(expr)  # a group: a condition; else a value of the law's enum
                elif expr is not None:
                    self.expr(expr)
                for case in mapping.cases:
                    self.condition(case.expr)

    def calendar(self, calendar: nodes.CalendarDecl) -> None:
        if self.symbols.unit_of(calendar.name) is None:
            self.uncountable(calendar)
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

    def uncountable(self, calendar: nodes.CalendarDecl) -> None:
        """PC307: weekdays no unit counts in, or a unit a calendar cannot name."""
        if calendar.counts is None:
            self.report(
                "PC307",
                f"calendar `{calendar.name}` cannot be counted",
                calendar.span,
                note="its working days are not monday to saturday, monday to friday "
                "or monday to sunday",
                help="write `monday to saturday` (jours ouvrables), `monday to friday` "
                "(jours ouvrés) or `monday to sunday` (calendar days)",
            )
            return
        self.report(
            "PC307",
            f"calendar `{calendar.name}` cannot be counted in `{calendar.counts}`",
            calendar.counts_span or calendar.span,
            note=_COUNTS_NOTE.get(_unit_word(calendar.counts), "not a unit of time"),
            help="name `days`, `weeks`, `months` or `years` (`calendar NAME: months, closed on "
            "public holidays of FR, extended to next working day`), or count working days "
            "with weekdays: `monday to saturday`, `monday to friday`",
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
        for discretion in clause.discretions:
            if discretion.reason == "near_miss":
                self.tolerance(clause, discretion)
        for ref in (*clause.exception_to, *clause.overrides):
            if self.known_clause(ref) and ref.name == clause.id:
                self.report(
                    "PC403",
                    f"clause `{clause.id}` takes precedence over itself",
                    ref.span,
                    note="a clause cannot be its own exception",
                    help="name another clause",
                )

    def tolerance(self, clause: nodes.ClauseDecl, discretion: nodes.Discretion) -> None:
        """`late by at most N UNIT`: a unit that counts, a period to be late for, and (for
        hours) requests with a time of day. Any other unit may measure a period's lateness."""
        name = discretion.unit or ""
        found = self.symbols.unit_of(name)
        if found is None and name in self.symbols.calendars:
            return  # declared, but it cannot count: PC307 where it is declared
        if found is None:
            self.report(
                "PC204",
                f"unknown calendar `{name}`",
                discretion.span,
                note="not a declared calendar nor a unit that needs none",
                help=self.symbols.suggest(name, list(self.symbols.calendars))
                or "count lateness in a declared calendar or in days, hours, weeks, months, years",
            )
            return
        self.countable(discretion.tolerance, found[0], discretion.span)
        withins = [w for rule in clause.rules for w in nodes.withins(rule.expr)]
        if not withins:
            self.report(
                "PC309",
                "a near miss needs a `within` period",
                discretion.span,
                note="this clause's decision counts no period to be late for",
                help="add the period (`allow when request.date within 14 days after ...`), "
                "or waive without a tolerance: `discretion agent`",
            )
        elif found[0] is Unit.HOURS:
            for within in withins:
                dated = self.symbols.type_of(within.subject).kind == "date"
                counted = not isinstance(within, nodes.Within) or (
                    self.symbols.unit_of(within.unit) is not None
                )
                if dated and counted:
                    self.report(
                        "PC309",
                        "a tolerance in hours needs the request's time of day",
                        discretion.span,
                        note=f"`{self.text(within.subject)}` is a date: lateness in hours "
                        "cannot be measured from it",
                        help="count the tolerance in days or working days "
                        "(`late by at most 1 day`), or declare the fact as `datetime`",
                    )
                    break

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


def _unit_word(word: str) -> Unit:
    try:
        return parse_unit(word)
    except CalendarError:
        return Unit.DAYS  # no note of its own: "not a unit of time"


# Why a unit a calendar names cannot be one (PC307).
_COUNTS_NOTE = {
    Unit.HOURS: "a period in hours is never extended (1182/71 art. 3(4) counts days)",
    Unit.OUVRABLES: "working days are counted by their weekdays",
    Unit.OUVRES: "working days are counted by their weekdays",
}
