"""A policy as a document a lawyer can read: each clause's terms beside its formal reading.

`document(source)` gathers what to show (and runs the worked examples); `to_html` makes one
self-contained page (inline CSS, no script, no network), `to_markdown` the same in GitHub's
markdown. Text written in the policy's language (titles, quoted terms) keeps its `lang`.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import holidays

from policycheck.evaluation.words import fact_label, long_date, question, value_words
from policycheck.language import nodes
from policycheck.language.source import Source
from policycheck.language.symbols import Symbols
from policycheck.policy import Policy, load_source
from policycheck.toolkit.document import ClauseView, Document, ExampleView, Line
from policycheck.toolkit.render_formats import to_html, to_markdown
from policycheck.toolkit.render_text import REMEDY_KINDS_FR, texts
from policycheck.toolkit.render_words import (
    Phrases,
    calendar_unit,
    calendar_words,
    discretion_words,
    name_words,
    type_words,
)

__all__ = ["ClauseView", "Document", "ExampleView", "Line", "document", "render"]

_LANGUAGES_FR = {"fr": "français", "en": "anglais", "de": "allemand", "es": "espagnol"}
_LANGUAGES = {
    "fr": "French",
    "en": "English",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
}
_SOURCE_LINE = re.compile(r'^(\s*source\s+)"(?:\\.|[^"\\])*"')
_TOP_LEVEL = re.compile(r"^\s*(clause|group|calendar|facts|example|outside|policy)(?=\s|$)")


def render(source: Source, fmt: str = "html", language: str | None = None) -> str:
    """The rule file as an HTML page (`html`) or GitHub markdown (`md`), in `language` (`en` or
    `fr`; default: French for a French policy, else English); raises RuleFileError."""
    doc = document(source, language)
    return to_markdown(doc) if fmt == "md" else to_html(doc)


def document(source: Source, language: str | None = None) -> Document:
    """What to show of a rule file, its examples run; raises RuleFileError when it is broken."""
    policy = load_source(source)
    compiled = policy.compiled
    return _Gather(compiled.rule_file, compiled.source, policy.hash, language).run(policy)


class _Gather:
    def __init__(
        self, rule_file: nodes.RuleFile, source: Source, digest: str, language: str | None
    ) -> None:
        self.file = rule_file
        self.source = source
        self.digest = digest
        self.symbols = Symbols.of(rule_file)
        policy_language = rule_file.header.language
        self.lang = language or ("fr" if policy_language == "fr" else "en")
        self.t = texts(self.lang)
        self.phrases = Phrases(self.symbols, self.lang)

    def outcome(self, outcome: str) -> str:
        return self.t[outcome]

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
            words_language=self.lang,
        )

    # -- header, facts, calendars, groups --------------------------------------------------------

    def header(self) -> tuple[Line, ...]:
        header, t, lang = self.file.header, self.t, self.lang
        start, until = header.effective_from, header.effective_until
        effective = t["not_stated"]
        if start is not None:
            effective = t["from"].format(date=long_date(start, lang))
            effective += t["until"].format(date=long_date(until, lang)) if until else t["no_end"]
            effective += t["chosen_by"].format(fact=self.fact_words(header.chosen_by))
        names = _LANGUAGES_FR if lang == "fr" else _LANGUAGES
        language = names.get(header.language, header.language)
        lines = [
            Line(t["Policy"], header.id),
            Line(t["Version"], header.version or t["not_stated"]),
            Line(t["Effective"], effective),
            Line(t["Time zone"], self.zone_words(header)),
            Line(t["Language"], f"{language} ({header.language})"),
        ]
        if header.document:
            lines.append(Line(t["Document"], "", (header.document,)))
        lines += self.layers()
        digest = self.digest.removeprefix("sha256:")[:16]
        lines.append(Line(t["Rule file"], f"{self.source.name} (sha256 {digest}…)"))
        return tuple(lines)

    def fact_words(self, name: str) -> str:
        """`the delivery date`, `la date de livraison`: a fact by its label, else its name."""
        return fact_label(name, self.symbols.facts.get(name), self.lang)

    def zone_words(self, header: nodes.Header) -> str:
        """Whose clock reads the request's dates: the policy's zone, or the customer's."""
        customer = header.customer_zone
        if customer is None:
            return self.t["zone"].format(zone=header.timezone)
        return self.t["customer_zone"].format(
            country=customer.country,
            fact=self.fact_words(customer.region_fact.name),
            zone=header.timezone,
        )

    def fact(self, fact: nodes.FactDecl) -> tuple[str, str, str, str, str]:
        t, lang = self.t, self.lang
        asked = fact.question_in(lang, self.file.header.language)
        if asked is None:
            generated = question(fact.name, fact, lang, self.file.header.language)
            asked = t["no_question"].format(question=generated)
        personal = t["personal_yes"] if fact.personal else t["personal_no"]
        label = fact_label(fact.name, fact, lang).removeprefix("the ")
        return (fact.name, label, type_words(fact.type, lang), personal, asked)

    def calendar(self, calendar: nodes.CalendarDecl) -> Line:
        country = _country_name(calendar.country) if calendar.country else None
        name = f"« {calendar.name} »" if self.lang == "fr" else f"“{calendar.name}”"
        label = f"{calendar_unit(calendar, self.lang)} ({name})"
        notes = self.comments_before(calendar.span.line)
        region = self.fact_words(calendar.region_fact.name) if calendar.region_fact else None
        words = calendar_words(calendar, country, self.lang, region)
        return Line(label, words, notes=notes)

    def group(self, group: nodes.GroupDecl) -> Line:
        notes = self.comments_before(group.span.line)
        return Line(name_words(group.name), self.phrases.condition(group.expr), notes=notes)

    def outside(self, outside: nodes.Outside) -> Line:
        quoted = (outside.reason,) if outside.reason else ()
        text = self.t["outside_text"] + (self.t["rule_file_says"] if quoted else "")
        label = _sentence(join_kinds(outside.kinds, self.t["or"])).rstrip(".")
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
        words, t = self.phrases, self.t
        out = [Line(t["Applies to"], _sentence(self.scope(clause.scope)))]
        for rule in clause.rules:
            label = t["Allowed when"] if rule.outcome == "allow" else t["Refused when"]
            out.append(Line(label, _sentence(words.condition(rule.expr))))
        if not clause.rules:
            decided = self.outcome(clause.otherwise or "allow")
            out.append(Line(t["Decision"], _sentence(t["whenever"].format(decided=decided))))
        else:
            otherwise = clause.otherwise or (
                "refuse" if clause.rules[-1].outcome == "allow" else "allow"
            )
            text = self.outcome(otherwise) + ("" if clause.otherwise else t["implied"])
            order = t["in_order"] * (len(clause.rules) > 1)
            out.append(Line(t["Otherwise"], _sentence(text) + order))
        for requirement in clause.requirements:
            text = _sentence(words.condition(requirement)) + t["requires_tail"]
            out.append(Line(t["Requires"], text))
        if clause.obligations:
            out.append(Line(t["Obligations"], "", clause.obligations))
        for fee in clause.fees:
            out.append(Line(t["Fees"], t["may_charge"], (fee,)))
        for charge in clause.charges:
            amount = words.amount(charge.amount)
            if charge.when is None:
                said = t["charge"].format(label=charge.label, amount=amount)
            else:
                condition = words.condition(charge.when)
                said = t["charge_when"].format(
                    label=charge.label, amount=amount, condition=condition
                )
            out.append(Line(t["Fees"], _sentence(said)))
        for remedy in clause.remedies:
            head = name_words(remedy.kind)
            if self.lang == "fr":
                head = REMEDY_KINDS_FR.get(remedy.kind, head)
            if remedy.amount is not None:
                head = t["remedy_of"].format(kind=head, amount=words.amount(remedy.amount))
            if remedy.when is not None:
                head = t["remedy_when"].format(remedy=head, condition=words.condition(remedy.when))
            detail = remedy.text
            lead = _sentence(head).rstrip(".") + " —" * bool(detail)
            out.append(Line(t["Remedy"], lead, (detail,) if detail else ()))
        out += [
            Line(t["Discretion"], _sentence(discretion_words(d, self.symbols, self.lang)))
            for d in clause.discretions
        ]
        out += self.precedence(clause)
        return out

    def scope(self, scope: nodes.Scope | None) -> str:
        t = self.t
        if scope is None:
            return t["every_request"]
        text = t["requests"].format(kinds=join_kinds(scope.kinds, t["or"]))
        if scope.group is not None:
            group = self.symbols.groups.get(scope.group.name)
            definition = self.phrases.condition(group.expr) if group else ""
            if definition:
                enumerated = definition.startswith("(a) ")
                definition = (
                    t["where"].format(definition=definition) if enumerated else (f" ({definition})")
                )
            text += t["for_group"].format(group=name_words(scope.group.name), definition=definition)
        return text

    def precedence(self, clause: nodes.ClauseDecl) -> list[Line]:
        t = self.t
        out = [
            Line(t["Precedence"], t["exception_to"].format(id=ref.name))
            for ref in clause.exception_to
        ]
        out += [
            Line(t["Precedence"], t["overrides"].format(id=ref.name)) for ref in clause.overrides
        ]
        for other in self.file.clauses:
            beaten = {r.name for r in (*other.exception_to, *other.overrides)}
            if clause.id in beaten:
                out.append(Line(t["Precedence"], t["beaten"].format(id=other.id)))
        return out

    # -- examples --------------------------------------------------------------------------------

    def example(self, example: nodes.Example, failures: tuple[str, ...]) -> ExampleView:
        colon = " :" if self.lang == "fr" else ":"
        given = tuple(
            f"{self.fact_words(a.fact.name).removeprefix('the ')}{colon} {self.given_value(a)}"
            for a in example.given
        )
        proposed = "—"
        if example.proposed is not None:
            outcome, clause = example.proposed
            under = self.t["under"].format(id=clause.name) if clause else ""
            proposed = self.outcome(outcome) + under
        expected = tuple(self.expectation(e) for e in example.expectations)
        return ExampleView(example.name, given, proposed, expected, failures)

    def given_value(self, assignment: nodes.Assignment) -> str:
        value = assignment.value
        fact = self.symbols.facts.get(assignment.fact.name)
        if isinstance(value, str) and fact is not None and fact.type.kind == "enum":
            return name_words(value)
        if value is None:
            return self.t["unknown"]
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M (UTC%z)").replace("UTC+0000", "UTC")
        if isinstance(value, date):
            return value.isoformat()
        return value if isinstance(value, str) else value_words(value, self.lang)

    def layers(self) -> list[Line]:
        """A statute says so; terms name the laws beneath them and how they answer each."""
        lines, t = [], self.t
        if self.file.header.statute:
            lines.append(Line(t["Kind"], t["statute"]))
        for law in self.file.laws:
            answers = tuple(
                f"{m.target.name}: " + (t["unknown"] if m.unknown else self.source.excerpt(m.span))
                for m in law.mappings
            )
            lines.append(Line(t["Subject to"], t["law"].format(law=law.id), answers))
        return lines

    def expectation(self, expectation: nodes.Expectation) -> str:
        kind, t = expectation.kind, self.t
        clause = expectation.clause
        under = t["under"].format(id=clause.name) if clause else ""
        if kind == "layer":
            return t["by_law"] if expectation.layer == "law" else t["by_terms"]
        if kind == "terms":
            return t["terms_alone"] + self.outcome(expectation.outcome or "") + under
        if kind == "outcome":
            return self.outcome(expectation.outcome or "") + under
        if kind == "deadline":
            day = expectation.deadline
            return t["last_day"].format(date=long_date(day, self.lang)) if day else t["no_deadline"]
        if kind == "rigid":
            level = expectation.level
            return t["waived"] + (t["waived_by"].format(who=t[level]) if level else "")
        if kind == "firm":
            return t["firm"]
        if kind == "missing":
            language = self.file.header.language
            asks = [
                question(f.name, self.symbols.facts.get(f.name), self.lang, language)
                for f in expectation.facts
            ]
            return t["asks"] + " ".join(asks)
        return t["confirmed"] if expectation.agrees else t["corrected"]

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


def join_kinds(kinds: tuple[nodes.Ref, ...], word: str = "or") -> str:
    """`cancellation or return`."""
    names = [name_words(k.name) for k in kinds]
    return ", ".join(names[:-1]) + f" {word} " + names[-1] if len(names) > 1 else names[0]


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
