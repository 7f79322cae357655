"""The law beneath the terms: a request answered by the statutes a policy is subject to, and the
answers put together. Where the law gives the customer more, the law decides: a refusal (or no
answer) of the terms becomes the law's allowance, never rigid, said to be unlawful; where the
terms refuse and the law's answer waits on facts, the decision waits on them too (refusing before
knowing could be unlawful). Otherwise the terms decide, and the law's answer is shown beside them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from policycheck.calendar import parse_unit
from policycheck.calendar.errors import CalendarError
from policycheck.evaluation.compile import CompiledPolicy
from policycheck.evaluation.compile_laws import CompiledLaw, LawAnswer
from policycheck.evaluation.decision import (
    Decision,
    LawAnswerView,
    Outcome,
    Proposal,
    TermsAnswer,
    TraceStep,
)
from policycheck.evaluation.facts import FactValue
from policycheck.evaluation.runtime import Ctx
from policycheck.evaluation.words import long_date
from policycheck.language import nodes
from policycheck.language.check_versions import Period

_REFUSALS = (Outcome.REFUSE, Outcome.NO_CLAUSE, Outcome.CONFLICT)


@dataclass(frozen=True)
class BoundLaw:
    """A statute beneath a policy, bound when the policy is loaded: the law, how our facts
    answer each of its facts, the laws beneath it in turn, and our time zone (a date and time
    of ours answers a date of the law as its day where we read it)."""

    law: CompiledPolicy
    answers: tuple[LawAnswer, ...]
    beneath: tuple[BoundLaw, ...]
    tz: ZoneInfo
    # the law's facts masked like personal ones: its own, and those answered from ours
    personal: frozenset[str]
    constants: dict[str, FactValue]  # the law's facts our terms answer the same way every time
    # the others: (the law's fact, its answer from our request, whether the law reads a date)
    computed: tuple[tuple[str, Callable[[Ctx], Any], bool], ...]
    period: Period  # the days this version of the law is in force (`effective`)


def bind(
    ours: CompiledPolicy, subject: CompiledLaw, law: CompiledPolicy, beneath: tuple[BoundLaw, ...]
) -> BoundLaw:
    """`subject to` bound to the law's compiled policy: an answer for each of the law's facts,
    `where` or our fact of the same name (language.laws checked that one of them exists)."""
    explicit = {answer.name: answer for answer in subject.answers}
    answers = tuple(
        explicit.get(fact.name) or _same_name(fact.name) for fact in law.rule_file.facts
    )
    from_ours = frozenset(a.name for a in answers if ours.personal.intersection(a.facts))
    declared = law.schema.declared
    constants = {a.name: a.value for a in answers if a.constant and a.value is not None}
    computed = tuple(
        (a.name, a.get, declared[a.name].type.kind == "date") for a in answers if not a.constant
    )
    personal = law.personal | from_ours
    period = Period.of(law.header)
    return BoundLaw(law, answers, beneath, ours.tz, personal, constants, computed, period)


def in_force(
    laws: tuple[BoundLaw, ...], ctx: Ctx
) -> Iterator[tuple[BoundLaw, dict[str, FactValue]]]:
    """Each law beneath the terms (its versions side by side, earliest first) in the version in
    force on the request, with its facts: the version whose period holds the law's own date
    fact as our facts answer it (`request.date` unless the law says `in force on`); with that
    date unknown, the only or the latest version. A law with no version in force that day is
    left out: it was not the law then."""
    start = 0
    while start < len(laws):
        law_id = laws[start].law.header.id
        end = start + 1
        while end < len(laws) and laws[end].law.header.id == law_id:
            end += 1
        versions, start = laws[start:end], end
        facts = law_facts(versions[0], ctx)
        value = facts.get(versions[0].law.header.chosen_by)
        day = value.date() if isinstance(value, datetime) else value
        if not isinstance(day, date):
            chosen: BoundLaw | None = versions[-1]
        else:
            chosen = next((v for v in versions if v.period.holds(day)), None)
        if chosen is None:
            continue
        yield chosen, facts if chosen is versions[0] else law_facts(chosen, ctx)


def _same_name(name: str) -> LawAnswer:
    return LawAnswer(name, lambda ctx: ctx.facts.get(name), (name,))


def law_facts(bound: BoundLaw, ctx: Ctx) -> dict[str, FactValue]:
    """The law's facts as our request answers them (unknown ones absent); a date and time of
    ours answers a date of the law as its day on the request's clock (the customer's zone
    when the terms read it, else ours)."""
    facts = dict(bound.constants)
    tz = ctx.tz or bound.tz
    for name, get, reads_date in bound.computed:
        value = get(ctx)
        if value is None:
            continue
        if reads_date and isinstance(value, datetime):
            value = value.astimezone(tz).date()
        facts[name] = value
    return facts


def law_decides(terms: Decision, law: Decision) -> bool:
    """Whether the law's answer may replace the terms' (then its steps are shown)."""
    if law.outcome is Outcome.ALLOW:
        return terms.outcome is not Outcome.ALLOW
    return law.outcome is Outcome.NEEDS_INFO and terms.outcome in _REFUSALS


def combine(terms: Decision, law: Decision, bound: BoundLaw, ctx: Ctx) -> Decision:
    """The decision of terms with a law beneath them (module docstring)."""
    view = LawAnswerView(
        law.policy_id, law.policy_version, law.policy_hash, law.outcome, law.clause, law.deadline
    )
    if law_decides(terms, law):
        if law.outcome is Outcome.ALLOW:  # the law allows what the terms do not
            unlawful = terms.outcome is Outcome.REFUSE
            return _the_laws(terms, law, view, bound, (), unlawful, law.obligations)
        ask = _ours_to_ask(law, bound, ctx)  # the terms refuse, the law may allow: ask
        if ask:
            return _the_laws(terms, law, view, bound, ask, False, ())
    terms.law = view  # a decision just made for this request, shared with no one yet
    return terms


def _decl(bound: BoundLaw, law: Decision) -> nodes.ClauseDecl | None:
    clause = bound.law.by_id.get(law.clause.id) if law.clause else None
    return clause.decl if clause else None


def _the_laws(
    terms: Decision,
    law: Decision,
    view: LawAnswerView,
    bound: BoundLaw,
    ask: tuple[tuple[str, str], ...],
    unlawful: bool,
    obligations: tuple[str, ...],
) -> Decision:
    """A decision the law made (its allowance, or `needs_info` asking for `ask`): its clause,
    deadline and margin, never rigid, the terms' own answer beside it, the law's steps after
    the terms'."""
    return dataclasses.replace(
        terms,
        outcome=Outcome.NEEDS_INFO if ask else Outcome.ALLOW,
        clause=law.clause,
        deadline=law.deadline,
        margin=law.margin,
        margin_unit=law.margin_unit,
        rigid=False,
        discretion=None,
        missing_facts=tuple(name for name, _ in ask),
        questions=tuple(question for _, question in ask),
        obligations=obligations,
        trace=terms.trace + _law_trace(law),
        explainer=_LayerWords(terms, law, _decl(bound, law)).explain,
        layer="law",
        terms=TermsAnswer(terms.outcome, terms.clause, unlawful),
        law=view,
        remedy=None if ask else law.remedy,  # what the law gives, never the terms' own
        fees=() if ask else law.fees,
        remedy_branch=-1,
    )


