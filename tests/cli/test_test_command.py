"""`policycheck test` and the static analysis of `policycheck check`, on copies of real rules."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from policycheck import load_policy

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("policycheck")
TOMTOM = ROOT / "rules" / "tomtom-fr-2012.policy"
LAW = ROOT / "rules" / "fr-code-consommation-2012.policy"  # beneath TomTom's terms
EXAMPLES = len(load_policy(TOMTOM).examples)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def variant(tmp_path: Path, old: str, new: str) -> Path:
    text = TOMTOM.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "tomtom-variant.policy"
    path.write_text(text.replace(old, new), encoding="utf-8")
    shutil.copy(LAW, tmp_path)  # the law beneath the terms is looked up beside them
    return path


def test_shipped_rules_pass_with_every_clause_reached() -> None:
    result = run("test", "rules", "--coverage")
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1].endswith(" passed, 0 failed")
    assert f"tomtom-fr-2012.policy: {EXAMPLES} examples, {EXAMPLES} passed, 0 failed" in (
        result.stdout
    )
    assert "clause a: scope" in result.stdout
    assert "38/38 branches reached" in result.stdout


def test_fifteen_instead_of_fourteen_days_fails_an_example(tmp_path: Path) -> None:
    path = variant(tmp_path, "within 14 ouvrables", "within 15 ouvrables")
    result = run("test", str(path))
    assert result.returncode == 1
    assert "FAIL 'device in Paris, one jour ouvrable late: an agent may waive it'" in result.stdout
    assert "expected refuse under a, got allow under a" in result.stdout
    assert "explanation: Clause a applies" in result.stdout
    as_json = json.loads(run("test", str(path), "--format", "json").stdout)
    assert as_json["failed"] >= 1
    failing = [e for f in as_json["files"] for e in f["examples"] if not e["passed"]]
    assert all(e["failures"] for e in failing)


def test_a_missing_category_is_reported_as_a_gap(tmp_path: Path) -> None:
    path = variant(
        tmp_path,
        "group services: product.category in [map, speed_cameras, voice, poi, live_service]",
        "group services: product.category in [map, speed_cameras, voice, live_service]",
    )
    result = run("check", str(path))
    assert result.returncode == 0  # warnings only
    assert (
        "warning[PC407]: no clause covers request.kind = cancellation, product.category = poi"
        in (result.stdout)
    )
    strict = run("check", "--strict", str(path))
    assert strict.returncode == 1


def test_shipped_rules_check_clean_in_strict_mode() -> None:
    for path in sorted((ROOT / "rules").glob("*.policy")):
        result = run("check", "--strict", str(path))
        assert result.returncode == 0, result.stdout
        summary, proved = result.stdout.strip().splitlines()
        assert summary.endswith(": ok")
        assert proved.startswith("  proved for every request: no gap, no overlap, no unreachable")


def test_test_reports_a_broken_rule_file(tmp_path: Path) -> None:
    path = variant(tmp_path, "after delivery.date", "after delivery.dat")
    result = run("test", str(path))
    assert result.returncode == 1
    assert "error[PC201]" in result.stdout
    assert "cannot be loaded" in result.stdout


def test_test_on_a_missing_path_exits_2() -> None:
    result = run("test", "no/such/folder")
    assert result.returncode == 2
    assert "no rule file or folder `no/such/folder`" in result.stderr


def test_diff_lists_the_examples_an_amendment_changes(tmp_path: Path) -> None:
    amended = variant(tmp_path, "within 14 ouvrables", "within 15 ouvrables")
    result = run("diff", str(TOMTOM), str(amended))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["example", "from", "old", "version", "new", "version", "changed"]
    changed = next(line for line in lines if line.startswith("device in Paris, one jour"))
    assert "refuse under a, deadline 2012-04-21" in changed
    assert "allow under a, deadline 2012-04-23" in changed
    assert changed.rstrip().endswith("outcome, deadline")
    # the near misses, the deadlines of clause a (the 6 refusals after the law's floor too)
    # and the examples of the customer's clock
    assert lines[-1] == f"23 of {EXAMPLES} examples change"
    as_json = json.loads(run("diff", str(TOMTOM), str(amended), "--format", "json").stdout)
    assert as_json["examples"] == EXAMPLES
    assert len(as_json["changes"]) == 23


def test_diff_of_identical_versions_changes_nothing() -> None:
    result = run("diff", str(TOMTOM), str(TOMTOM))
    assert (result.returncode, result.stdout.strip()) == (
        0,
        f"no example changes ({EXAMPLES} run against both versions)",
    )
