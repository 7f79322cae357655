"""The founding TomTom policy, evaluated: outcomes, deadlines, rigidity, three-valued logic."""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import policycheck
from policycheck import FactsError, load_policy

TOMTOM = Path(__file__).resolve().parents[2] / "rules" / "tomtom-fr-2012.policy"


@pytest.fixture(scope="module")
def tomtom() -> policycheck.Policy:
    return load_policy(TOMTOM)


def device(asked: str, *, used: bool | None = False, packaging: bool | None = True,
           delivered: str | None = "2012-04-04", postcode: str | None = "75011",
           kind: str = "cancellation", category: str = "device") -> dict[str, Any]:  # fmt: skip
    facts: dict[str, Any] = {
        "request": {"kind": kind, "date": asked},
        "product": {"category": category, "used": used, "original_packaging": packaging},
        "delivery": {"date": delivered, "postcode": postcode},
    }
    return facts


def service(asked: str = "2012-03-19", category: str = "map", **flags: bool) -> dict[str, Any]:
    return {
        "request": {"kind": "cancellation", "date": asked},
        "product": {"category": category},
        "service": flags,
    }


def test_founding_story_map_not_downloaded_corrects_the_agent(tomtom: policycheck.Policy) -> None:
    decision = tomtom.evaluate(service(downloaded=False), {"outcome": "refuse", "clause": "a"})
    out = decision.to_dict()
    assert out["outcome"] == "allow"
    assert out["clause"]["id"] == "b"
    assert out["proposal"]["agrees"] is False
    assert out["proposal"]["applicable_clause"] == "b"
    assert "Clause a does not apply" in out["proposal"]["message"]
    assert "not hardware" in out["proposal"]["message"]
    scope_a = next(s for s in out["trace"] if s["clause"] == "a" and s["step"] == "scope")
    assert scope_a["value"] is False
    assert scope_a["note"] == "product.category = map is not hardware"


def test_right_refusal_under_the_wrong_clause_does_not_agree(tomtom: policycheck.Policy) -> None:
    decision = tomtom.evaluate(service(downloaded=True), {"outcome": "refuse", "clause": "a"})
    assert decision.outcome.value == "refuse"
    assert decision.proposal is not None
    assert decision.proposal.agrees is False
    assert decision.proposal.applicable_clause == "b"


def test_right_answer_agrees(tomtom: policycheck.Policy) -> None:
    decision = tomtom.evaluate(service(downloaded=True), {"outcome": "refuse", "clause": "b"})
    assert decision.proposal is not None
    assert decision.proposal.agrees is True
    assert decision.proposal.message == "Agreed: clause b gives refuse."


def test_device_in_time_in_paris(tomtom: policycheck.Policy) -> None:
    out = tomtom.evaluate(device("2012-04-20")).to_dict()
    assert (out["outcome"], out["clause"]["id"], out["deadline"]) == ("allow", "a", "2012-04-21")
    assert out["margin"] == {"value": 1, "unit": "ouvrables", "late": False}
    assert out["rigid"] is False
    assert any("RMA" in item for item in out["obligations"])


def test_device_two_days_late_is_a_rigid_refusal(tomtom: policycheck.Policy) -> None:
    out = tomtom.evaluate(device("2012-04-23")).to_dict()
    assert (out["outcome"], out["deadline"], out["rigid"]) == ("refuse", "2012-04-21", True)
    assert out["margin"] == {"value": 1, "unit": "ouvrables", "late": True}
    assert out["discretion"] == {"level": "agent", "reason": "near_miss"}
    assert "In time if asked by 21 April 2012." in out["explanations"]["en"]
    assert "21 avril 2012" in out["explanation"]


def test_same_dates_in_strasbourg_are_in_time(tomtom: policycheck.Policy) -> None:
    """Good Friday is a holiday in Alsace: the deadline moves to Monday 23 April."""
    out = tomtom.evaluate(device("2012-04-23", postcode="67000")).to_dict()
    assert (out["outcome"], out["deadline"]) == ("allow", "2012-04-23")


def test_late_and_used_is_a_firm_refusal(tomtom: policycheck.Policy) -> None:
    decision = tomtom.evaluate(device("2012-04-24", used=True))
    assert decision.outcome.value == "refuse"
    assert decision.rigid is False
    assert decision.discretion is None
    assert "firm" in decision.explanations["en"]


def test_far_too_late_is_refused_even_when_use_is_unknown(tomtom: policycheck.Policy) -> None:
    decision = tomtom.evaluate(device("2012-06-01", used=None))
    assert decision.outcome.value == "refuse"
    assert decision.margin is not None
    assert decision.margin.value > 3