def _ours_to_ask(law: Decision, bound: BoundLaw, ctx: Ctx) -> tuple[tuple[str, str], ...]:
    """Our facts (and their questions) that would answer the facts the law waits on; none when
    the law waits only on facts our requests never give (`= unknown`)."""
    by_name = {answer.name: answer for answer in bound.answers}
    questions = dict(zip(law.missing_facts, law.questions, strict=False))
    ask: dict[str, str] = {}
    for name in law.missing_facts:
        answer = by_name.get(name)
        for ours in answer.facts if answer else ():
            if ours not in ctx.facts:
                ask.setdefault(ours, questions.get(name, ""))
    return tuple(ask.items())


def _law_trace(law: Decision) -> tuple[TraceStep, ...]:
    """The law's steps, each clause named with its law (`fr-code-consommation-2012:L121-20`)
    and the facts it read being the law's."""
    return tuple(
        step._replace(clause=f"{law.policy_id}:{step.clause}", law_facts=law.facts)
        for step in law.trace
    )


# -- words ----------------------------------------------------------------------------------------

_LEADS = {
    "en": {
        Outcome.REFUSE: "The terms refuse this request ({clause})",
        Outcome.NEEDS_INFO: "The terms cannot decide this request yet ({clause})",
        Outcome.NO_CLAUSE: "The terms do not cover this request",
        Outcome.CONFLICT: "The terms contradict each other on this request",
        "allows": "but the law allows it ({law}): refusing it would be unlawful.",
        "allows_open": "but the law allows it ({law}).",
        "waits": "but the law may allow it ({law}): it cannot be refused before this is known.",
        "clause": "clause {id}",
        "until": "until {date}",
    },
    "fr": {
        Outcome.REFUSE: "Les conditions refusent cette demande ({clause})",
        Outcome.NEEDS_INFO: "Les conditions ne permettent pas encore de trancher ({clause})",
        Outcome.NO_CLAUSE: "Les conditions ne couvrent pas cette demande",
        Outcome.CONFLICT: "Les conditions se contredisent sur cette demande",
        "allows": "mais la loi l'autorise ({law}) : la refuser serait illégal.",
        "allows_open": "mais la loi l'autorise ({law}).",
        "waits": "mais la loi pourrait l'autoriser ({law}) : elle ne peut être refusée avant de "
        "le savoir.",
        "clause": "clause {id}",
        "until": "jusqu'au {date}",
    },
}


