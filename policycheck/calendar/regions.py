"""Where a request is: country and region (holiday subdivision) from codes or a French postcode."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import holidays

from policycheck.calendar.errors import CalendarError

# Postcode prefixes of the French départements whose public holidays differ from the mainland's.
# Longest prefix first: Saint-Barthélemy and Saint-Martin share 971 with Guadeloupe.
_FR_POSTCODE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("97133", "BL"),  # Saint-Barthélemy
    ("97150", "MF"),  # Saint-Martin
    ("971", "971"),  # Guadeloupe
    ("972", "972"),  # Martinique
    ("973", "973"),  # Guyane
    ("974", "974"),  # La Réunion
    ("975", "PM"),  # Saint-Pierre-et-Miquelon
    ("976", "976"),  # Mayotte
    ("984", "TF"),  # Terres australes et antarctiques
    ("986", "WF"),  # Wallis-et-Futuna
    ("987", "PF"),  # Polynésie française
    ("988", "NC"),  # Nouvelle-Calédonie
    ("57", "57"),  # Moselle
    ("67", "6AE"),  # Bas-Rhin (Collectivité européenne d'Alsace)
    ("68", "6AE"),  # Haut-Rhin
)

# Time zone of each French holiday subdivision; the mainland (None) and Alsace-Moselle are Paris.
_FR_TIMEZONES: dict[str | None, str] = {
    None: "Europe/Paris",
    "57": "Europe/Paris",
    "6AE": "Europe/Paris",
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "976": "Indian/Mayotte",
    "BL": "America/St_Barthelemy",
    "MF": "America/Marigot",
    "PM": "America/Miquelon",
    "NC": "Pacific/Noumea",
    "PF": "Pacific/Tahiti",
    "TF": "Indian/Kerguelen",
    "WF": "Pacific/Wallis",
}

_POSTCODE_FR = re.compile(r"\d{5}")


@dataclass(frozen=True, slots=True)
class Region:
    """A holiday calendar's place: ISO country code (None: no public holidays) and subdivision."""

    country: str | None
    subdivision: str | None = None

    def __str__(self) -> str:
        if self.country is None:
            return "no public holidays"
        return self.country + (f"-{self.subdivision}" if self.subdivision else "")


def resolve_region(
    country: str | None, *, postcode: str | None = None, region: str | None = None
) -> Region:
    """Validate a country and find its holiday subdivision from `region` or a French `postcode`."""
    if country is None or country.strip().lower() in ("", "none"):
        if postcode or region:
            raise CalendarError("a postcode or region needs a country (for example --country FR)")
        return Region(None)
    code = _country_code(country)
    if postcode is not None and region is not None:
        raise CalendarError("give either a postcode or a region, not both")
    if postcode is not None:
        return Region(code, _subdivision_from_postcode(code, postcode))
    if region is not None:
        return Region(code, _subdivision_code(code, region))
    return Region(code)


def default_timezone(region: Region) -> str | None:
    """The time zone of a region when it has exactly one; None when the caller must choose."""
    if region.country is None:
        return None
    if region.country == "FR":
        return _FR_TIMEZONES.get(region.subdivision)
    zones = _zones_by_country().get(region.country, ())
    return zones[0] if len(zones) == 1 else None


def country_timezones(country: str) -> tuple[str, ...]:
    """Every time zone a region of `country` may be in, the mainland's first (FR: Paris, then
    each overseas zone of the table above); for another country, those of zone.tab."""
    if country == "FR":
        return tuple(dict.fromkeys(_FR_TIMEZONES.values()))
    return _zones_by_country().get(country, ())


def _country_code(country: str) -> str:
    code = country.strip().upper()
    supported = holidays.list_supported_countries()
    if code not in supported:
        raise CalendarError(
            f"unknown country `{country}`; use an ISO 3166-1 alpha-2 code such as FR, BE, DE, "
            "or `none` for no public holidays"
        )
    return code


def _subdivision_code(country: str, region: str) -> str:
    entity = holidays.country_holidays(country, years=[])
    codes: tuple[str, ...] = tuple(entity.subdivisions)
    aliases: dict[str, str] = dict(getattr(entity, "subdivisions_aliases", {}) or {})
    wanted = region.strip()
    for code in codes:
        if code.lower() == wanted.lower():
            return code
    for alias, code in aliases.items():
        if alias.lower() == wanted.lower():
            return code
    accepted = ", ".join(codes) if codes else "none (this country has no regions)"
    raise CalendarError(f"unknown region `{region}` for {country}; accepted: {accepted}")


def _subdivision_from_postcode(country: str, postcode: str) -> str | None:
    if country != "FR":
        raise CalendarError(
            f"postcodes are read only for FR; for {country} pass the region code (--region)"
        )
    digits = postcode.strip().replace(" ", "")
    if not _POSTCODE_FR.fullmatch(digits):
        raise CalendarError(f"malformed French postcode `{postcode}`; expected 5 digits like 75011")
    if digits.startswith("980"):
        raise CalendarError(f"postcode `{postcode}` is Monaco, not France; use --country MC")
    for prefix, subdivision in _FR_POSTCODE_PREFIXES:
        if digits.startswith(prefix):
            return subdivision
    return None  # mainland, Corsica (20xxx) included


@functools.cache
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    """Country code -> time zones, read from the tzdata package's zone.tab."""
    table = resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    zones: dict[str, list[str]] = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            fields = line.split("\t")
            zones.setdefault(fields[0], []).append(fields[2])
    return {country: tuple(names) for country, names in zones.items()}
