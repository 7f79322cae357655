"""The law beneath the terms: `statute`, `subject to` and its `where` mappings, checked with the
law's rule file (PC601-PC608), and the decisions of terms and law together."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck import load_policy
from policycheck.language.diagnostics import Diagnostic
from policycheck.language.formatter import format_rule_file
from policycheck.language.source import Source
from policycheck.policy import RuleFileError, diagnose, laws_among, load_source

RULES = Path(__file__).resolve().parents[2] / "rules"
TOMTOM = load_policy(RULES / "tomtom-fr-2012.policy")
LAW = load_policy(RULES / "fr-code-consommation-2012.policy")

STATUTE = """policy floor "A floor"
  statute
  timezone "Europe/Paris"

facts
  request.kind: one of withdrawal, other
  request.date: date
  possession.date: date
  goods.sealed: bool

clause art-1 "Seven days"
  applies to withdrawal
  allow when request.date within 7 days after possession.date
  requires goods.sealed
"""

TERMS = """policy shop "A shop"
  timezone "Europe/Paris"

subject to floor
  where request.kind = withdrawal when request.kind = cancellation, other when request.kind = return
  where possession.date = delivery.date
  where goods.sealed = not item.opened

facts
  request.kind: one of cancellation, return
  request.date: date
  delivery.date: date
  item.opened: bool
  item.used: bool

clause a "Unused items, 14 days"
  applies to cancellation
  allow when request.date within 14 days after delivery.date and not item.used
