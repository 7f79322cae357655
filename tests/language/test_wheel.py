"""The wheel carries the grammar: a rule file is checked from a wheel in a fresh virtualenv."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import policycheck, policycheck.language.syntax as syntax
from policycheck.language.source import Source
text = 'policy p "P"\\nclause a "A"\\n  otherwise allow'
tree, diagnostics = syntax.parse(Source("x.policy", text))
assert diagnostics == [] and tree is not None, diagnostics
print(policycheck.__file__)
"""


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A new virtualenv with the project's wheel installed: (its python, its site-packages).

    The dependencies (lark, holidays...) are borrowed from this environment through a `.pth`
    line, so no network is needed; the project itself comes only from the wheel.
    """
    work = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(work), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = work.glob("policycheck-*.whl")
    env = work / "venv"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.strip())  # fmt: skip
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(site), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python, site


def test_grammar_is_inside_the_wheel(fresh_venv: tuple[Path, Path]) -> None:
    _, site = fresh_venv
    assert (site / "policycheck" / "language" / "policy.lark").is_file()
    assert not (site / "grammar").exists()


def test_a_rule_file_parses_from_the_installed_wheel(
    fresh_venv: tuple[Path, Path], tmp_path: Path
) -> None:
    python, site = fresh_venv
    result = subprocess.run(
        [str(python), "-c", PROBE], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(site))


def test_the_shipped_policy_checks_clean_from_the_wheel(fresh_venv: tuple[Path, Path]) -> None:
    python, _ = fresh_venv
    script = python.with_name("policycheck")
    command = [str(script)] if script.exists() else [str(python), "-m", "policycheck.cli.main"]
    result = subprocess.run(
        [*command, "check", str(ROOT / "rules" / "tomtom-fr-2012.policy")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].endswith(": ok")
    assert "proved for every request: no gap" in result.stdout  # z3 came with the wheel


def test_the_review_page_templates_and_the_migrations_are_inside_the_wheel(
    fresh_venv: tuple[Path, Path],
) -> None:
    _, site = fresh_venv
    templates = {p.name for p in (site / "api" / "templates" / "review").glob("*.html")}
    assert {"base.html", "index.html", "exception.html", "sign_in.html"} <= templates
    versions = {
        p.name for p in (site / "policycheck" / "store" / "migrations" / "versions").glob("*.py")
    }
    assert {"0001_decisions_and_meta.py", "0002_exception_log.py"} <= versions