def test_near_miss_with_use_unknown_asks_before_waiving(tomtom: policycheck.Policy) -> None:
    decision = tomtom.evaluate(device("2012-04-23", used=None))
    assert decision.outcome.value == "refuse"
    assert decision.rigid is False
    assert decision.missing_facts == ("product.used",)
    # the decision's questions are in the policy's language (French)
    assert decision.questions == ("L'appareil a-t-il été utilisé depuis la livraison ?",)


# From 16 April, past the 7 jours francs of the law beneath the terms (which would allow the
# cancellation whatever the use or the packaging): the terms alone decide.
def test_in_time_but_use_unknown_needs_info(tomtom: policycheck.Policy) -> None:
    out = tomtom.evaluate(device("2012-04-16", used=None)).to_dict()
    assert out["outcome"] == "needs_info"
    assert out["clause"]["id"] == "a"
    assert out["missing_facts"] == ["product.used"]
    assert out["questions"] == ["L'appareil a-t-il été utilisé depuis la livraison ?"]
    assert "(Has the device been used since delivery?)" in out["explanations"]["en"]


def test_missing_packaging_is_a_formal_rigid_refusal(tomtom: policycheck.Policy) -> None:
    decision = tomtom.evaluate(device("2012-04-16", packaging=False))
    assert decision.outcome.value == "refuse"
    assert (decision.rigid, decision.discretion) == (True, ("agent", "formal"))


def test_unknown_packaging_becomes_an_obligation(tomtom: policycheck.Policy) -> None:
    decision = tomtom.evaluate(device("2012-04-10", packaging=None))
    assert decision.outcome.value == "allow"
    assert "check: product.original_packaging" in decision.obligations


def test_implemented_service_refusal_is_waivable_by_a_supervisor(
    tomtom: policycheck.Policy,
) -> None:
    decision = tomtom.evaluate(service(category="live_service", activated=True))
    assert decision.outcome.value == "refuse"
    assert (decision.rigid, decision.discretion) == (True, ("supervisor", "always"))
    assert "supervisor" in decision.explanations["en"]


def typographic(text: str) -> str:
    """The terms' apostrophes are typographic (U+2019)."""
    return text.replace("'", "\N{RIGHT SINGLE QUOTATION MARK}")


CLAUSE_B = typographic(
    "Vous acceptez que l'exécution de Services par TomTom débute immédiatement après "
    "l'acceptation par TomTom de votre bon de commande. Vous ne pourrez pas annuler ces Services "
    "après leur mise en œuvre, y compris, mais à titre non exhaustif, le téléchargement, "
    "l'installation ou l'activation du Service de votre part."
)


def test_clause_sources_are_the_2012_terms_verbatim(tomtom: policycheck.Policy) -> None:
    """docs/domain.md §1.0: the cancellation paragraph word for word, typography included."""
    sources = {c.decl.id: c.decl.source for c in tomtom.compiled.clauses}
    assert sources["b"] == CLAUSE_B
    a = sources["a"] or ""
    assert a.startswith("TomTom accepte que vous annuliez toutes commandes de Matériel pour ")
    for part in [
        "à condition que ce Matériel n'ait été utilisé à aucun moment au cours des 14 ",
        "par courriel à l'adresse http://www.tomtom.com/support, afin d'obtenir un numéro ",
    ]:
        assert typographic(part) in a
    assert a.endswith(
        typographic("les coûts de poste et de transport associés qu'il aura pu engager.")
    )


DOWNLOADABLE = ["map", "voice", "poi", "speed_cameras"]
ACTS = ("downloaded", "installed", "activated")


@pytest.mark.parametrize("category", [*DOWNLOADABLE, "live_service"])
def test_clause_b_any_known_act_of_implementation_refuses(
    tomtom: policycheck.Policy, category: str
) -> None:
    """docs/domain.md §1.0, clause b: download, installation or activation each implements the
    Service, and any one known to have happened ends the right to cancel. Every combination of
    known-true, known-false and unknown acts, for every service."""
    for values in itertools.product([True, False, None], repeat=3):
        flags = {act: value for act, value in zip(ACTS, values, strict=True) if value is not None}
        decision = tomtom.evaluate(service(category=category, **flags))
        got = (decision.outcome.value, decision.clause.id if decision.clause else None)
        if True in values:
            assert got == ("refuse", "b"), flags
            assert (decision.rigid, decision.discretion) == (True, ("supervisor", "always"))
        elif values == (False, False, False):
            assert got == ("allow", "b"), flags
        elif category in DOWNLOADABLE and values[0] is False:
            # not downloaded: presumed neither installed nor activated (the founding story)
            assert got == ("allow", "b"), flags
        else:
            assert got == ("needs_info", "b"), flags
            unknown = {f"service.{act}" for act, value in zip(ACTS, values, strict=True)
                       if value is None}  # fmt: skip
            assert set(decision.missing_facts) == unknown, flags


