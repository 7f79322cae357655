"""Decisions in words, in English and French: which clause, why, and what would change it."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from policycheck.calendar import Margin
from policycheck.evaluation.decision import Decision, Outcome, json_value
from policycheck.evaluation.runtime import Ctx, Node
from policycheck.language.money import Money
from policycheck.language.symbols import KIND_FACT

if TYPE_CHECKING:
    from policycheck.evaluation.compile import CompiledClause

_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
}

_WORDS = {
    "en": {
        "applies": "Clause {id} applies ({scope}).",
        "allowed": "Allowed: {reasons}.",
        "refused": "Refused: {reasons}.",
        "deadline": "The last day in time is {date}.",
        "near_miss": "In time if asked by {date}.",
        "waive": "This refusal may be waived by {who}.",
        "firm": "This refusal is firm.",
        "always": "every request the clause applies to",
        "depends": "Whether it may be waived depends on: {items}.",
        "agent": "an agent",
        "supervisor": "a supervisor",
        "obligations": "To do: {items}.",
        "missing": "More information is needed: {items}.",
        "no_clause": "No clause applies: {items}.",
        "conflict": "Clauses {ids} apply with different outcomes and no precedence between them.",
        "clause": "clause {id}: {reason}",
    },
    "fr": {
        "applies": "La clause {id} s'applique ({scope}).",
        "allowed": "Accepté : {reasons}.",
        "refused": "Refusé : {reasons}.",
        "deadline": "Dernier jour dans les délais : {date}.",
        "near_miss": "Dans les délais si la demande avait été faite au plus tard le {date}.",
        "waive": "Ce refus peut être levé par {who}.",
        "firm": "Ce refus est ferme.",
        "always": "toute demande à laquelle la clause s'applique",
        "depends": "La possibilité de lever ce refus dépend de : {items}.",
        "agent": "un agent",
        "supervisor": "un superviseur",
        "obligations": "À faire : {items}.",
        "missing": "Informations manquantes : {items}.",
        "no_clause": "Aucune clause ne s'applique : {items}.",
        "conflict": "Les clauses {ids} s'appliquent avec des issues différentes, sans priorité "
        "entre elles.",
        "clause": "clause {id} : {reason}",
    },
}


def long_date(day: date, language: str) -> str:
    """`21 April 2012`, `21 avril 2012`; an instant `31 March 2024 at 13:00 (UTC+02:00)`."""
    months = _MONTHS.get(language, _MONTHS["en"])
    text = f"{day.day} {months[day.month - 1]} {day.year}"
    if isinstance(day, datetime):  # a period in hours ends at an instant: say it with its offset
        offset = day.isoformat(timespec="minutes")[16:] or "+00:00"
        text += f" {'à' if language == 'fr' else 'at'} {day:%H:%M} (UTC{offset})"
    return text


def _asked(decision: Decision) -> str:
    items = [
        f"{name} ({question})"
        for name, question in zip(decision.missing_facts, decision.questions, strict=False)
    ]
    return "; ".join(items) or "-"


def explain(decision: Decision, language: str) -> str:
    """A short explanation of the decision in `language` (`en` or `fr`; others get English)."""
    words = _WORDS.get(language, _WORDS["en"])
    lang = language if language in _WORDS else "en"
    grounds = decision.grounds
    outcome = decision.outcome
    reasons = (
        "; ".join(
            f"{text} ({margin.describe(lang)})" if margin else text
            for text, margin in grounds.reasons
        )
        or words["always"]
    )
    out: list[str] = []
    if decision.clause is not None:
        out.append(words["applies"].format(id=decision.clause.id, scope=grounds.scope or "-"))
    if outcome is Outcome.ALLOW:
        out.append(words["allowed"].format(reasons=reasons))
        if decision.deadline:
            out.append(words["deadline"].format(date=long_date(decision.deadline, lang)))
        if decision.obligations:
            out.append(words["obligations"].format(items="; ".join(decision.obligations)))
    elif outcome is Outcome.REFUSE:
        out.append(words["refused"].format(reasons=reasons))
        margin = decision.margin
        if grounds.late_only and margin is not None and margin.late and decision.deadline:
            out.append(words["near_miss"].format(date=long_date(decision.deadline, lang)))
        if decision.rigid and decision.discretion:
            out.append(words["waive"].format(who=words[decision.discretion[0]]))
        elif decision.missing_facts:
            out.append(words["depends"].format(items=_asked(decision)))
        else:
            out.append(words["firm"])
    elif outcome is Outcome.NEEDS_INFO:
        out.append(words["missing"].format(items=_asked(decision)))
        if decision.deadline:
            out.append(words["deadline"].format(date=long_date(decision.deadline, lang)))
    elif outcome is Outcome.NO_CLAUSE:
        items = [
            words["clause"].format(id=cid, reason=reason) for cid, reason in grounds.not_applicable
        ]
        out.append(words["no_clause"].format(items="; ".join(items) or "-"))
    else:
        out.append(words["conflict"].format(ids=", ".join(grounds.conflicting)))
    return " ".join(out)


# -- words from an evaluation, computed only when an explanation is shown ---------------------


def facts_text(node: Node, ctx: Ctx) -> str:
    """`product.category = map`: the facts a condition read, with their values."""
    return ", ".join(f"{name} = {show(ctx.shown(name))}" for name in node.facts)


def show(value: Any) -> str:
    """A fact value as it reads in a sentence: `true`, `2012-04-04`, `199.80 USD`, `unknown`."""
    if isinstance(value, Money):
        return str(value)
    shown = json_value(value)
    if shown is None:
        return "unknown"
    return str(shown).lower() if isinstance(shown, bool) else str(shown)


def reason_words(node: Node, ctx: Ctx) -> tuple[str, Margin | None]:
    """An atom with the values it read (`product.used = true`), and its margin if a period."""
    value = ctx.values[node.index]
    if node.facts == (node.text,):
        return f"{node.text} = {show(ctx.shown(node.text))}", None
    result = ctx.withins.get(node.index)
    if result is not None and result.margin is not None:
        return node.text, result.margin
    if node.facts and value is not None:
        return f"{node.text} ({facts_text(node, ctx)})", None
    return node.text, None


def scope_words(clause: CompiledClause, ctx: Ctx) -> str:
    """`request.kind = cancellation, product.category = map`: why a clause applies."""
    parts = []
    if clause.kinds is not None:
        parts.append(f"{KIND_FACT} = {show(ctx.shown(KIND_FACT))}")
    if clause.group is not None:
        parts.append(facts_text(clause.group, ctx))
    return ", ".join(p for p in parts if p)


def question(question: str | None, name: str, language: str) -> str:
    """What to ask for a missing fact: its declared question, or a plain one."""
    if question:
        return question
    return f"Quelle est la valeur de `{name}` ?" if language == "fr" else f"What is `{name}`?"
