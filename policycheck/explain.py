"""Decisions in words, in English and French: which clause, why, and what would change it."""

from __future__ import annotations

from datetime import date

from policycheck.decision import Decision, Outcome

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
    """`21 April 2012`, `21 avril 2012`."""
    months = _MONTHS.get(language, _MONTHS["en"])
    return f"{day.day} {months[day.month - 1]} {day.year}"


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
        or "-"
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
    elif outcome is Outcome.NO_CLAUSE:
        items = [
            words["clause"].format(id=cid, reason=reason) for cid, reason in grounds.not_applicable
        ]
        out.append(words["no_clause"].format(items="; ".join(items) or "-"))
    else:
        out.append(words["conflict"].format(ids=", ".join(grounds.conflicting)))
    return " ".join(out)
