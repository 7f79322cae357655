"""Decisions in words, in English and French: which clause, why, and what would change it.

Conditions are said in business words (`evaluation.phrases`), facts by their labels, questions
in the language of the explanation; the trace keeps the formal view (rule text, dotted facts).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from policycheck.calendar import Margin
from policycheck.evaluation.decision import Decision, Grounds, Outcome, json_value
from policycheck.evaluation.phrases import Phrases
from policycheck.evaluation.runtime import Ctx, Node
from policycheck.evaluation.words import (
    fact_label,
    fact_value,
    join,
    lang_of,
    long_date,
    name_words,
    quoted,
)
from policycheck.evaluation.words import question as question_in
from policycheck.language import nodes
from policycheck.language.money import Money
from policycheck.language.symbols import KIND_FACT, Symbols

if TYPE_CHECKING:
    from policycheck.evaluation.compile import CompiledClause, CompiledPolicy

__all__ = ["Speech", "explain", "facts_text", "long_date", "show", "speech_of"]

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
        "remedy": "Remedy: {kind}{amount}{text}.",
        "fees": "Fees: {items}.",
        "missing": "More information is needed: {items}.",
        "no_clause": "No clause applies: {items}.",
        "conflict": "Clauses {ids} apply with different outcomes and no precedence between them.",
        "clause": "clause {id}: {reason}",
        "margin": "{reason}: {margin}",
        "asked": "{label} ({question})",
        "check": "check that {condition}",
        "kind": "{label} ({value}) is not {kinds}",
        "unknown": "not known: {items}",
        "or": "or",
        "sep": "; ",
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
        "remedy": "Remède : {kind}{amount}{text}.",
        "fees": "Frais : {items}.",
        "missing": "Informations manquantes : {items}.",
        "no_clause": "Aucune clause ne s'applique : {items}.",
        "conflict": "Les clauses {ids} s'appliquent avec des issues différentes, sans priorité "
        "entre elles.",
        "clause": "clause {id} : {reason}",
        "margin": "{reason} : {margin}",
        "asked": "{label} ({question})",
        "check": "vérifier : {condition}",
        "kind": "{label} ({value}) n'est pas {kinds}",
        "unknown": "inconnu : {items}",
        "or": "ou",
        "sep": " ; ",
    },
}


class Speech:
    """A policy's words: its facts by label, their questions, its conditions, in either
    language. Made once per rule file (`speech_of`), used only when an explanation is shown."""

    def __init__(self, rule_file: nodes.RuleFile) -> None:
        self.symbols = Symbols.of(rule_file)
        self.language = rule_file.header.language

    def label(self, name: str, language: str) -> str:
        """`the delivery date`, `la date de livraison`."""
        return fact_label(name, self.symbols.facts.get(name), language)

    def question(self, name: str, language: str) -> str:
        """The question for a fact in `language`: declared, else made from its label."""
        return question_in(name, self.symbols.facts.get(name), language, self.language)

    def phrases(self, language: str, ctx: Ctx | None = None) -> Phrases:
        """Conditions in `language`, each fact followed by its value in `ctx` when known."""
        facts = self.symbols.facts
        values: Callable[[str], str | None] | None = None
        if ctx is not None:

            def values(name: str) -> str | None:
                fact = facts.get(name)
                if fact is None or fact.type.kind == "bool" or ctx.facts.get(name) is None:
                    return None  # unknown, or a yes/no the phrase says itself
                return fact_value(ctx.shown(name), fact, language)

        return Phrases(self.symbols, language, values, inline_groups=True)

    def grounds(
        self,
        language: str,
        ctx: Ctx,
        clause: CompiledClause | None,
        reasons: list[tuple[Node, str]],
        unchecked: list[Node],
        not_applicable: tuple[tuple[str, CompiledClause], ...],
        conflicting: tuple[str, ...],
    ) -> Grounds:
        """What the explanation in `language` says of one decision."""
        lang = lang_of(language)
        words = _WORDS[lang]
        phrases = self.phrases(lang, ctx)
        checks = tuple(
            words["check"].format(condition=phrases.condition(n.expr)) for n in unchecked
        )
        return Grounds(
            scope=self.scope(clause, ctx, phrases) if clause else "",
            reasons=tuple(self.reason(node, ctx, phrases) for node, _ in reasons),
            late_only=bool(reasons) and all(n.within and k == "rule" for n, k in reasons),
            not_applicable=tuple(
                (cid, self.not_applying(other, ctx, phrases)) for cid, other in not_applicable
            ),
            conflicting=conflicting,
            formal=any(kind == "formal" for _, kind in reasons),
            checks=checks,
        )

    @staticmethod
    def reason(node: Node, ctx: Ctx, phrases: Phrases) -> tuple[str, Margin | None]:
        """An atom as it decided (`the delivery date (4 April 2012) ...`), with its margin."""
        value = ctx.values[node.index]
        text = phrases.condition(node.expr, positive=value is not False)
        result = ctx.withins.get(node.index)
        return text, result.margin if result is not None else None

    def scope(self, clause: CompiledClause, ctx: Ctx, phrases: Phrases) -> str:
        """`the request kind is cancellation, the product category (device) is ...`."""
        parts = []
        if clause.kinds is not None:
            kind = fact_value(ctx.shown(KIND_FACT), self.symbols.facts.get(KIND_FACT), "en")
            label = self.label(KIND_FACT, phrases.language)
            parts.append(f"{label} {phrases.words['=']} {kind}")
        if clause.group is not None and clause.group.expr is not None:
            parts.append(phrases.condition(clause.group.expr))
        return ", ".join(parts)

    def not_applying(self, clause: CompiledClause, ctx: Ctx, phrases: Phrases) -> str:
        """Why a clause does not apply (or may not): its request kind, its group, unknowns."""
        words = _WORDS[phrases.language]
        kind = ctx.facts.get(KIND_FACT)
        if clause.kinds is not None and kind is not None and kind not in clause.kinds:
            kinds = join(sorted(clause.kinds), str(words["or"]), phrases.language)
            label = self.label(KIND_FACT, phrases.language)
            value = fact_value(kind, self.symbols.facts.get(KIND_FACT), phrases.language)
            return words["kind"].format(label=label, value=value, kinds=kinds)
        group = clause.group
        if group is not None and group.expr is not None and ctx.values[group.index] is False:
            return phrases.condition(group.expr, positive=False)
        unknown = [
            self.label(name, phrases.language)
            for name in dict.fromkeys(_scope_facts(clause))
            if name not in ctx.facts
        ]
        return words["unknown"].format(items=", ".join(unknown) or "-")


_SPEECH: dict[str, Speech] = {}
_SPEECH_LOCK = threading.Lock()


def speech_of(policy: CompiledPolicy) -> Speech:
    """The words of a compiled policy, by its content hash (kept for the last 256)."""
    found = _SPEECH.get(policy.hash)
    if found is None:
        found = Speech(policy.rule_file)
        with _SPEECH_LOCK:
            if len(_SPEECH) >= 256:
                _SPEECH.pop(next(iter(_SPEECH)))
            _SPEECH[policy.hash] = found
    return found


def _scope_facts(clause: CompiledClause) -> tuple[str, ...]:
    kind = (KIND_FACT,) if clause.kinds is not None else ()
    return kind + (clause.group.facts if clause.group is not None else ())


def _asked(decision: Decision, speech: Speech | None, language: str) -> str:
    if speech is None:
        pairs = zip(decision.missing_facts, decision.questions, strict=False)
        return "; ".join(f"{name} ({question})" for name, question in pairs) or "-"
    words = _WORDS[lang_of(language)]
    items = [
        words["asked"].format(
            label=speech.label(name, language), question=speech.question(name, language)
        )
        for name in decision.missing_facts
    ]
    return words["sep"].join(items) or "-"


#: Remedy kinds in words (others by their name in words).
_KINDS = {
    "en": {"partial_refund": "partial refund", "store_credit": "store credit"},
    "fr": {
        "refund": "remboursement",
        "partial_refund": "remboursement partiel",
        "store_credit": "avoir",
        "exchange": "échange",
    },
}


def _settlement(decision: Decision, lang: str) -> list[str]:
    """`Remedy: refund of $169.83 (“the price paid ...”).` and `Fees: restocking fee $29.97.`"""
    words = _WORDS[lang]
    out = []
    remedy = decision.remedy
    if remedy is not None:
        kinds = _KINDS[lang]
        amount = f" {remedy.amount.words(lang)}" if remedy.amount is not None else ""
        text = f" ({quoted(remedy.text, lang)})" if remedy.text else ""
        kind = kinds.get(remedy.kind, name_words(remedy.kind))
        out.append(words["remedy"].format(kind=kind, amount=amount, text=text))
    if decision.fees:
        items = [
            f"{fee.label} {fee.amount.words(lang)}"
            if fee.amount is not None
            else quoted(fee.label, lang)
            for fee in decision.fees
        ]
        out.append(words["fees"].format(items=words["sep"].join(items)))
    return out


def explain(decision: Decision, language: str, speech: Speech | None = None) -> str:
    """A short explanation of the decision in `language` (`en` or `fr`; others get English)."""
    lang = lang_of(language)
    words = _WORDS[lang]
    grounds = decision.grounds_in(lang)
    outcome = decision.outcome
    reasons = (
        words["sep"].join(
            words["margin"].format(reason=text, margin=margin.describe(lang)) if margin else text
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
        out += _settlement(decision, lang)
        to_do = [o for o in decision.obligations if not o.startswith("check: ")]
        to_do += grounds.checks
        if to_do:
            out.append(words["obligations"].format(items=words["sep"].join(to_do)))
    elif outcome is Outcome.REFUSE:
        out.append(words["refused"].format(reasons=reasons))
        margin = decision.margin
        if grounds.late_only and margin is not None and margin.late and decision.deadline:
            out.append(words["near_miss"].format(date=long_date(decision.deadline, lang)))
        if decision.rigid and decision.discretion:
            out.append(words["waive"].format(who=words[decision.discretion[0]]))
        elif decision.missing_facts:
            out.append(words["depends"].format(items=_asked(decision, speech, lang)))
        else:
            out.append(words["firm"])
    elif outcome is Outcome.NEEDS_INFO:
        out.append(words["missing"].format(items=_asked(decision, speech, lang)))
        if decision.deadline:
            out.append(words["deadline"].format(date=long_date(decision.deadline, lang)))
    elif outcome is Outcome.NO_CLAUSE:
        items = [
            words["clause"].format(id=cid, reason=reason) for cid, reason in grounds.not_applicable
        ]
        out.append(words["no_clause"].format(items=words["sep"].join(items) or "-"))
    else:
        out.append(words["conflict"].format(ids=", ".join(grounds.conflicting)))
    return " ".join(out)


# -- the formal view: the trace's notes, values as JSON shows them ----------------------------


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
