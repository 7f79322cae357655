"""`policycheck check` and `policycheck eval`, run as real processes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("policycheck")
TOMTOM = str(ROOT / "rules" / "tomtom-fr-2012.policy")
FOUNDING = {
    "request": {"kind": "cancellation", "date": "2012-03-19"},
    "product": {"category": "map"},
    "service": {"downloaded": False},
}


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def test_check_a_clean_rule_file() -> None:
    result = run("check", TOMTOM)
    assert result.returncode == 0
    summary, proved = result.stdout.strip().splitlines()
    assert summary.endswith("tomtom-fr-2012.policy: ok")
    assert proved == (
        "  proved for every request: no gap, no overlap, no unreachable clause, no dead condition"
    )


def test_check_reports_every_error_and_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.policy"
    text = Path(TOMTOM).read_text(encoding="utf-8")
    broken.write_text(
        text.replace("after delivery.date", "after delivery.dat").replace(
            "[device, accessory]", "[device, acessory]"
        ),
        encoding="utf-8",
    )
    result = run("check", str(broken))
    assert result.returncode == 1
    assert "error[PC201]: unknown fact `delivery.dat`" in result.stdout
    assert "= help: did you mean `delivery.date`?" in result.stdout
    assert "error[PC303]" in result.stdout
    assert result.stdout.strip().endswith("broken.policy: 2 errors")
    as_json = json.loads(run("check", str(broken), "--format", "json").stdout)
    assert [d["code"] for d in as_json] == ["PC303", "PC201"]
    lines = broken.read_text(encoding="utf-8").splitlines()
    line, column = next(
        (n, match.start() + 1)
        for n, text in enumerate(lines, 1)
        for match in re.finditer(r"delivery\.dat\b", text)
    )
    assert as_json[1]["start"] == {"line": line, "column": column}
    assert as_json[1]["end"] == {"line": line, "column": column + len("delivery.dat")}


def test_eval_founding_story_json(tmp_path: Path) -> None:
    facts = tmp_path / "f.json"
    facts.write_text(json.dumps(FOUNDING), encoding="utf-8")
    result = run(
        "eval", TOMTOM, "--facts", str(facts), "--format", "json",
        "--proposed", '{"outcome": "refuse", "clause": "a"}',
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["outcome"], out["clause"]["id"]) == ("allow", "b")
    assert out["proposal"]["agrees"] is False
    assert out["proposal"]["applicable_clause"] == "b"


def test_eval_reads_facts_from_stdin_and_prints_a_summary() -> None:
    facts = {
        "request": {"kind": "cancellation", "date": "2012-04-23"},
        "product": {"category": "device", "used": False, "original_packaging": True},
        "delivery": {"date": "2012-04-04", "postcode": "75011"},
    }
    result = run("eval", TOMTOM, "--facts", "-", stdin=json.dumps(facts))
    assert result.returncode == 0
    assert "outcome:  refuse" in result.stdout
    assert "deadline: 2012-04-21" in result.stdout
    assert "rigid:    may be waived by agent (near_miss)" in result.stdout


def test_eval_invalid_facts_exit_2_with_every_problem() -> None:
    facts = {"request": {"kind": "cancelation", "date": "yesterday"}, "produit": {}}
    result = run("eval", TOMTOM, "--facts", "-", stdin=json.dumps(facts))
    assert result.returncode == 2
    assert "PC504 request.kind" in result.stderr
    assert "PC503 request.date" in result.stderr
    assert "PC501 produit" in result.stderr
    as_json = run("eval", TOMTOM, "--facts", "-", "--format", "json", stdin=json.dumps(facts))
    assert as_json.returncode == 2
    assert len(json.loads(as_json.stdout)["errors"]) == 3


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("eval", TOMTOM, "--facts", "-"), "{not json", "--facts is not valid JSON"),
        (("eval", TOMTOM, "--facts", "/no/such.json"), "", "cannot read `/no/such.json`"),
        (("check", "/no/such.policy"), "", "cannot read"),
    ],
)
def test_unreadable_input_exits_2_in_one_line(
    args: tuple[str, ...], stdin: str, message: str
) -> None:
    result = run(*args, stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_eval_on_a_broken_rule_file_exits_1_with_diagnostics(tmp_path: Path) -> None:
    broken = tmp_path / "broken.policy"
    broken.write_text('policy p "P"\nclause a "A"\n  allow whn x\n', encoding="utf-8")
    result = run("eval", str(broken), "--facts", "-", stdin="{}")
    assert result.returncode == 1
    assert "error[PC101]" in result.stderr
