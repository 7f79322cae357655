"""`policycheck fmt`: a rule file in canonical layout, comments kept, meaning unchanged.

The layout: two-space indentation; one fact per line with the questions aligned; expressions
with the fewest parentheses their meaning needs, wrapped before `and`/`or` past 100 columns;
clause parts in a fixed order. A comment stays before the part it was written on or above.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from policycheck.language import nodes
from policycheck.language.money import Money
from policycheck.language.source import Source

WIDTH = 100
_QUESTION_COLUMN = 40  # questions are aligned after the declarations up to this width
_PRECEDENCE = {"or": 1, "and": 2, "not": 3}


def format_rule_file(rule_file: nodes.RuleFile, source: Source) -> str:
    """The canonical text of a parsed rule file (with the comments of its source)."""
    return _Printer(rule_file, _comments(source.text)).run()


# -- expressions ----------------------------------------------------------------------------------


def expression(expr: nodes.Expr, parent: int = 0) -> str:
    """An expression on one line, parenthesised only where its meaning needs it."""
    if isinstance(expr, nodes.Or | nodes.And):
        word, level = ("or", 1) if isinstance(expr, nodes.Or) else ("and", 2)
        text = f" {word} ".join(expression(item, level) for item in expr.items)
        return f"({text})" if level <= parent else text
    if isinstance(expr, nodes.Not):
        text = f"not {expression(expr.operand, 3)}"
        return f"({text})" if parent > 3 else text
    if isinstance(expr, nodes.Ref):
        return expr.name
    if isinstance(expr, nodes.Literal):
        if expr.percent and isinstance(expr.value, Decimal):
            return f"{expr.value.scaleb(2).normalize():f}%"
        return literal(expr.value)
    if isinstance(expr, nodes.Compare):
        return f"{expression(expr.left, 4)} {expr.op} {expression(expr.right, 4)}"
    if isinstance(expr, nodes.Member):
        values = ", ".join(
            v.name if isinstance(v, nodes.Ref) else literal(v.value) for v in expr.values
        )
        return f"{expression(expr.operand, 4)} in [{values}]"
    if isinstance(expr, nodes.Within):
        direction = "before" if expr.before else "after"
        return (
            f"{expression(expr.subject, 4)} within {expr.count} {expr.unit} {direction} "
            f"{expression(expr.anchor, 4)}"
        )
    if isinstance(expr, nodes.Known):
        return f"{expression(expr.operand, 4)} is {'known' if expr.known else 'unknown'}"
    if isinstance(expr, nodes.OnOrBefore):
        limits = " and ".join(limit_text(limit) for limit in expr.limits)
        if len(expr.limits) > 1:
            limits = f"the {'later' if expr.later else 'earlier'} of {limits}"
        return f"{expression(expr.subject, 4)} on or before {limits}"
    if isinstance(expr, nodes.Between):
        first, last = day_text(expr.first), day_text(expr.last)
        return f"{expression(expr.subject, 4)} between {first} and {last}"
    return _amount(expr, parent)


def _amount(expr: nodes.Expr, parent: int) -> str:
    """Arithmetic: `+ -` bind looser than `* / of`; parentheses only where needed; `*` is
    written as the multiplication sign."""
    if isinstance(expr, nodes.Arith):
        level = 5 if expr.op in ("+", "-") else 6
        op = nodes.MULTIPLICATION if expr.op == "*" else expr.op
        text = f"{expression(expr.left, level)} {op} {expression(expr.right, level + 1)}"
        return f"({text})" if level < parent else text
    if isinstance(expr, nodes.Extreme):
        return f"{expr.name}({', '.join(expression(item) for item in expr.items)})"
    if isinstance(expr, nodes.FeesTotal):
        return "fees"
    raise AssertionError(expr)


def limit_text(limit: nodes.Limit) -> str:
    """A last day as written in `on or before`: a date, a period or a day of a year, and the
    condition it counts under (`if holiday_season`; an `and`/`or` in parentheses)."""
    condition = limit.condition
    shown = ""
    if condition is not None:
        text = expression(condition)
        grouped = isinstance(condition, nodes.And | nodes.Or)  # `if` takes one condition
        shown = f" if {f'({text})' if grouped else text}"
    if isinstance(limit, nodes.FixedLimit):
        return literal(limit.day) + shown
    anchor = expression(limit.anchor, 4)
    if isinstance(limit, nodes.PeriodLimit):
        direction = "before" if limit.before else "after"
        return f"{limit.count} {limit.unit} {direction} {anchor}{shown}"
    year = "after" if limit.years_after else "of"
    return f"{day_text(limit.day)} of the year {year} {anchor}{shown}"


def day_text(day: nodes.DayOfYear) -> str:
    """`31 january`."""
    return f"{day.day} {nodes.MONTHS[day.month - 1] if day.month else day.written}"


def literal(value: object) -> str:
    """A literal as written in a rule file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes" if value.second == 0 else "seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | Money):
        return str(value)
    if value is None:
        return "unknown"
    return quote(str(value))