"""


def load(
    terms: str = TERMS, statute: str = STATUTE, **more: str
) -> tuple[object, list[Diagnostic]]:
    """Diagnose the terms with the statute (and `more` files) published beside them."""
    sources = [Source("shop.policy", terms), Source("floor.policy", statute)]
    sources += [Source(f"{name}.policy", text) for name, text in more.items()]
    return diagnose(sources[0], laws=laws_among(sources))


def codes(terms: str = TERMS, statute: str = STATUTE, **more: str) -> list[tuple[str, int, int]]:
    _, found = load(terms, statute, **more)
    return [(d.code, d.span.line, d.span.col) for d in found if d.severity.value == "error"]


def only(code: str, terms: str = TERMS, statute: str = STATUTE, **more: str) -> Diagnostic:
    _, found = load(terms, statute, **more)
    matching = [d for d in found if d.code == code]
    assert len(matching) == 1, found
    assert matching[0].help, matching[0]
    return matching[0]


def decide(terms: str, facts: dict[str, object]) -> dict[str, object]:
    sources = [Source("shop.policy", terms), Source("floor.policy", STATUTE)]
    policy = load_source(sources[0], laws_among(sources))
    return policy.evaluate(facts).to_dict()


# -- diagnostics ----------------------------------------------------------------------------------


def test_a_correct_pair_has_no_errors() -> None:
    compiled, found = load()
    assert compiled is not None
    assert [d for d in found if d.severity.value == "error"] == []


def test_an_unknown_law_is_located_with_the_nearest_id() -> None:
    found = only("PC601", TERMS.replace("subject to floor", "subject to flor"))
    assert (found.span.line, found.span.col) == (4, 12)
    assert "`floor`" in found.help


def test_a_law_that_is_not_a_statute() -> None:
    found = only("PC602", statute=STATUTE.replace("  statute\n", ""))
    assert found.message == "`floor` is not a statute"
    assert found.span.line == 4


def test_a_mapping_to_a_fact_the_law_does_not_have() -> None:
    terms = TERMS.replace("where goods.sealed", "where goods.seald")
    assert ("PC603", 7, 9) in codes(terms)
    assert "goods.sealed" in only("PC603", terms).help


MAPPINGS = {
    "request.kind": "where request.kind = withdrawal when request.kind = cancellation, "
    "other when request.kind = return",
    "possession.date": "where possession.date = delivery.date",
    "goods.sealed": "where goods.sealed = not item.opened",
}


def terms_with(**mappings: str) -> str:
    """TERMS with some of its `where` lines replaced."""
    lines = "\n".join(f"  {mappings.get(name, line)}" for name, line in MAPPINGS.items())
    start, end = TERMS.index("  where"), TERMS.index("\nfacts")
    return TERMS[:start] + lines + "\n" + TERMS[end:]


@pytest.mark.parametrize(
    ("target", "mapping", "why"),
    [
        ("possession.date", "where possession.date = item.opened", "a condition"),
        ("goods.sealed", "where goods.sealed = delivery.date", "a date"),
        ("request.kind", "where request.kind = request.date", "a date"),
        ("request.kind", "where request.kind = withdrawl when item.opened", "values"),
        ("request.kind", "where request.kind = somewhere", "bare name"),
    ],
)
def test_a_mapping_of_the_wrong_type_names_both_types(target: str, mapping: str, why: str) -> None:
    found = only("PC604", terms_with(**{target: mapping}))
    assert why in (found.note + found.message)


def test_an_unmapped_fact_of_the_law_says_how_to_map_it() -> None:
    terms = TERMS.replace("  where goods.sealed = not item.opened\n", "")
    found = only("PC605", terms)
    assert found.message == "the law's fact `goods.sealed` is not mapped"
    assert "where goods.sealed = ..." in found.help


def test_a_fact_of_the_same_name_and_type_needs_no_mapping() -> None:
    statute = STATUTE.replace("  goods.sealed: bool\n", "  goods.sealed: bool\n  item.used: bool\n")
    assert codes(statute=statute) == []
    wrong = STATUTE.replace("  goods.sealed: bool\n", "  goods.sealed: bool\n  item.used: date\n")
    assert "our `item.used` is a condition" in only("PC605", statute=wrong).note


def test_a_cycle_of_laws_is_located() -> None:
    statute = STATUTE.replace(
        '  timezone "Europe/Paris"\n',
        '  timezone "Europe/Paris"\n\nsubject to shop\n',
    )
    _, found = load(statute=statute)
    assert any(d.code == "PC601" for d in found), found  # the law cannot be loaded: its cycle
    sources = [Source("floor.policy", statute), Source("shop.policy", TERMS)]
    _, in_law = diagnose(sources[0], laws=laws_among(sources))
    cycle = [d for d in in_law if d.code in ("PC601", "PC606")]
    assert cycle, in_law


def test_a_statute_beneath_itself() -> None:
    statute = STATUTE.replace(
        '  timezone "Europe/Paris"\n', '  timezone "Europe/Paris"\n\nsubject to floor\n'
    )
    sources = [Source("floor.policy", statute)]
    _, found = diagnose(sources[0], laws=laws_among(sources))
    cycle = [d for d in found if d.code == "PC606"]
    assert [d.message for d in cycle] == ["a cycle of laws: floor -> floor"]


def test_a_fact_mapped_twice_and_a_law_named_twice() -> None:
    terms = TERMS.replace(
        "  where possession.date = delivery.date\n",
        "  where possession.date = delivery.date\n  where possession.date = request.date\n",
    )
    assert ("PC607", 7, 9) in codes(terms)


def test_expect_layer_in_terms_without_a_law() -> None:
    terms = "\n".join(line for line in TERMS.splitlines() if "where" not in line)
    terms = terms.replace("subject to floor\n", "")
    terms += '\nexample "e"\n  given request.kind = cancellation\n  expect layer law\n'
    assert [code for code, _, _ in codes(terms)] == ["PC608"]


def test_an_example_may_name_the_laws_clause_but_not_an_unknown_one() -> None:
    example = (
        '\nexample "opened, day 5"\n  given request.kind = cancellation, request.date = 2024-03-06,'
        " delivery.date = 2024-03-01, item.opened = false, item.used = true\n"
        "  expect allow under art-1\n  expect layer law\n  expect terms refuse under a\n"
    )
    assert codes(TERMS + example) == []
    assert [
        code for code, _, _ in codes(TERMS + example.replace("under art-1", "under art-2"))
    ] == ["PC203"]


def test_the_law_syntax_formats_and_reads_back_the_same() -> None:
    source = Source("shop.policy", TERMS)
    compiled, _ = load()
    assert compiled is not None
    once = format_rule_file(compiled.rule_file, source)  # type: ignore[attr-defined]
    again, _ = load(once)
    assert again is not None
    assert format_rule_file(again.rule_file, Source("shop.policy", once)) == once  # type: ignore[attr-defined]


def test_a_policy_whose_law_is_missing_does_not_load() -> None:
    with pytest.raises(RuleFileError) as raised:
        load_source(Source("shop.policy", TERMS), laws_among([]))
    assert [d.code for d in raised.value.diagnostics] == ["PC601"]


# -- decisions ------------------------------------------------------------------------------------

USED = {"request": {"kind": "cancellation"}, "delivery": {"date": "2024-03-01"},
        "item": {"opened": False, "used": True}}  # fmt: skip


def test_the_law_decides_when_it_gives_more() -> None:
    out = decide(TERMS, {**USED, "request": {"kind": "cancellation", "date": "2024-03-08"}})
    assert (out["outcome"], out["layer"], out["rigid"]) == ("allow", "law", False)
    assert out["clause"]["id"] == "art-1"  # type: ignore[index]
    assert out["deadline"] == "2024-03-08"
    assert out["contract"] == {
        "outcome": "refuse",
        "clause": {"id": "a", "title": "Unused items, 14 days"},
        "unlawful": True,
    }
    assert out["law"]["outcome"] == "allow"  # type: ignore[index]
    assert "refusing it would be unlawful" in out["explanations"]["en"]  # type: ignore[index]


def test_after_the_floor_the_terms_decide_and_the_law_is_shown() -> None:
    out = decide(TERMS, {**USED, "request": {"kind": "cancellation", "date": "2024-03-09"}})
    assert (out["outcome"], out["layer"], out["contract"]) == ("refuse", "contract", None)
    assert out["law"]["outcome"] == "refuse"  # type: ignore[index]
    assert out["law"]["deadline"] == "2024-03-08"  # type: ignore[index]


def test_a_refusal_the_law_may_forbid_waits_for_the_fact() -> None:
    facts = {**USED, "request": {"kind": "cancellation", "date": "2024-03-05"}}
    facts["delivery"] = {}  # the terms refuse a used item whenever; the law's period is unknown
    out = decide(TERMS, facts)
    assert (out["outcome"], out["layer"]) == ("needs_info", "law")
    assert out["missing_facts"] == ["delivery.date"]
    assert out["contract"] == {
        "outcome": "refuse",
        "clause": {"id": "a", "title": "Unused items, 14 days"},
        "unlawful": False,
    }
    assert "cannot be refused before" in out["explanations"]["en"]  # type: ignore[index]


def test_a_decision_without_a_law_says_the_contract_decided() -> None:
    out = LAW.evaluate({"request": {"kind": "other"}}).to_dict()
    assert (out["layer"], out["contract"], out["law"]) == ("contract", None, None)


def test_the_proposal_to_refuse_what_the_law_allows_names_the_article() -> None:
    facts = {**USED, "request": {"kind": "cancellation", "date": "2024-03-04"}}
    sources = [Source("shop.policy", TERMS), Source("floor.policy", STATUTE)]
    policy = load_source(sources[0], laws_among(sources))
    decision = policy.evaluate(facts, {"outcome": "refuse", "clause": "a"})
    assert decision.proposal is not None
    assert not decision.proposal.agrees
    assert "art-1" in decision.proposal.message
    assert "unlawful" in decision.proposal.message


# -- TomTom and the Code de la consommation of 2012, on any day ------------------------------------

POSTCODES = ["75011", "67000", "68000", "57000", "44000", "13001", "97110", "97400", None]


@settings(max_examples=300, deadline=None)
@given(
    delivered=st.dates(date(2012, 1, 1), date(2013, 12, 1)),
    after=st.integers(0, 25),
    used=st.sampled_from([True, False, None]),
    packaging=st.sampled_from([True, False, None]),
    category=st.sampled_from(["device", "accessory", "map", None]),
    downloaded=st.sampled_from([True, False, None]),
    postcode=st.sampled_from(POSTCODES),
)
def test_tomtom_never_refuses_what_the_law_allows(
    delivered: date,
    after: int,
    used: bool | None,
    packaging: bool | None,
    category: str | None,
    downloaded: bool | None,
    postcode: str | None,
) -> None:
    """The layered decision against the terms alone and the law alone, on the same request."""
    facts = {
        "request": {"kind": "cancellation", "date": str(delivered + timedelta(days=after))},
        "product": {"category": category, "used": used, "original_packaging": packaging},
        "delivery": {"date": str(delivered), "postcode": postcode},
        "service": {"downloaded": downloaded},
    }
    both = TOMTOM.evaluate(facts)
    terms = load_source(Source("terms-alone.policy", _without_law(TOMTOM))).evaluate(facts)
    law_facts = {
        "request": {"kind": "withdrawal", "date": facts["request"]["date"]},
        "possession": {"date": str(delivered)},
        "consumer": {"postcode": postcode},
        "contract": {"object": {"device": "goods", "accessory": "goods", "map": "services"}.get(
            category or "")},
        "goods": {"kind": "ordinary"},
        "service": {"begun": True if downloaded else None, "betting": False},
    }  # fmt: skip
    law = LAW.evaluate(law_facts)
    assert both.law is not None
    assert both.law.outcome is law.outcome
    if law.outcome.value == "allow":
        assert both.outcome.value == "allow"
        assert both.layer == ("law" if terms.outcome.value != "allow" else "contract")
    else:
        assert both.layer == "contract" or both.outcome.value == "needs_info"
    if both.layer == "contract":
        assert (both.outcome, both.clause, both.rigid) == (terms.outcome, terms.clause, terms.rigid)
    else:
        assert not both.rigid
        assert both.terms is not None
        assert both.terms.outcome is terms.outcome


def _without_law(policy: object) -> str:
    """TomTom's text without its `subject to` block (and the examples that expect a layer)."""
    text = policy.compiled.source.text  # type: ignore[attr-defined]
    start = text.index("subject to ")
    end = text.index("\n# Jours ouvrables")
    text = text[:start] + text[end:]
    return text[: text.index("# -- worked examples")]


