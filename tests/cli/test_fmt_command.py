"""`policycheck fmt`: rewrites rule files in canonical layout; `--check` rewrites nothing and says
what it checked, like `ruff format --check` (exit 1 when a file would change)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.cli.fmt import check_summary
from policycheck.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
EU = ROOT / "rules" / "eu-consumer-withdrawal.policy"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two formatted rule files, one indented by four spaces, one that does not parse."""
    shutil.copy(EU, tmp_path / "a.policy")
    shutil.copy(ROOT / "rules" / "tomtom-fr-2012.policy", tmp_path / "b.policy")
    text = EU.read_text(encoding="utf-8")
    (tmp_path / "c.policy").write_text(re.sub("(?m)^  ", "    ", text), encoding="utf-8")
    (tmp_path / "d.policy").write_text('policy p "P"\nclause a "A"\n  allow whn x\n', "utf-8")
    return tmp_path


def contents(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.policy"))}


def test_check_names_what_would_change_and_counts_what_it_checked(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = contents(folder)
    assert main(["fmt", "--check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"{folder / 'c.policy'}: would be reformatted" in out
    assert "error[PC101]: unexpected `whn`" in out
    assert f"{folder / 'd.policy'}: not formatted (syntax errors)" in out
    assert out.splitlines()[-1] == (
        "4 files checked: 2 already formatted, 1 would be reformatted, 1 with syntax errors"
    )
    assert contents(folder) == before


def test_check_of_formatted_files_says_so_and_exits_0(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fmt", "--check", str(folder / "a.policy"), str(folder / "b.policy")]) == 0
    assert capsys.readouterr().out == "2 files checked: 2 already formatted\n"
    assert main(["fmt", "--check", str(folder / "a.policy")]) == 0
    assert capsys.readouterr().out == "1 file checked: 1 already formatted\n"


def test_fmt_rewrites_then_check_passes(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "d.policy").unlink()
    assert main(["fmt", str(folder)]) == 0
    assert capsys.readouterr().out == f"{folder / 'c.policy'}: reformatted\n"  # no summary
    assert (folder / "c.policy").read_text(encoding="utf-8") == EU.read_text(encoding="utf-8")
    assert main(["fmt", "--check", str(folder)]) == 0
    assert capsys.readouterr().out == "3 files checked: 3 already formatted\n"


def test_fmt_of_a_missing_path_exits_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fmt", "--check", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err == f"policycheck: error: no rule file or folder `{tmp_path / 'nowhere'}`\n"


@given(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50))
def test_the_summary_accounts_for_every_file(same: int, changed: int, broken: int) -> None:
    checked = same + changed + broken
    summary = check_summary(checked, changed, broken)
    head, _, counts = summary.partition(" checked")
    assert head == f"{checked} file{'s' * (checked != 1)}"
    numbers = [int(n) for n in re.findall(r"(\d+) ", counts)]
    assert sum(numbers) == checked
    assert all(numbers)  # a count of 0 is left out
