"""Tolerances that lawyers write (issue 13, item 5): a near miss counted in another unit than the
period ("14 calendar days, an agent may accept two jours ouvrables late"), and a period in
months extended to the next working day by a calendar of months."""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck.calendar import Period, Unit, calendar_for, compute_deadline, tolerated_until
from policycheck.language.build import build
from policycheck.language.diagnostics import Severity
from policycheck.language.formatter import format_rule_file
from policycheck.language.source import Source
from policycheck.language.syntax import parse
from policycheck.policy import Policy, diagnose, load_source
from policycheck.toolkit.render import render

SOLEIL = """\
policy soleil-cgv-2024 "Optique Soleil — retours"
  version "2024-03"
  effective 2024-03-01
  timezone "Europe/Paris"
  language fr

calendar ouvrables: monday to saturday, closed on public holidays of FR at delivery.postcode

facts
  request.kind: one of return       "Que demande le client ?"
  request.date: date                "Quand le client a-t-il demandé ?"
  delivery.date: date               "Quand les lunettes ont-elles été livrées ?"
  delivery.postcode: text           "Code postal de livraison ?"

clause retour "Retour des lunettes de soleil"
  applies to return
  allow when request.date within 14 days after delivery.date
  otherwise refuse
  discretion agent when late by at most 2 ouvrables
"""


@functools.cache
def policy(text: str = SOLEIL) -> Policy:
    return load_source(Source("soleil.policy", text))


def problems(text: str) -> list[tuple[str, str, int]]:
    _, diagnostics = diagnose(Source("t.policy", text), analysis=True)
    return [(d.code, d.message, d.span.line) for d in diagnostics]


def returned(asked: date, delivered: date, postcode: str | None = "75011") -> dict[str, Any]:
    facts: dict[str, Any] = {
        "request": {"kind": "return", "date": asked.isoformat()},
        "delivery": {"date": delivered.isoformat()},
    }
    if postcode is not None:
        facts["delivery"]["postcode"] = postcode
    return policy().evaluate(facts).to_dict()


# -- a tolerance in another unit -------------------------------------------------------------


def test_the_former_pc309_case_is_a_policy_now() -> None:
    assert problems(SOLEIL) == []


def test_two_jours_ouvrables_after_fourteen_calendar_days() -> None:
    """Delivered Fri 15 Mar 2024: 14 days end Fri 29 Mar. Two jours ouvrables later: Sat 30 Mar,
    then (Sunday, Easter Monday) Tue 2 Apr. The margin stays in days, the period's unit."""
    delivered = date(2024, 3, 15)
    on_time = returned(date(2024, 3, 29), delivered)
    assert (on_time["outcome"], on_time["deadline"]) == ("allow", "2024-03-29")
    near = returned(date(2024, 4, 2), delivered)
    assert (near["outcome"], near["rigid"], near["deadline"]) == ("refuse", True, "2024-03-29")
    assert near["discretion"] == {"level": "agent", "reason": "near_miss"}
    assert near["margin"] == {"value": 4, "unit": "days", "late": True}
    beyond = returned(date(2024, 4, 3), delivered)
    assert (beyond["outcome"], beyond["rigid"]) == ("refuse", False)
    assert beyond["margin"] == {"value": 5, "unit": "days", "late": True}


def test_the_tolerance_counts_the_holidays_of_its_own_calendar() -> None:
    """Delivered Wed 10 Dec 2025: 14 days end Wed 24 Dec. Two jours ouvrables later: in Paris Fri
    26 and Sat 27 Dec (Christmas skipped); in Metz Sat 27 and Mon 29 (26 Dec is a holiday there).
    Asked Mon 29 Dec: a near miss in Metz, firm in Paris, and firm when the region is unknown
    (the tolerance covers a request only if it does in every region)."""
    delivered, asked = date(2025, 12, 10), date(2025, 12, 29)
    assert returned(asked, delivered, "57000")["rigid"] is True
    assert returned(asked, delivered, "75011")["rigid"] is False
    unknown = returned(asked, delivered, None)
    assert (unknown["outcome"], unknown["rigid"]) == ("refuse", False)
    assert returned(date(2025, 12, 27), delivered, None)["rigid"] is True


@settings(max_examples=120, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2080, 12, 31)))
def test_on_the_deadline_in_time_within_the_tolerance_a_near_miss_after_it_firm(
    delivered: date,
) -> None:
    paris = calendar_for("FR", postcode="75011")
    deadline = compute_deadline(delivered, Period(14, Unit.DAYS), paris, "Europe/Paris")
    limit = tolerated_until(deadline, 2, Unit.OUVRABLES)
    assert returned(deadline.last_day, delivered)["outcome"] == "allow"
    for late in (deadline.last_day + timedelta(days=1), limit):
        decision = returned(late, delivered)
        assert (decision["outcome"], decision["rigid"]) == ("refuse", True), late
    decision = returned(limit + timedelta(days=1), delivered)
    assert (decision["outcome"], decision["rigid"]) == ("refuse", False)