@dataclass(frozen=True)
class _LayerWords:
    """The explanation of a decision the law made: the terms' answer, the law's, then the
    law's own explanation."""

    terms: Decision
    law: Decision
    law_clause: nodes.ClauseDecl | None

    def explain(self, decision: Decision, language: str) -> str:
        words = _LEADS.get(language, _LEADS["en"])
        lang = language if language in _LEADS else "en"
        clause = self.terms.clause
        lead = str(words[self.terms.outcome]).format(
            clause=str(words["clause"]).format(id=clause.id) if clause else "-"
        )
        law_words = [self.law.clause.id] if self.law.clause else [self.law.policy_id]
        period = clause_period(self.law_clause, lang) if self.law_clause else ""
        if period:
            law_words.append(period)
        if self.law.deadline is not None:
            law_words.append(str(words["until"]).format(date=long_date(self.law.deadline, lang)))
        if decision.outcome is Outcome.NEEDS_INFO:
            tail = words["waits"]
        elif self.terms.outcome is Outcome.REFUSE:
            tail = words["allows"]
        else:
            tail = words["allows_open"]
        said = f"{lead}, {str(tail).format(law=', '.join(law_words))}"
        return f"{said} {self.law.explanations.get(lang, self.law.explanation)}"


def clause_period(clause: nodes.ClauseDecl, language: str) -> str:
    """`7 jours francs`: the first `within` of a clause's rules in words (the unit by its name
    when it is no unit word: a calendar of the law's)."""
    for rule in clause.rules:
        for within in nodes.withins(rule.expr):
            if not isinstance(within, nodes.Within):
                continue
            try:
                return parse_unit(within.unit).label(within.count, language)
            except CalendarError:
                return f"{within.count} {within.unit}"
    return ""


def overruled_proposal(decision: Decision, proposed: Mapping[str, Any]) -> Proposal | None:
    """The verdict on an agent who proposes to refuse what the law allows: the law's article."""
    if decision.layer != "law" or decision.outcome is not Outcome.ALLOW:
        return None
    if proposed.get("outcome") != "refuse":
        return None
    law = decision.law
    article = decision.clause.id if decision.clause else (law.policy_id if law else "the law")
    until = f", until {decision.deadline.isoformat()}" if decision.deadline else ""
    message = (
        f"the law allows this request ({article}{until}): refusing it would be unlawful, "
        "whatever the terms say"
    )
    return Proposal(False, message, decision.clause.id if decision.clause else None)