def quote(text: str) -> str:
    """Text in double quotes, with `"` and `\\` escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wrapped(lead: str, expr: nodes.Expr) -> list[str]:
    """`lead + expression`, broken before top-level `and`/`or` when too long."""
    line = lead + expression(expr)
    if len(line) > WIDTH and isinstance(expr, nodes.OnOrBefore) and len(expr.limits) > 1:
        first, *others = (limit_text(limit) for limit in expr.limits)  # the limits aligned
        head = line[: len(line) - len(" and ".join([first, *others]))] + first
        pad = " " * (len(head) - len(first) - len("and "))
        return [head, *(f"{pad}and {other}" for other in others)]
    if len(line) <= WIDTH or not isinstance(expr, nodes.And | nodes.Or):
        return [line]
    word, level = ("or", 1) if isinstance(expr, nodes.Or) else ("and", 2)
    pad = " " * (len(lead) - len(word) - 1)
    parts = [expression(item, level) for item in expr.items]
    return [lead + parts[0], *(f"{pad}{word} {part}" for part in parts[1:])]


# -- the printer ----------------------------------------------------------------------------------


@dataclass
class _Comment:
    line: int
    text: str
    blank_after: bool = False  # a blank line follows it in the source: keep one


@dataclass
class _Printer:
    file: nodes.RuleFile
    comments: list[_Comment]
    out: list[str] = field(default_factory=list)

    def emit(self, lines: Iterable[str], last_line: int, indent: str = "") -> None:
        """Print `lines` after the comments written up to `last_line` of the source."""
        while self.comments and self.comments[0].line <= last_line:
            comment = self.comments.pop(0)
            self.out.append(f"{indent}{comment.text}")
            if comment.blank_after:
                self.out.append("")
        self.out.extend(lines)

    def blank(self) -> None:
        if self.out and self.out[-1] != "":
            self.out.append("")

    def run(self) -> str:
        self.header(self.file.header)
        for law in self.file.laws:
            self.blank()
            self.law(law)
        for calendar in self.file.calendars:
            self.blank()
            self.emit([self.calendar(calendar)], calendar.span.end_line)
        if self.file.facts:
            self.blank()
            self.emit(["facts"], self.file.facts[0].span.line - 1)
            self.facts(self.file.facts)
        items: list[tuple[int, object]] = [
            *((g.span.line, g) for g in self.file.groups),
            *((c.span.line, c) for c in self.file.clauses),
            *((o.span.line, o) for o in self.file.outside),
            *((e.span.line, e) for e in self.file.examples),
        ]
        for _, item in sorted(items, key=lambda pair: pair[0]):
            self.blank()
            self.item(item)
        if self.comments:
            self.blank()
            self.emit([], 10**9)
        return "\n".join(self.out).rstrip("\n") + "\n"

    def header(self, header: nodes.Header) -> None:
        lines = [f"policy {header.id} {quote(header.title)}"]
        if header.statute:
            lines.append("  statute")
        if header.version is not None:
            lines.append(f"  version {quote(header.version)}")
        if header.effective_from is not None:
            until = f" until {header.effective_until}" if header.effective_until else ""
            lines.append(f"  effective {header.effective_from}{until}")
        if header.in_force_on is not None:
            lines.append(f"  in force on {header.in_force_on.name}")
        if header.timezone_declared or header.timezone != "UTC":
            lines.append(f"  timezone {quote(header.timezone)}")
        if header.customer_zone is not None:
            customer = header.customer_zone
            lines.append(
                f"  customer timezone of {customer.country} at {customer.region_fact.name}"
            )
        if header.language_declared or header.language != "en":
            lines.append(f"  language {header.language}")
        if header.document is not None:
            lines.append(f"  document {quote(header.document)}")
        self.emit(lines, header.span.end_line)

    def law(self, law: nodes.LawRef) -> None:
        self.emit([f"subject to {law.id}"], law.span.end_line)
        for mapping in law.mappings:
            lead = f"  where {mapping.target.name} = "
            if mapping.expr is not None:
                lines = _wrapped(lead, mapping.expr)
            elif mapping.cases:
                cases = [f"{case.value} when {expression(case.expr)}" for case in mapping.cases]
                lines = _flowed(lead, cases)
            else:
                lines = [lead + "unknown"]
            self.emit(lines, mapping.span.end_line, "  ")

    def calendar(self, calendar: nodes.CalendarDecl) -> str:
        days = f"{nodes.WEEKDAYS[calendar.first_day]} to {nodes.WEEKDAYS[calendar.last_day]}"
        parts = [f"calendar {calendar.name}: {calendar.counts or days}"]
        if calendar.country is not None:
            at = f" at {calendar.region_fact.name}" if calendar.region_fact else ""
            parts.append(f"closed on public holidays of {calendar.country}{at}")
        if calendar.extended:
            parts.append("extended to next working day")
        return ", ".join(parts)

    def facts(self, facts: tuple[nodes.FactDecl, ...]) -> None:
        heads = [
            f"  {fact.name}: {self.fact_type(fact.type)}" + (" personal" if fact.personal else "")
            for fact in facts
        ]
        short = [len(head) for head in heads if len(head) <= _QUESTION_COLUMN]
        width = max(short, default=_QUESTION_COLUMN)
        for fact, head in zip(facts, heads, strict=True):
            lines = [head]
            if fact.question:
                question = quote(fact.question)
                if len(head) <= width and width + 2 + len(question) <= WIDTH:
                    lines = [f"{head.ljust(width)}  {question}"]
                else:
                    lines.append(f"    {question}")
            for keyword, words in (("label", fact.labels), ("question", fact.questions)):
                if words:
                    items = [f"{w.language} {quote(w.text)}" for w in words]
                    lines += wrap_list(f"    {keyword} ", items)
            self.emit(lines, fact.span.end_line, "  ")

    @staticmethod
    def fact_type(fact_type: nodes.FactType) -> str:
        if fact_type.kind == "enum":
            return "one of " + ", ".join(fact_type.values)
        return fact_type.kind + (f" {fact_type.currency}" if fact_type.currency else "")

    def item(self, item: object) -> None:
        if isinstance(item, nodes.GroupDecl):
            self.emit(_wrapped(f"group {item.name}: ", item.expr), item.expr.span.end_line)
        elif isinstance(item, nodes.ClauseDecl):
            self.clause(item)
        elif isinstance(item, nodes.Outside):
            kinds = " or ".join(k.name for k in item.kinds)
            reason = f" {quote(item.reason)}" if item.reason else ""
            self.emit([f"outside {kinds}{reason}"], item.span.end_line)
        elif isinstance(item, nodes.Example):
            self.example(item)

    def clause(self, clause: nodes.ClauseDecl) -> None:
        self.emit([f"clause {clause.id} {quote(clause.title)}"], clause.span.line)
        if clause.source is not None:
            self.out.append(f"  source {quote(clause.source)}")
        if clause.scope is not None:
            kinds = " or ".join(k.name for k in clause.scope.kinds)
            group = f" of {clause.scope.group.name}" if clause.scope.group else ""
            self.emit([f"  applies to {kinds}{group}"], clause.scope.span.end_line, "  ")
        for rule in clause.rules:
            self.emit(_wrapped(f"  {rule.outcome} when ", rule.expr), rule.span.end_line, "  ")
        if clause.otherwise is not None:
            line = clause.otherwise_span.end_line if clause.otherwise_span else clause.span.line
            self.emit([f"  otherwise {clause.otherwise}"], line, "  ")
        for requirement in clause.requirements:
            self.emit(_wrapped("  requires ", requirement), requirement.span.end_line, "  ")
        if clause.obligations:
            self.out += _listed("  obligations ", clause.obligations)
        for fee in clause.fees:
            self.out.append(f"  fees may charge {quote(fee)}")
        for charge in clause.charges:
            when = f" when {expression(charge.when)}" if charge.when is not None else ""
            text = f"  fee {quote(charge.label)} {expression(charge.amount)}{when}"
            self.emit([text], charge.span.end_line, "  ")
        for remedy in clause.remedies:
            text = f"  remedy {remedy.kind}"
            text += f" of {expression(remedy.amount)}" if remedy.amount is not None else ""
            text += f" {quote(remedy.text)}" if remedy.text else ""
            text += f" when {expression(remedy.when)}" if remedy.when is not None else ""
            self.emit([text], remedy.span.end_line, "  ")
        for discretion in clause.discretions:
            when = {"always": "", "formal": " when formal"}.get(
                discretion.reason, f" when late by at most {discretion.tolerance} {discretion.unit}"
            )
            self.emit([f"  discretion {discretion.level}{when}"], discretion.span.end_line, "  ")
        for ref in clause.exception_to:
            self.emit([f"  exception to {ref.name}"], ref.span.end_line, "  ")
        for ref in clause.overrides:
            self.emit([f"  overrides {ref.name}"], ref.span.end_line, "  ")

    def example(self, example: nodes.Example) -> None:
        self.emit([f"example {quote(example.name)}"], example.span.line)
        if example.given:
            enums = {f.name for f in self.file.facts if f.type.kind == "enum"}
            parts = [_assignment(a, enums) for a in example.given]
            self.emit(_flowed("  given ", parts), example.given[-1].span.end_line, "  ")
        if example.proposed is not None:
            outcome, clause = example.proposed
            self.out.append(f"  proposed {outcome}" + (f" under {clause.name}" if clause else ""))
        for expectation in example.expectations:
            self.emit([f"  expect {_expectation(expectation)}"], expectation.span.end_line, "  ")


def _assignment(assignment: nodes.Assignment, enums: set[str]) -> str:
    """`fact = value`: enum values bare, text quoted."""
    value = assignment.value
    shown = value if isinstance(value, str) and assignment.fact.name in enums else literal(value)
    return f"{assignment.fact.name} = {shown}"


def _expectation(expectation: nodes.Expectation) -> str:
    kind = expectation.kind
    if kind == "outcome":
        under = f" under {expectation.clause.name}" if expectation.clause else ""
        return f"{expectation.outcome}{under}"
    if kind == "deadline":
        return f"deadline {expectation.deadline or 'none'}"
    if kind == "rigid":
        return "rigid" + (f" by {expectation.level}" if expectation.level else "")
    if kind == "missing":
        return "missing " + ", ".join(f.name for f in expectation.facts)
    if kind == "proposal":
        return "proposal " + ("agrees" if expectation.agrees else "disagrees")
    if kind == "layer":
        return f"layer {expectation.layer}"
    if kind == "terms":
        under = f" under {expectation.clause.name}" if expectation.clause else ""
        return f"terms {expectation.outcome}{under}"
    amount = str(expectation.amount) if expectation.amount else "none"
    if kind == "remedy":
        return f"remedy {expectation.kind_name}" + f" {amount}" * expectation.amount_given
    if kind == "fee":
        return f"fee {quote(expectation.label or '')} {amount}"
    if kind == "no_fees":
        return "no fees"
    return kind


def _flowed(lead: str, parts: list[str]) -> list[str]:
    """Comma-separated parts after `lead`, filled up to the width, continuations aligned."""
    lines, current = [], lead
    pad = " " * len(lead)
    for index, part in enumerate(parts):
        piece = part + ("," if index < len(parts) - 1 else "")
        if current.strip() and len(current) + len(piece) + 1 > WIDTH and current != lead:
            lines.append(current.rstrip())
            current = pad
        current += piece + " "
    lines.append(current.rstrip())
    return lines


def _listed(lead: str, texts: tuple[str, ...]) -> list[str]:
    quoted = [quote(t) for t in texts]
    one_line = lead + ", ".join(quoted)
    if len(one_line) <= WIDTH or len(quoted) == 1:
        return [one_line]
    pad = " " * len(lead)
    return [lead + quoted[0] + ",", *(f"{pad}{q}," for q in quoted[1:-1]), pad + quoted[-1]]


_STRING = re.compile(r'"(\\.|[^"\\\n])*"')


def _comments(text: str) -> list[_Comment]:
    """Every `#` comment of a rule file, with its line (strings are skipped)."""
    found = []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        bare = _STRING.sub(lambda m: " " * len(m.group(0)), line)
        at = bare.find("#")
        if at >= 0:
            after = lines[number] if number < len(lines) else ""
            full_line = not bare[:at].strip()
            found.append(_Comment(number, line[at:].rstrip(), full_line and not after.strip()))
    return found


def wrap_list(lead: str, items: list[str]) -> list[str]:
    """`lead a, b` on one line when it fits, else one item a line, aligned after `lead`."""
    one_line = lead + ", ".join(items)
    if len(one_line) <= WIDTH or len(items) == 1:
        return [one_line]
    pad = " " * len(lead)
    return [lead + items[0] + ",", *(f"{pad}{i}," for i in items[1:-1]), pad + items[-1]]