def test_live_service_with_unknown_activation_needs_info(tomtom: policycheck.Policy) -> None:
    decision = tomtom.evaluate(service(category="live_service", downloaded=False))
    assert decision.outcome.value == "needs_info"
    assert set(decision.missing_facts) == {"service.installed", "service.activated"}


@pytest.mark.parametrize("kind", ["return", "refund"])
def test_other_request_kinds_have_no_clause(tomtom: policycheck.Policy, kind: str) -> None:
    out = tomtom.evaluate(device("2012-04-10", kind=kind)).to_dict()
    assert (out["outcome"], out["clause"]) == ("no_clause", None)
    assert f"the kind of request ({kind}) is not cancellation" in out["explanations"]["en"]
    assert f"la nature de la demande ({kind}) n'est pas cancellation" in out["explanations"]["fr"]


def test_unknown_kind_needs_info(tomtom: policycheck.Policy) -> None:
    facts = device("2012-04-10")
    del facts["request"]["kind"]
    decision = tomtom.evaluate(facts)
    assert decision.outcome.value == "needs_info"
    assert decision.clause is None
    assert "request.kind" in decision.missing_facts


def test_unknown_postcode_is_fine_when_every_region_agrees(tomtom: policycheck.Policy) -> None:
    decision = tomtom.evaluate(device("2012-04-10", postcode=None))
    assert decision.outcome.value == "allow"
    assert decision.deadline is None  # the regions disagree on the last day, not on the answer


def test_unknown_postcode_matters_when_regions_disagree(tomtom: policycheck.Policy) -> None:
    decision = tomtom.evaluate(device("2012-04-23", postcode=None))
    assert decision.outcome.value == "needs_info"
    assert decision.missing_facts == ("delivery.postcode",)


def test_request_datetime_is_read_in_paris_time(tomtom: policycheck.Policy) -> None:
    late_evening = device("2012-04-21T23:30:00+02:00")
    next_day_utc = device("2012-04-21T22:30:00+00:00")
    assert tomtom.evaluate(late_evening).outcome.value == "allow"
    assert tomtom.evaluate(next_day_utc).outcome.value == "refuse"


def test_invalid_facts_list_every_problem(tomtom: policycheck.Policy) -> None:
    facts = {
        "request": {"kind": "cancelation", "date": "2012-02-30"},
        "product": {"categori": "map", "used": "yes"},
    }
    with pytest.raises(FactsError) as raised:
        tomtom.evaluate(facts, {"outcome": "maybe", "clause": "z"})
    problems = {(p.code, p.fact) for p in raised.value.problems}
    assert problems == {
        ("PC504", "request.kind"),
        ("PC503", "request.date"),
        ("PC501", "product.categori"),
        ("PC502", "product.used"),
        ("PC505", "proposed.outcome"),
        ("PC505", "proposed.clause"),
    }
    hint = next(p for p in raised.value.problems if p.code == "PC501").message
    assert "did you mean `product.category`?" in hint


def test_decision_json_has_the_contract_keys(tomtom: policycheck.Policy) -> None:
    out = tomtom.evaluate(device("2012-04-23")).to_dict()
    assert set(out) >= {
        "decision_id", "policy", "outcome", "clause", "deadline", "margin", "rigid",
        "discretion", "missing_facts", "questions", "obligations", "explanation", "trace",
        "proposal",
    }  # fmt: skip
    assert out["policy"]["id"] == "tomtom-fr-2012"
    assert out["policy"]["version"] == "2012-06"
    assert out["policy"]["hash"].startswith("sha256:")
    assert out["proposal"] is None
    json.dumps(out)  # serialisable as is
    within = next(s for s in out["trace"] if s["step"] == "condition" and s["clause"] == "a")
    assert within["deadline"] == "2012-04-21"
    assert within["facts"]["delivery.date"] == "2012-04-04"


def test_same_input_same_decision(tomtom: policycheck.Policy) -> None:
    first = tomtom.evaluate(device("2012-04-23")).to_dict()
    again = load_policy(TOMTOM).evaluate(device("2012-04-23")).to_dict()
    assert first == again


def test_deadline_is_a_date(tomtom: policycheck.Policy) -> None:
    assert tomtom.evaluate(device("2012-04-23")).deadline == date(2012, 4, 21)
