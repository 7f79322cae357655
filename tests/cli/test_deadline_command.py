"""`policycheck deadline`, run as a real process: output, JSON, and one-line errors with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("policycheck")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "deadline", *args], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("2012-04-04", "14", "ouvrables", "--country", "FR", "--postcode", "75011"), "2012-04-21"),
        (("2012-04-04", "14", "ouvrables", "--country", "FR", "--postcode", "67000"), "2012-04-23"),
        (("2012-12-17", "14", "ouvrables", "--country", "FR", "--postcode", "57000"), "2013-01-05"),
        (("2023-03-04", "14", "jours", "--country", "FR", "--extend"), "2023-03-20"),
        (("2012-05-14", "14", "business-days", "--country", "FR"), "2012-06-05"),
        (("2024-06-15", "7", "days", "--country", "FR", "--before"), "2024-06-08"),
        (("2024-01-31", "1", "months", "--country", "none"), "2024-02-29"),
        (("2024-03-30T12:00+01:00", "24", "hours", "--country", "FR"), "2024-03-31T13:00:00+02:00"),
    ],
)
def test_prints_the_deadline_as_an_iso_date(args: tuple[str, ...], expected: str) -> None:
    result = run(*args)
    assert (result.returncode, result.stdout, result.stderr) == (0, expected + "\n", "")


def test_json_lists_the_skipped_days_with_their_names() -> None:
    result = run(
        "2012-04-04", "14", "ouvrables", "--country", "FR", "--postcode", "67000",
        "--format", "json", "--on", "2012-04-24",
    )  # fmt: skip
    assert result.returncode == 0
    out = json.loads(result.stdout)
    assert out["deadline"] == "2012-04-23"
    assert out["unit"] == "ouvrables"
    assert out["region"] == "FR-6AE"
    assert out["ends_at"] == "2012-04-23T22:00:00Z"
    assert out["skipped"][0] == {"date": "2012-04-06", "kind": "holiday", "name": "Good Friday"}
    assert [s["date"] for s in out["skipped"]] == [
        "2012-04-06", "2012-04-08", "2012-04-09", "2012-04-15", "2012-04-22",
    ]  # fmt: skip
    assert out["margin"] == {"value": 1, "unit": "ouvrables", "late": True}


def test_french_names_and_margin_in_text() -> None:
    result = run(
        "2012-04-04", "14", "ouvrables", "--country", "FR", "--on", "2012-04-20", "--lang", "fr"
    )
    assert result.stdout == "2012-04-21\n2012-04-20: 1 jour ouvrable d'avance\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("2012-04-04", "14", "fortnights", "--country", "FR"), "unknown unit `fortnights`"),
        (("2012-04-04", "-3", "days", "--country", "FR"), "cannot be negative"),
        (("2012-04-04", "x", "days", "--country", "FR"), "COUNT must be a whole number"),
        (("2012-13-04", "3", "days", "--country", "FR"), "malformed date `2012-13-04`"),
        (("2012-04-04", "3", "days", "--country", "XX"), "unknown country `XX`"),
        (("2012-04-04", "3", "days", "--country", "FR", "--region", "99"), "unknown region"),
        (("2012-04-04", "3", "days", "--country", "FR", "--postcode", "7501"), "postcode"),
        (("2012-04-04", "3", "days"), "--country is required"),
        (("2012-04-04", "3", "days", "--country", "FR", "--tz", "Mars/Base"), "time zone"),
        (("2012-04-04", "3", "days", "--country", "FR", "--before", "--extend"), "backwards"),
        (("2012-04-04", "3", "hours", "--country", "FR"), "needs a date and time"),
        (("2199-12-30", "3", "days", "--country", "FR"), "1900 to 2199"),
        (("2012-04-04", "3", "days", "--country", "FR", "--bogus"), "unrecognized arguments"),
        (("2012-04-04",), "required"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("policycheck: error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr
