"""The README is the front door: the two set-up commands first, a short page, every verb and
every route in its tables, a link to every page of the manual. Its examples run with the
manual's, in tests/test_docs.py."""

from __future__ import annotations

import re
from pathlib import Path

from test_docs import blocks, commands, verb_names

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_readme_opens_with_the_run_and_test_commands() -> None:
    run, test = blocks(README, "sh")[:2]
    assert "pip install -e ." in run
    assert "policycheck " in run
    assert "pip install -e '.[dev]'" in test
    assert test.rstrip().endswith(".venv/bin/pytest")
    assert ".venv/bin/pytest" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_is_a_front_door_not_a_manual() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 200


def table_cells(text: str) -> str:
    """The first column of every table row of a Markdown text."""
    return "\n".join(re.findall(r"^\|([^|\n]*)\|", text, re.MULTILINE))


def test_readme_tables_every_verb() -> None:
    listed = verb_names()
    assert len(listed) >= 9
    cells = table_cells(README.read_text(encoding="utf-8"))
    assert [verb for verb in listed if f"`policycheck {verb}" not in cells] == []


def shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_readme_tables_every_route_of_the_openapi_document() -> None:
    # docs/api.md prints every route of the live server's OpenAPI document (test_docs runs it)
    printed = [
        (method.upper(), shape(path))
        for block in blocks(ROOT / "docs" / "api.md", "shell-session")
        for command, output in commands(block)
        if "openapi.json" in command
        for method, path in re.findall(r"^(get|post|put|patch|delete) (/\S*)$", output, re.M)
    ]
    assert len(printed) >= 15
    cells = shape(table_cells(README.read_text(encoding="utf-8")))
    assert [route for route in printed if f"{route[0]} {route[1]}" not in cells] == []


def test_readme_links_every_page_of_the_manual() -> None:
    text = README.read_text(encoding="utf-8")
    pages = sorted((ROOT / "docs").glob("*.md"))
    assert [p.name for p in pages if f"(docs/{p.name}" not in text] == []


def test_license_is_the_one_pyproject_claims() -> None:
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'license = { text = "Apache-2.0" }' in pyproject
    assert license_text.lstrip().startswith("Apache License\n")
    assert "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text
