"""Rendered diagnostics, one rule file per code; `pytest --update-golden` rewrites them."""

from __future__ import annotations

from pathlib import Path

import pytest

from policycheck.analysis.findings import ANALYSIS_BUDGET_S, SOLVER_TIMEOUT_MS, Settings, analyse
from policycheck.language.check_versions import check_versions
from policycheck.language.diagnostics import CODES, FOLDER_CODES, Diagnostic, render_text
from policycheck.language.source import Source
from policycheck.policy import diagnose, laws_among

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
CASES = sorted(GOLDEN.glob("*.policy"))
# A code found across rule files (FOLDER_CODES): a folder of them, rendered as `check DIR` does
FOLDERS = sorted(p for p in GOLDEN.iterdir() if p.is_dir())


def rendered(path: Path) -> str:
    """As `policycheck check` renders the file."""
    source, diagnostics = golden_diagnostics(path)
    return "\n\n".join(render_text(d, source) for d in diagnostics) + "\n"


def golden_diagnostics(path: Path) -> tuple[Source, list[Diagnostic]]:
    """The file's diagnostics, with the analysis; a first line `# check --solver-timeout MS`
    or `# check --analysis-budget SECONDS` sets the analysis's limits as the option does."""
    text = path.read_text(encoding="utf-8")
    source = Source(f"tests/golden/{path.name}", text)
    first = text.splitlines()[0].split()
    if first[:2] != ["#", "check"]:
        _, diagnostics = diagnose(source, analysis=True)
    else:
        options = dict(zip(first[2::2], first[3::2], strict=True))
        settings = Settings(
            int(options.get("--solver-timeout", SOLVER_TIMEOUT_MS)),
            float(options.get("--analysis-budget", ANALYSIS_BUDGET_S)),
        )
        compiled, diagnostics = diagnose(source)
        assert compiled is not None
        found = analyse(compiled, compiled.rule_file, settings).diagnostics
        diagnostics = sorted(diagnostics + found, key=Diagnostic.sort_key)
    return source, diagnostics


def rendered_folder(folder: Path) -> str:
    """The diagnostics between the folder's rule files: of a policy and the law beneath it
    (found among them), then between the versions of those that check clean."""
    sources = [
        Source(f"tests/golden/{folder.name}/{p.name}", p.read_text(encoding="utf-8"))
        for p in sorted(folder.glob("*.policy"))
    ]
    found, versions = [], []
    for source in sources:
        compiled, diagnostics = diagnose(source, laws=laws_among(sources))
        found += diagnostics
        if compiled is not None:
            versions.append((source, compiled.rule_file))
    by_name = {s.name: s for s in sources}
    found += check_versions(versions)
    return "\n\n".join(render_text(d, by_name[d.file]) for d in found) + "\n"


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_rendered_folder_diagnostics_match_the_golden_file(
    folder: Path, request: pytest.FixtureRequest
) -> None:
    expected_path = folder.with_suffix(".expected")
    actual = rendered_folder(folder)
    if request.config.getoption("--update-golden"):
        expected_path.write_text(actual, encoding="utf-8")
    assert expected_path.is_file(), f"run pytest --update-golden to create {expected_path.name}"
    assert actual == expected_path.read_text(encoding="utf-8")


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


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_a_golden_file(code: str) -> None:
    policy, expected = GOLDEN / f"{code}.policy", GOLDEN / f"{code}.expected"
    if code in FOLDER_CODES:  # found between rule files: a folder of them
        policy = GOLDEN / code
    assert policy.exists(), f"add tests/golden/{code}(.policy or a folder) that triggers {code}"
    assert expected.is_file(), f"run pytest --update-golden to create {code}.expected"
    assert f"[{code}]" in expected.read_text(encoding="utf-8")
