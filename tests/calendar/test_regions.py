"""Countries, regions and French postcodes."""

from __future__ import annotations

import pytest

from policycheck.calendar import CalendarError, Region, default_timezone, resolve_region


@pytest.mark.parametrize(
    ("postcode", "subdivision"),
    [
        ("75011", None),
        ("20000", None),  # Corsica: mainland holidays
        ("54000", None),  # Meurthe-et-Moselle is not Alsace-Moselle
        ("57000", "57"),
        ("67000", "6AE"),
        ("68100", "6AE"),
        ("97110", "971"),
        ("97133", "BL"),  # Saint-Barthélemy shares the 971 prefix
        ("97150", "MF"),  # Saint-Martin too
        ("97200", "972"),
        ("97300", "973"),
        ("97400", "974"),
        ("97500", "PM"),
        ("97600", "976"),
        ("98800", "NC"),
    ],
)
def test_french_postcode_gives_the_holiday_subdivision(
    postcode: str, subdivision: str | None
) -> None:
    assert resolve_region("FR", postcode=postcode) == Region("FR", subdivision)


@pytest.mark.parametrize(("region", "code"), [("57", "57"), ("Alsace", "6AE"), ("re", "974")])
def test_region_codes_and_aliases(region: str, code: str) -> None:
    assert resolve_region("fr", region=region) == Region("FR", code)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"country": "XX"}, r"unknown country `XX`; use an ISO 3166-1"),
        ({"country": "FR", "region": "99"}, r"unknown region `99` for FR; accepted: 57, 6AE"),
        ({"country": "FR", "postcode": "7501"}, r"malformed French postcode `7501`"),
        ({"country": "FR", "postcode": "98000"}, r"Monaco"),
        ({"country": "DE", "postcode": "10115"}, r"postcodes are read only for FR"),
        ({"country": None, "postcode": "75011"}, r"needs a country"),
        ({"country": "FR", "postcode": "75011", "region": "57"}, r"not both"),
    ],
)
def test_bad_places_say_what_is_accepted(kwargs: dict[str, str | None], message: str) -> None:
    country = kwargs.pop("country")
    with pytest.raises(CalendarError, match=message):
        resolve_region(country, **kwargs)


@pytest.mark.parametrize(
    ("region", "zone"),
    [
        (Region("FR"), "Europe/Paris"),
        (Region("FR", "57"), "Europe/Paris"),
        (Region("FR", "974"), "Indian/Reunion"),
        (Region("FR", "971"), "America/Guadeloupe"),
        (Region("BE"), "Europe/Brussels"),
        (Region("US"), None),  # several zones: the caller must choose
        (Region(None), None),
    ],
)
def test_default_time_zone(region: Region, zone: str | None) -> None:
    assert default_timezone(region) == zone
