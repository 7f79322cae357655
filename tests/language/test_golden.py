"""Rendered diagnostics, one rule file per code; `pytest --update-golden` rewrites them."""

from __future__ import annotations

from pathlib import Path

import pytest

from policycheck.language.diagnostics import CODES, FOLDER_CODES, render_text
from policycheck.language.source import Source
from policycheck.policy import diagnose

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CASES = sorted(GOLDEN.glob("*.policy"))


def rendered(path: Path) -> str:
    source = Source(f"tests/golden/{path.name}", path.read_text(encoding="utf-8"))
    _, diagnostics = diagnose(source, analysis=True)
    return "\n\n".join(render_text(d, source) for d in diagnostics) + "\n"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_rendered_diagnostics_match_the_golden_file(
    path: Path, request: pytest.FixtureRequest
) -> None:
    expected_path = path.with_suffix(".expected")
    actual = rendered(path)
    if request.config.getoption("--update-golden"):
        expected_path.write_text(actual, encoding="utf-8")
    assert expected_path.is_file(), f"run pytest --update-golden to create {expected_path.name}"
    assert actual == expected_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("code", sorted(set(CODES) - FOLDER_CODES))
def test_every_code_has_a_golden_file(code: str) -> None:
    policy, expected = GOLDEN / f"{code}.policy", GOLDEN / f"{code}.expected"
    assert policy.is_file(), f"add tests/golden/{code}.policy that triggers {code}"
    assert expected.is_file(), f"run pytest --update-golden to create {code}.expected"
    assert f"[{code}]" in expected.read_text(encoding="utf-8")