def test_the_version_of_the_law_in_force_on_the_request_decides() -> None:
    """Two versions of the statute (7 days until 2023, 14 from 2024): the request's date, as
    the terms answer the law's `request.date`, chooses the one in force; none in force that day,
    and the terms alone decide."""
    old = STATUTE.replace(
        "  statute\n", '  statute\n  version "2020"\n  effective 2020-01-01 until 2023-12-31\n'
    )
    new = (
        old.replace('version "2020"', 'version "2024"')
        .replace("effective 2020-01-01 until 2023-12-31", "effective 2024-01-01")
        .replace("within 7 days", "within 14 days")
    )
    sources = [Source("shop.policy", TERMS), Source("floor-2020.policy", old),
               Source("floor-2024.policy", new)]  # fmt: skip
    policy = load_source(sources[0], laws_among(sources))
    assert [law.law.header.version for law in policy.laws] == ["2020", "2024"]

    def day_12(delivered: str, asked: str) -> dict[str, object]:
        facts = {**USED, "request": {"kind": "cancellation", "date": asked},
                 "delivery": {"date": delivered}}  # fmt: skip
        return policy.evaluate(facts).to_dict()

    in_2023 = day_12("2023-03-01", "2023-03-13")  # 12 days: late under the 2020 version
    assert (in_2023["layer"], in_2023["law"]["policy"]["version"]) == ("contract", "2020")  # type: ignore[index]
    in_2024 = day_12("2024-03-01", "2024-03-13")  # 12 days: in time under the 2024 version
    assert (in_2024["layer"], in_2024["law"]["policy"]["version"]) == ("law", "2024")  # type: ignore[index]
    before = day_12("2019-03-01", "2019-03-03")  # no version in force: the terms alone
    assert (before["layer"], before["law"]) == ("contract", None)


