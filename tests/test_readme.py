"""The README's examples really run: every `$ policycheck ...` line and the Python session."""

from __future__ import annotations

import doctest
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SCRIPT = Path(sys.executable).with_name("policycheck")
BLOCK = re.compile(r"^( *)```(\w+)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    """Code blocks of the README in `language`, dedented."""
    found = []
    for indent, lang, body in BLOCK.findall(README.read_text(encoding="utf-8")):
        if lang == language:
            found.append("\n".join(line[len(indent) :] for line in body.splitlines()))
    return found


def console_examples() -> list[tuple[str, str]]:
    """(command, expected output) pairs from the README's console blocks."""
    examples: list[tuple[str, str]] = []
    for body in blocks("console"):
        for chunk in re.split(r"^\$ ", body, flags=re.MULTILINE)[1:]:
            command, _, output = chunk.partition("\n")
            examples.append((command, output.rstrip("\n")))
    return examples


@pytest.mark.parametrize(("command", "expected"), console_examples())
def test_console_example(command: str, expected: str) -> None:
    argv = shlex.split(command)
    assert argv[0] == "policycheck"
    result = subprocess.run(
        [str(SCRIPT), *argv[1:]],
        cwd=README.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.stdout + result.stderr).rstrip("\n") == expected
    assert result.returncode == (2 if "error:" in expected else 0)


@pytest.mark.parametrize("session", blocks("python"))
def test_python_example(session: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(README.parent)
    test = doctest.DocTestParser().get_doctest(session, {}, "README", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    result = runner.run(test)
    assert (result.failed, result.attempted >= 4) == (0, True)


def test_readme_opens_with_the_run_and_test_commands() -> None:
    run, test = blocks("sh")[:2]
    assert "pip install -e ." in run
    assert "policycheck " in run
    assert "pip install -e '.[dev]'" in test
    assert test.rstrip().endswith(".venv/bin/pytest")
    assert ".venv/bin/pytest" in (README.parent / ".ci" / "run").read_text(encoding="utf-8")
