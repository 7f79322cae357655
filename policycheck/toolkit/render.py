"""A policy as a document a lawyer can read: each clause's terms beside its formal reading.

`document(source)` gathers what to show (and runs the worked examples); `to_html` makes one
self-contained page (inline CSS, no script, no network), `to_markdown` the same in GitHub's
markdown. Text written in the policy's language (titles, quoted terms) keeps its `lang`.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import holidays

from policycheck.evaluation.words import long_date
from policycheck.language import nodes
from policycheck.language.source import Source
from policycheck.language.symbols import Symbols
from policycheck.policy import Policy, load_source
from policycheck.toolkit.document import ClauseView, Document, ExampleView, Line
from policycheck.toolkit.render_formats import to_html, to_markdown
from policycheck.toolkit.render_words import (
    Phrases,
    calendar_unit,
    calendar_words,
    discretion_words,
    name_words,
    type_words,
    value_words,
)

__all__ = ["ClauseView", "Document", "ExampleView", "Line", "document", "render"]

_LANGUAGES = {
    "fr": "French",
    "en": "English",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
}
_OUTCOMES = {
    "allow": "allowed",
    "refuse": "refused",
    "needs_info": "more information needed",
    "no_clause": "no clause applies",
    "conflict": "a conflict between clauses",
}
_SOURCE_LINE = re.compile(r'^(\s*source\s+)"(?:\\.|[^"\\])*"')
_TOP_LEVEL = re.compile(r"^\s*(clause|group|calendar|facts|example|outside|policy)(?=\s|$)")


def render(source: Source, fmt: str = "html") -> str:
    """The rule file as an HTML page (`html`) or GitHub markdown (`md`); raises RuleFileError."""
    doc = document(source)
    return to_markdown(doc) if fmt == "md" else to_html(doc)


def document(source: Source) -> Document:
    """What to show of a rule file, its examples run; raises RuleFileError when it is broken."""
    policy = load_source(source)
    compiled = policy.compiled
    return _Gather(compiled.rule_file, compiled.source, policy.hash).run(policy)


class _Gather:
    def __init__(self, rule_file: nodes.RuleFile, source: Source, digest: str) -> None:
        self.file = rule_file
        self.source = source
        self.digest = digest
        self.symbols = Symbols.of(rule_file)
        self.phrases = Phrases(self.symbols)

    def run(self, policy: Policy) -> Document:
        header = self.file.header
        return Document(
            title=header.title,
            language=header.language,
            header=self.header(),
            notes=_comments([self.source.line(n) for n in range(1, header.span.line)]),
            facts=tuple(self.fact(f) for f in self.file.facts),
            calendars=tuple(self.calendar(c) for c in self.file.calendars),
            definitions=tuple(self.group(g) for g in self.file.groups),
            outside=tuple(self.outside(o) for o in self.file.outside),
            clauses=tuple(self.clause(c) for c in self.file.clauses),
            examples=tuple(
                self.example(e, policy.run_example(e).failures) for e in policy.examples
            ),
        )

    # -- header, facts, calendars, groups --------------------------------------------------------

    def header(self) -> tuple[Line, ...]:
        header = self.file.header
        start, until = header.effective_from, header.effective_until
        effective = "not stated"
        if start is not None:
            effective = f"from {long_date(start, 'en')}"
            effective += (
                f" until {long_date(until, 'en')} (both days included)"
                if until
                else ", with no end date"
            )
            effective += (
                f"; this version decides the requests whose {name_words(header.chosen_by)} "
                "falls in this period"
            )
        language = _LANGUAGES.get(header.language, header.language)
        lines = [
            Line("Policy", header.id),
            Line("Version", header.version or "not stated"),
            Line("Effective", effective),
            Line("Time zone", _zone_words(header)),
            Line("Language", f"{language} ({header.language})"),
        ]
        if header.document:
            lines.append(Line("Document", "", (header.document,)))
        lines += self.layers()
        digest = self.digest.removeprefix("sha256:")[:16]
        lines.append(Line("Rule file", f"{self.source.name} (sha256 {digest}…)"))
        return tuple(lines)

    def fact(self, fact: nodes.FactDecl) -> tuple[str, str, str, str, str]:
        question = fact.question or f"(none declared: the agent is asked “What is {fact.name}?”)"
        personal = "yes, personal data" if fact.personal else "no"
        return (fact.name, name_words(fact.name), type_words(fact.type), personal, question)

    def calendar(self, calendar: nodes.CalendarDecl) -> Line:
        country = _country_name(calendar.country) if calendar.country else None
        label = f"{calendar_unit(calendar)} (“{calendar.name}”)"
        notes = self.comments_before(calendar.span.line)
        return Line(label, calendar_words(calendar, country), notes=notes)

    def group(self, group: nodes.GroupDecl) -> Line:
        notes = self.comments_before(group.span.line)
        return Line(name_words(group.name), self.phrases.condition(group.expr), notes=notes)

    def outside(self, outside: nodes.Outside) -> Line:
        quoted = (outside.reason,) if outside.reason else ()
        text = "No clause applies to these requests, by design." + (
            " The rule file says:" if quoted else ""
        )
        label = _sentence(join_kinds(outside.kinds)).rstrip(".")
        return Line(label, text, quoted, self.comments_before(outside.span.line))

    # -- clauses ---------------------------------------------------------------------------------

    def clause(self, clause: nodes.ClauseDecl) -> ClauseView:
        lines = self.clause_lines(clause.span.line)
        notes = [*self.comments_before(clause.span.line), *_comments(lines)]
        formal = "\n".join(_SOURCE_LINE.sub(r'\1"…"  # quoted beside', line) for line in lines)
        return ClauseView(
            clause.id,
            clause.title,
            clause.source,
            tuple(self.reading(clause)),
            tuple(notes),
            _dedent(formal),
        )

    def reading(self, clause: nodes.ClauseDecl) -> list[Line]:
        words = self.phrases
        out = [Line("Applies to", _sentence(self.scope(clause.scope)))]
        for rule in clause.rules:
            label = "Allowed when" if rule.outcome == "allow" else "Refused when"
            out.append(Line(label, _sentence(words.condition(rule.expr))))
        if not clause.rules:
            decided = _OUTCOMES[clause.otherwise or "allow"]
            out.append(Line("Decision", _sentence(f"{decided} whenever the clause applies")))
        else:
            otherwise = clause.otherwise or (
                "refuse" if clause.rules[-1].outcome == "allow" else "allow"
            )
            implied = " (implied: the opposite of the last rule)"
            text = _OUTCOMES[otherwise] + ("" if clause.otherwise else implied)
            order = " The rules above are tried in order: the first that holds decides."
            out.append(Line("Otherwise", _sentence(text) + order * (len(clause.rules) > 1)))
        for requirement in clause.requirements:
            text = _sentence(words.condition(requirement))
            text += (
                " If not, the refusal is formal and an agent may waive it; if unknown, the "
                "request may be allowed with this listed for the agent to check."
            )
            out.append(Line("Requires", text))
        if clause.obligations:
            out.append(Line("Obligations", "", clause.obligations))
        for fee in clause.fees:
            out.append(Line("Fees", "The merchant may charge:", (fee,)))
        if clause.remedy is not None:
            kind, detail = clause.remedy
            out.append(
                Line(
                    "Remedy",
                    _sentence(name_words(kind)).rstrip(".") + " —" * bool(detail),
                    (detail,) if detail else (),
                )
            )
        out += [
            Line("Discretion", _sentence(discretion_words(d, self.symbols)))
            for d in clause.discretions
        ]
        out += self.precedence(clause)
        return out

    def scope(self, scope: nodes.Scope | None) -> str:
        if scope is None:
            return "every request"
        text = f"{join_kinds(scope.kinds)} requests"
        if scope.group is not None:
            group = self.symbols.groups.get(scope.group.name)
            definition = self.phrases.condition(group.expr) if group else ""
            if definition:
                enumerated = definition.startswith("(a) ")
                definition = f", where: {definition}" if enumerated else f" ({definition})"
            text += f" for “{name_words(scope.group.name)}”{definition}"
        return text

    def precedence(self, clause: nodes.ClauseDecl) -> list[Line]:
        out = [
            Line("Precedence", f"Exception to clause {ref.name}: this clause wins when both apply.")
            for ref in clause.exception_to
        ]
        out += [
            Line("Precedence", f"Takes precedence over clause {ref.name}.")
            for ref in clause.overrides
        ]
        for other in self.file.clauses:
            beaten = {r.name for r in (*other.exception_to, *other.overrides)}
            if clause.id in beaten:
                out.append(Line("Precedence", f"Clause {other.id} takes precedence over this one."))
        return out

    # -- examples --------------------------------------------------------------------------------

    def example(self, example: nodes.Example, failures: tuple[str, ...]) -> ExampleView:
        given = tuple(f"{name_words(a.fact.name)}: {self.given_value(a)}" for a in example.given)
        proposed = "—"
        if example.proposed is not None:
            outcome, clause = example.proposed
            proposed = _OUTCOMES[outcome] + (f" under clause {clause.name}" if clause else "")
        expected = tuple(self.expectation(e) for e in example.expectations)
        return ExampleView(example.name, given, proposed, expected, failures)

    def given_value(self, assignment: nodes.Assignment) -> str:
        value = assignment.value
        fact = self.symbols.facts.get(assignment.fact.name)
        if isinstance(value, str) and fact is not None and fact.type.kind == "enum":
            return name_words(value)
        if value is None:
            return "unknown"
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M (UTC%z)").replace("UTC+0000", "UTC")
        if isinstance(value, date):
            return value.isoformat()
        return value if isinstance(value, str) else value_words(value)

    def layers(self) -> list[Line]:
        """A statute says so; terms name the laws beneath them and how they answer each."""
        lines = []
        if self.file.header.statute:
            lines.append(Line("Kind", "a statute: mandatory law, beneath the terms subject to it"))
        for law in self.file.laws:
            answers = tuple(
                f"{m.target.name}: " + ("unknown" if m.unknown else self.source.excerpt(m.span))
                for m in law.mappings
            )
            note = f"{law.id}: where it allows what these terms refuse, the law decides"
            lines.append(Line("Subject to", note, answers))
        return lines

    def expectation(self, expectation: nodes.Expectation) -> str:
        kind = expectation.kind
        if kind == "layer":
            return "decided by " + ("the law" if expectation.layer == "law" else "these terms")
        if kind == "terms":
            clause = expectation.clause
            return (
                "these terms alone: "
                + _OUTCOMES[expectation.outcome or ""]
                + (f" under clause {clause.name}" if clause else "")
            )
        if kind == "outcome":
            clause = expectation.clause
            return _OUTCOMES[expectation.outcome or ""] + (
                f" under clause {clause.name}" if clause else ""
            )
        if kind == "deadline":
            day = expectation.deadline
            return f"last day in time: {long_date(day, 'en')}" if day else "no deadline"
        if kind == "rigid":
            level = expectation.level
            return "the refusal may be waived" + (
                f" by a{'n' * (level == 'agent')} {level}" if level else ""
            )
        if kind == "firm":
            return "the refusal is firm"
        if kind == "missing":
            asks = [
                self.symbols.facts[f.name].question or f.name
                if f.name in self.symbols.facts
                else f.name
                for f in expectation.facts
            ]
            return "asks: " + " ".join(asks)
        return "the proposal is " + ("confirmed" if expectation.agrees else "corrected")

    # -- the rule file's own text ----------------------------------------------------------------

    def comments_before(self, line: int) -> tuple[str, ...]:
        """The comment lines right above `line` (no blank line between), section rules left out."""
        found: list[str] = []
        number = line - 1
        while number >= 1 and self.source.line(number).lstrip().startswith("#"):
            found.insert(0, self.source.line(number))
            number -= 1
        return _comments(found)

    def clause_lines(self, first: int) -> list[str]:
        """The clause's lines, up to the next declaration, without trailing comments or blanks."""
        lines = [self.source.line(first)]
        for number in range(first + 1, self.source.line_count + 1):
            text = self.source.line(number)
            if _TOP_LEVEL.match(text):
                break
            lines.append(text)
        while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith("#")):
            lines.pop()
        return lines