def test_the_cache_of_compiled_rule_files_is_bounded() -> None:
    """Texts sent to `POST /v1/policies/check` are compiled once each, never kept without end."""
    from policycheck import policy as loader

    for n in range(loader.COMPILED_CACHE_SIZE + 20):
        diagnose(Source(f"sent-{n}.policy", STATUTE.replace("A floor", f"Floor {n}")))
    assert len(loader._compiled_cache) <= loader.COMPILED_CACHE_SIZE


def test_a_date_and_time_answers_the_laws_date_on_the_customers_clock() -> None:
    """20:00 in Guadeloupe on day 7 is the next day in Paris: the law reads the customer's day,
    as the terms do (their `customer timezone`)."""
    terms = TERMS.replace(
        '  timezone "Europe/Paris"\n',
        '  timezone "Europe/Paris"\n  customer timezone of FR at delivery.postcode\n',
    ).replace("  request.date: date\n", "  request.date: date\n  request.at: datetime\n")
    terms = terms.replace(
        "  where possession.date = delivery.date\n",
        "  where possession.date = delivery.date\n  where request.date = request.at\n",
    ).replace("  delivery.date: date\n", "  delivery.date: date\n  delivery.postcode: text\n")
    sources = [Source("shop.policy", terms), Source("floor.policy", STATUTE)]
    policy = load_source(sources[0], laws_among(sources))
    facts = {
        "request": {"kind": "cancellation", "date": "2024-03-08", "at": "2024-03-08T20:00-04:00"},
        "delivery": {"date": "2024-03-01", "postcode": "97110"},
        "item": {"opened": False, "used": True},
    }
    out = policy.evaluate(facts).to_dict()
    assert (out["layer"], out["law"]["outcome"]) == ("law", "allow")  # type: ignore[index]
