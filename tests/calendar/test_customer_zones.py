"""The customer's clock: each French region's time zone, and the day a date-time is read as."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.calendar import default_timezone, resolve_region
from policycheck.calendar.regions import country_timezones
from policycheck.language.source import Source
from policycheck.policy import load_source

# An independent table (DOMAIN.md §4.3, IANA tz database): a postcode of each French region and
# the zone its clocks keep.
ZONES = {
    "75011": "Europe/Paris",
    "20000": "Europe/Paris",  # Corsica: mainland
    "57000": "Europe/Paris",  # Moselle
    "67000": "Europe/Paris",  # Bas-Rhin
    "97110": "America/Guadeloupe",
    "97200": "America/Martinique",
    "97300": "America/Cayenne",
    "97400": "Indian/Reunion",
    "97500": "America/Miquelon",
    "97600": "Indian/Mayotte",
    "97133": "America/St_Barthelemy",
    "97150": "America/Marigot",
    "98400": "Indian/Kerguelen",
    "98600": "Pacific/Wallis",
    "98700": "Pacific/Tahiti",
    "98800": "Pacific/Noumea",
}

CLOCK = load_source(
    Source(
        "clock.policy",
        """policy clock "Clock"
  timezone "Europe/Paris"
  customer timezone of FR at delivery.postcode
facts
  request.kind: one of cancellation
  request.date: date
  request.at: datetime
  delivery.postcode: text
clause a "A"
  applies to cancellation
  allow when request.date is known
""",
    )
)


@pytest.mark.parametrize(("postcode", "name"), sorted(ZONES.items()))
def test_each_region_has_the_zone_its_clocks_keep(postcode: str, name: str) -> None:
    assert name in available_timezones()
    assert default_timezone(resolve_region("FR", postcode=postcode)) == name


def test_every_french_zone_is_offered_with_paris_first() -> None:
    zones = country_timezones("FR")
    assert zones[0] == "Europe/Paris"
    assert set(zones) == set(ZONES.values())
    assert len(zones) == len(set(zones))


instants = st.datetimes(
    min_value=datetime(1901, 1, 2), max_value=datetime(2198, 12, 30), timezones=st.just(UTC)
)
offsets = st.integers(min_value=-12 * 4, max_value=14 * 4).map(lambda q: timedelta(minutes=15 * q))


@given(instants, offsets, st.sampled_from(sorted(ZONES)))
def test_the_day_read_is_the_instant_in_the_customers_zone(
    instant: datetime, offset: timedelta, postcode: str
) -> None:
    written = instant.astimezone(timezone(offset)).isoformat()  # as a client sends it
    decision = CLOCK.evaluate(
        {
            "request": {"kind": "cancellation", "date": written},
            "delivery": {"postcode": postcode},
        }
    )
    assert decision.facts["request.date"] == instant.astimezone(ZoneInfo(ZONES[postcode])).date()


@given(st.datetimes(min_value=datetime(1901, 1, 2), max_value=datetime(2198, 12, 30)))
def test_a_date_time_without_offset_is_the_customers_wall_clock(moment: datetime) -> None:
    naive = moment.replace(microsecond=0)
    decision = CLOCK.evaluate(
        {
            "request": {"kind": "cancellation", "at": naive.isoformat(), "date": "2012-04-04"},
            "delivery": {"postcode": "97400"},
        }
    )
    read = decision.facts["request.at"]
    assert isinstance(read, datetime)
    assert read.replace(tzinfo=None) == naive
    assert read.utcoffset() == ZoneInfo("Indian/Reunion").utcoffset(naive)


LAST_DAY = load_source(
    Source(
        "last-day.policy",
        """policy last-day "Last day"
  timezone "Europe/Paris"
  customer timezone of FR at delivery.postcode
facts
  request.kind: one of cancellation
  request.date: date
  delivery.postcode: text
clause a "A"
  applies to cancellation
  allow when request.date <= 2012-09-19
""",
    )
)


@given(
    st.datetimes(
        min_value=datetime(2012, 9, 18, 12), max_value=datetime(2012, 9, 21), timezones=st.just(UTC)
    ),
    offsets,
)
def test_an_unknown_region_decides_only_when_every_zone_agrees(
    instant: datetime, offset: timedelta
) -> None:
    facts = {
        "request": {
            "kind": "cancellation",
            "date": instant.astimezone(timezone(offset)).isoformat(),
        }
    }
    decision = LAST_DAY.evaluate(facts)
    in_time = {
        instant.astimezone(ZoneInfo(name)).date() <= date(2012, 9, 19) for name in ZONES.values()
    }
    if in_time == {True}:
        assert decision.outcome.value == "allow"
    elif in_time == {False}:
        assert decision.outcome.value == "refuse"
    else:
        assert decision.outcome.value == "needs_info"
        assert decision.missing_facts == ("delivery.postcode",)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
def test_a_date_without_time_is_a_day_already(day: date) -> None:
    for postcode in ("75011", "98700", "98600"):
        decision = CLOCK.evaluate(
            {
                "request": {"kind": "cancellation", "date": day.isoformat()},
                "delivery": {"postcode": postcode},
            }
        )
        assert decision.facts["request.date"] == day