def test_a_tolerance_in_hours_on_a_period_of_dates_and_times() -> None:
    text = (
        'policy p "P"\n  timezone "Europe/Paris"\n'
        "facts\n  request.kind: one of return\n  request.at: datetime\n  delivery.date: date\n"
        'clause r "R"\n  applies to return\n'
        "  allow when request.at within 14 days after delivery.date\n"
        "  discretion agent when late by at most 12 hours\n"
    )
    assert problems(text) == []
    late = load_source(Source("p.policy", text))

    def rigid(at: str) -> bool:
        facts = {"request": {"kind": "return", "at": at}, "delivery": {"date": "2024-03-01"}}
        decision = late.evaluate(facts).to_dict()
        assert decision["outcome"] == "refuse"
        return bool(decision["rigid"])

    # 14 days from 1 Mar end at midnight, Paris time, on the night of 15 to 16 Mar.
    assert rigid("2024-03-16T11:59+01:00") is True
    assert rigid("2024-03-16T12:01+01:00") is False


def test_a_calendar_used_only_by_a_tolerance_is_used() -> None:
    """PC410 would say `ouvres` is never used; its region fact is read."""
    text = SOLEIL.replace("ouvrables: monday to saturday", "ouvres: monday to friday")
    text = text.replace("late by at most 2 ouvrables", "late by at most 1 ouvres")
    assert problems(text) == []


def test_an_unknown_tolerance_unit_is_reported_where_it_is_written() -> None:
    text = SOLEIL.replace("late by at most 2 ouvrables", "late by at most 2 ouvrabels")
    assert problems(text) == [("PC204", "unknown calendar `ouvrabels`", 19)]


def test_a_tolerance_in_working_days_without_a_calendar_needs_one() -> None:
    """`ouvres` alone names no holidays: a working day needs a declared calendar."""
    text = SOLEIL.replace("late by at most 2 ouvrables", "late by at most 1 working_days")
    assert [code for code, _, _ in problems(text)] == ["PC204"]


# -- a period in months, extended -------------------------------------------------------------

MONTHS = """\
policy garantie "Garantie commerciale"
  timezone "Europe/Paris"
  language fr

calendar mois_prorogés: mois, closed on public holidays of FR, extended to next working day

facts
  request.kind: one of refund
  request.date: date
  purchase.date: date

clause g "Remboursement sous 12 mois"
  applies to refund
  allow when request.date within 12 mois_prorogés after purchase.date
  discretion agent when late by at most 1 days

example "bought Fri 17 Mar 2023: 12 months end Sun 17 Mar 2024, extended to Mon 18 Mar"
  given request.kind = refund, request.date = 2024-03-18, purchase.date = 2023-03-17
  expect allow under g
  expect deadline 2024-03-18

example "asked Tue 19 Mar 2024: one day late, an agent may accept it"
  given request.kind = refund, request.date = 2024-03-19, purchase.date = 2023-03-17
  expect refuse under g
  expect deadline 2024-03-18
  expect rigid by agent
"""


def test_a_calendar_of_months_extends_the_period() -> None:
    assert problems(MONTHS) == []
    months = load_source(Source("m.policy", MONTHS))
    assert [months.run_example(e).failures for e in months.examples] == [(), ()]
    facts = {
        "request": {"kind": "refund", "date": "2024-03-20"},
        "purchase": {"date": "2023-03-17"},
    }
    decision = months.evaluate(facts).to_dict()
    assert (decision["outcome"], decision["deadline"], decision["rigid"]) == (
        "refuse",
        "2024-03-18",
        False,
    )
    assert decision["margin"] == {"value": 2, "unit": "days", "late": True}


def test_a_calendar_of_hours_or_working_days_by_name_is_pc307() -> None:
    for word, note in (("hours", "never extended"), ("ouvrables", "by their weekdays")):
        text = MONTHS.replace("mois_prorogés: mois,", f"mois_prorogés: {word},")
        found = problems(text)
        assert [code for code, _, _ in found] == ["PC307"], found
        _, diagnostics = diagnose(Source("t.policy", text), analysis=True)
        assert note in (diagnostics[0].note or "")
        assert diagnostics[0].severity is Severity.ERROR


def test_render_says_the_tolerance_and_the_months_in_words() -> None:
    page = render(Source("m.policy", MONTHS), "md", "en")
    assert "counted in months" in page
    assert "extended: a period that ends on a Saturday, Sunday or public holiday" in page
    assert "An agent may waive a refusal when the request is late by at most 1 day." in page
    soleil = render(Source("soleil.policy", SOLEIL), "md", "en")
    assert "late by at most 2 jours ouvrables (“ouvrables” calendar)" not in soleil
    assert "late by at most 2 jours ouvrables" in soleil
    french = render(Source("m.policy", MONTHS), "md")  # a French policy: in French by default
    assert "compté en mois" in french
    assert "prorogé : un délai qui expire un samedi, un dimanche ou un jour férié" in french
    assert "Un agent peut lever un refus quand la demande est en retard d'au plus 1 jour." in french


def test_the_formatter_prints_both_back_as_written() -> None:
    for text in (SOLEIL, MONTHS):
        source = Source("f.policy", text)
        tree, _ = parse(source)
        assert tree is not None
        once = format_rule_file(build(tree, source)[0], source)
        assert "calendar mois_prorogés: mois, closed on public holidays of FR" in once or (
            "late by at most 2 ouvrables" in once
        )
        again = Source("f.policy", once)
        tree_again, _ = parse(again)
        assert tree_again is not None
        assert format_rule_file(build(tree_again, again)[0], again) == once
        assert problems(once) == []
