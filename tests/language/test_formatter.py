"""`fmt`: canonical, idempotent, meaning-preserving (same AST without spans), comments kept."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck.language import nodes
from policycheck.language.build import build
from policycheck.language.formatter import format_rule_file
from policycheck.language.source import Source, Span
from policycheck.language.syntax import parse

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("policycheck")
PARSEABLE = sorted(
    p for p in [*ROOT.glob("rules/*.policy"), *ROOT.glob("tests/golden/*.policy")]
    if parse(Source(p.name, p.read_text(encoding="utf-8")))[0] is not None
)  # fmt: skip


def rule_file(text: str) -> nodes.RuleFile:
    source = Source("f.policy", text)
    tree, diagnostics = parse(source)
    assert tree is not None, [d.message for d in diagnostics]
    return build(tree, source)[0]


def shape(value: Any) -> Any:
    """A node without its spans: what the rule file means."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [
            shape(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.name.endswith("span") and f.type not in ("Span", "Span | None")
        ]
        return (type(value).__name__, *fields)
    if isinstance(value, tuple | list):
        return tuple(shape(v) for v in value)
    if isinstance(value, Span):
        return None
    return value


def formatted(text: str) -> str:
    source = Source("f.policy", text)
    tree, _ = parse(source)
    assert tree is not None
    return format_rule_file(build(tree, source)[0], source)


@pytest.mark.parametrize("path", PARSEABLE, ids=[p.name for p in PARSEABLE])
def test_formatting_keeps_the_meaning_and_is_idempotent(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    once = formatted(text)
    assert shape(rule_file(once)) == shape(rule_file(text))
    assert formatted(once) == once
    assert [line.strip() for line in text.splitlines() if line.strip().startswith("#")] == [
        line.strip() for line in once.splitlines() if line.strip().startswith("#")
    ]


def test_shipped_rule_files_are_in_canonical_layout() -> None:
    result = subprocess.run(
        [str(SCRIPT), "fmt", "--check", "rules"], cwd=ROOT, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout


def test_layout_of_a_messy_file() -> None:
    messy = (
        'policy p "P"   language en\nfacts\n  a.b: bool "Is it?"\n  a.c: one of x, y\n'
        'clause k "K"  refuse   when (a.b)  and ( a.c = x or a.c = y )   # why\n'
        "  otherwise allow\n"
    )
    assert formatted(messy) == (
        'policy p "P"\n  language en\n\nfacts\n  a.b: bool         "Is it?"\n  a.c: one of x, y\n\n'
        '# why\nclause k "K"\n  refuse when a.b and (a.c = x or a.c = y)\n  otherwise allow\n'
    )


def test_fmt_check_reports_and_fmt_rewrites(tmp_path: Path) -> None:
    path = tmp_path / "p.policy"
    path.write_text('policy p "P"\nclause k "K" otherwise allow\n', encoding="utf-8")
    check = subprocess.run([str(SCRIPT), "fmt", "--check", str(path)], capture_output=True,
                           text=True, timeout=60, check=False)  # fmt: skip
    assert (check.returncode, "would be reformatted" in check.stdout) == (1, True)
    subprocess.run([str(SCRIPT), "fmt", str(path)], check=True, capture_output=True, timeout=60)
    assert path.read_text(encoding="utf-8") == 'policy p "P"\n\nclause k "K"\n  otherwise allow\n'


# -- generated expressions: printing then parsing gives the same tree ----------------------------

FACTS = ["a.flag", "a.other", "b.day", "b.count", "b.kind"]
atoms = st.one_of(
    st.sampled_from(["a.flag", "a.other"]).map(lambda n: f"REF:{n}"),
    st.builds(lambda n: ("cmp", n), st.sampled_from(["=", "!=", "<", ">=", "<=", ">"])),
    st.builds(lambda n: ("within", n), st.integers(0, 40)),
    st.just(("member",)),
    st.builds(lambda k: ("known", k), st.booleans()),
)


def _expr_text(tree: Any) -> str:
    if isinstance(tree, str):
        return tree.split(":", 1)[1]
    head = tree[0]
    if head == "cmp":
        return f"b.count {tree[1]} 3"
    if head == "within":
        return f"b.day within {tree[1]} days after 2024-01-10"
    if head == "member":
        return "b.kind in [x, y]"
    if head == "known":
        return f"b.day is {'known' if tree[1] else 'unknown'}"
    if head == "not":
        return f"not ({_expr_text(tree[1])})"
    return f" {head} ".join(f"({_expr_text(t)})" for t in tree[1:])


expressions = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.builds(lambda e: ("not", e), inner),
        st.builds(lambda a, b: ("and", a, b), inner, inner),
        st.builds(lambda a, b: ("or", a, b), inner, inner),
    ),
    max_leaves=12,
)
HEADER = (
    'policy g "G"\nfacts\n  a.flag: bool\n  a.other: bool\n  b.day: date\n  b.count: number\n'
    "  b.kind: one of x, y\n"
)


@given(expressions)
def test_any_condition_prints_back_to_the_same_tree(tree: Any) -> None:
    text = HEADER + f'clause c "C"\n  refuse when {_expr_text(tree)}\n'
    once = formatted(text)
    assert shape(rule_file(once)) == shape(rule_file(text))
    assert formatted(once) == once


def test_one_long_obligation_stays_one() -> None:
    text = 'policy p "P"\nclause k "K"\n  otherwise allow\n  obligations "' + "x" * 120 + '"\n'
    once = formatted(text)
    assert once.count("x" * 120) == 1
    assert shape(rule_file(once)) == shape(rule_file(text))


def test_literals_print_as_written() -> None:
    from policycheck.language.formatter import literal

    assert literal(date(2024, 1, 2)) == "2024-01-02"
    assert literal(Decimal("10.50")) == "10.50"
    assert literal('say "hi"') == '"say \\"hi\\""'