def join_kinds(kinds: tuple[nodes.Ref, ...]) -> str:
    """`cancellation or return`."""
    names = [name_words(k.name) for k in kinds]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def _comments(lines: list[str]) -> tuple[str, ...]:
    """Comment lines as paragraphs: consecutive lines joined; `# --` section rules dropped."""
    paragraphs: list[str] = []
    previous = -2
    for index, line in enumerate(lines):
        text = line.strip()
        if not text.startswith("#") or text.lstrip("# ").startswith("--"):
            continue
        text = text.lstrip("#").strip()
        if index == previous + 1 and paragraphs:
            paragraphs[-1] += " " + text
        else:
            paragraphs.append(text)
        previous = index
    return tuple(p for p in paragraphs if p)


def _dedent(text: str) -> str:
    lines = text.splitlines()
    indents = [len(x) - len(x.lstrip()) for x in lines[1:] if x.strip()]
    cut = min(indents, default=0) - 2 if indents else 0
    return "\n".join([lines[0], *(x[cut:] if cut > 0 else x for x in lines[1:])]) if lines else ""


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _country_name(code: str) -> str:
    """`France` for `FR`, from the holidays package's registry; the code when unknown."""
    for name, *codes in holidays.registry.COUNTRIES.values():
        if code in codes:
            return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(name))
    return code


def _zone_words(header: nodes.Header) -> str:
    """Whose clock reads the request's dates: the policy's zone, or the customer's."""
    customer = header.customer_zone
    if customer is None:
        return f"{header.timezone} (dates and deadlines are read in this zone)"
    return (
        f"the customer's: the zone of their region of {customer.country}, from "
        f"{customer.region_fact.name}; when it is unknown, every zone of {customer.country} "
        f"({header.timezone} first) must give the same answer"
    )
