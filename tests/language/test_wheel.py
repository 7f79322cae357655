"""The installed wheel carries the grammar: a rule file parses from an install outside the tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import policycheck, policycheck.syntax as syntax
from policycheck.source import Source
text = 'policy p "P"\\nclause a "A"\\n  otherwise allow'
tree, diagnostics = syntax.parse(Source("x.policy", text))
assert diagnostics == [] and tree is not None, diagnostics
print(policycheck.__file__)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built and installed into a directory of its own."""
    work = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(work), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = work.glob("policycheck-*.whl")
    target = work / "installed"
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return target


def test_grammar_is_inside_the_wheel(installed: Path) -> None:
    assert (installed / "policycheck" / "_grammar" / "policy.lark").is_file()
    assert not (installed / "grammar").exists()


def test_a_rule_file_parses_from_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path, env={"PYTHONPATH": str(installed)},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(installed))
