"""The law beneath the terms, checked with the law's own rule file: `subject to` names a statute,
every fact of the law is answered by this policy's facts (`where`, or a fact of the same name and
type), and each answer fits the law's fact (PC602-PC605). Finding the law's file and cycles of
laws are the loader's (policy.py: PC601, PC606)."""

from __future__ import annotations

from dataclasses import dataclass, field

from policycheck.language import nodes
from policycheck.language.diagnostics import Diagnostic, error
from policycheck.language.source import Source, Span
from policycheck.language.symbols import Symbols, Type


@dataclass
class LawCheck:
    """The checks of one `subject to` against the law's rule file."""

    file: nodes.RuleFile
    source: Source
    ref: nodes.LawRef
    law: nodes.RuleFile
    found: list[Diagnostic] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ours, self.theirs = Symbols.of(self.file), Symbols.of(self.law)

    def report(self, code: str, message: str, span: Span, note: str, help: str) -> None:
        self.found.append(error(code, message, span, self.source, note=note, help=help))

    def run(self) -> list[Diagnostic]:
        """Every problem of this `subject to`, and of the examples' clauses of the law."""
        ref = self.ref
        if not self.law.header.statute:
            self.report(
                "PC602",
                f"`{ref.id}` is not a statute",
                ref.span,
                note="its rule file does not declare `statute`: terms are not mandatory law",
                help=f"name the statute these terms are subject to, or add `statute` to the "
                f"header of `{ref.id}` if it is mandatory law",
            )
            return self.found
        mapped = {m.target.name for m in ref.mappings}
        for mapping in ref.mappings:
            target = self.theirs.facts.get(mapping.target.name)
            if target is None:
                self.report(
                    "PC603",
                    f"the law `{ref.id}` has no fact `{mapping.target.name}`",
                    mapping.target.span,
                    note="not declared under the law's `facts`",
                    help=self.theirs.suggest(mapping.target.name, list(self.theirs.facts))
                    or f"map one of the facts of `{ref.id}`: {', '.join(self.theirs.facts)}",
                )
            else:
                self.mapping(mapping, target)
        for fact in self.law.facts:
            if fact.name not in mapped:
                self.implicit(fact)
        return self.found

    def implicit(self, fact: nodes.FactDecl) -> None:
        """A fact of the law not mapped by `where`: ours of the same name and type answers it."""
        ours = self.ours.facts.get(fact.name)
        if ours is not None and _fits(ours.type, fact.type):
            return
        note = "these terms declare no fact of that name"
        if ours is not None:
            note = f"our `{fact.name}` is {_words(ours.type)}, the law's {_words(fact.type)}"
        self.report(
            "PC605",
            f"the law's fact `{fact.name}` is not mapped",
            self.ref.span,
            note=note,
            help=f"add `where {fact.name} = ...` under `subject to {self.ref.id}` (one of our "
            "facts, a value or a condition), or `= unknown` if our requests never say",
        )

    def mapping(self, mapping: nodes.LawMapping, target: nodes.FactDecl) -> None:
        expr, want = mapping.expr, target.type
        if mapping.unknown:
            return
        if mapping.cases:
            if want.kind != "enum":
                self.wrong(mapping, target, "cases `VALUE when condition` give a value of an enum")
            for case in mapping.cases:
                if want.kind == "enum" and case.value not in want.values:
                    self.report(
                        "PC604",
                        f"`{case.value}` is not a value of the law's `{target.name}`",
                        case.value_span,
                        note=f"the law's values: {', '.join(want.values)}",
                        help="write one of the law's values before `when`",
                    )
            return
        assert expr is not None
        if (
            isinstance(expr, nodes.Ref)
            and "." not in expr.name
            and expr.name not in (self.ours.groups)
        ):
            if want.kind != "enum" or expr.name not in want.values:
                values = f"one of {', '.join(want.values)}" if want.kind == "enum" else ""
                self.wrong(mapping, target, f"`{expr.name}` is a bare name", values)
            return
        found = self.ours.type_of(expr)
        if not _fits(found.fact.type if found.fact else nodes.FactType(found.kind), want):
            self.wrong(mapping, target, f"`{self.source.excerpt(expr.span)}` is {found.words()}")

    def wrong(
        self, mapping: nodes.LawMapping, target: nodes.FactDecl, why: str, hint: str = ""
    ) -> None:
        self.report(
            "PC604",
            f"`{target.name}` is {_words(target.type)} in the law `{self.ref.id}`",
            mapping.span,
            note=why,
            help=(hint and f"write {hint}") or _HELP.get(target.type.kind, _HELP["value"]),
        )


_HELP = {
    "bool": "map it to a condition on our facts, or to true or false",
    "enum": "write `VALUE when condition, ...` with the law's values, or a fact whose values "
    "are all the law's",
    "value": "map it to one of our facts of the same type, or to a value of that type",
}


def _fits(ours: nodes.FactType, law: nodes.FactType) -> bool:
    """Whether a value of type `ours` is a value of the law's type: the same kind (a date and
    time answers a date: its day where we read it), an enum's values all among the law's."""
    if ours.kind == "enum" or law.kind == "enum":
        return ours.kind == law.kind and set(ours.values) <= set(law.values)
    if ours.kind == "value":  # a literal checked by its kind below
        return False
    return ours.kind == law.kind or (ours.kind == "datetime" and law.kind == "date")


def _words(fact_type: nodes.FactType) -> str:
    if fact_type.kind == "enum":
        return f"one of {', '.join(fact_type.values)}"
    return Type(fact_type.kind).words()


def check_law(
    file: nodes.RuleFile, source: Source, ref: nodes.LawRef, law: nodes.RuleFile
) -> list[Diagnostic]:
    """Every problem of `subject to` `ref` of `file`, given the law's rule file."""
    return LawCheck(file, source, ref, law).run()


def check_law_clauses(
    file: nodes.RuleFile, source: Source, laws: list[nodes.RuleFile]
) -> list[Diagnostic]:
    """`expect OUTCOME under CLAUSE` names a clause of these terms or of a law beneath them."""
    ours = {clause.id for clause in file.clauses}
    theirs = {clause.id for law in laws for clause in law.clauses}
    found = []
    for example in file.examples:
        for expectation in example.expectations:
            clause = expectation.clause
            if expectation.kind != "outcome" or clause is None:
                continue
            if clause.name not in ours and clause.name not in theirs:
                known = ", ".join(sorted(ours | theirs))
                found.append(
                    error(
                        "PC203",
                        f"unknown clause `{clause.name}`",
                        clause.span,
                        source,
                        note="no clause of these terms or of the law beneath them has this id",
                        help=f"write one of: {known}",
                    )
                )
    return found
