"""Versions in force through the CLI: `check DIR` reports overlapping versions, `eval` decides
by the version of the request's date and exits 2 when none is in force."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("policycheck")
RETURNS_2025 = ROOT / "rules" / "online-retailer-returns.policy"
RETURNS_2026 = ROOT / "rules" / "online-retailer-returns-2026.policy"
TOMTOM = str(ROOT / "rules" / "tomtom-fr-2012.policy")
# ordered on the day given, delivered 2 March 2026, returned on day 39 (10 April)
RETURN = {
    "request": {"kind": "return", "date": "2026-04-10"},
    "delivery": {"date": "2026-03-02"},
    "product": {"category": "general", "final_sale": False, "complete": True},
    "receipt": {"present": True},
}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=60, check=False, cwd=cwd
    )


def ordered_on(day: str, tmp_path: Path) -> str:
    path = tmp_path / f"order-{day}.json"
    path.write_text(json.dumps({**RETURN, "order": {"date": day}}), encoding="utf-8")
    return str(path)


def test_check_a_folder_with_two_consecutive_versions_is_clean() -> None:
    result = run("check", "--strict", str(ROOT / "rules"))
    assert result.returncode == 0, result.stdout
    assert "online-retailer-returns-2026.policy: ok" in result.stdout


def test_check_a_folder_reports_overlapping_versions_at_the_later_files_effective_line(
    tmp_path: Path,
) -> None:
    shutil.copy(RETURNS_2026, tmp_path / "returns-2026.policy")
    text = RETURNS_2025.read_text(encoding="utf-8")
    (tmp_path / "returns-2025.policy").write_text(
        text.replace("until 2026-02-28", "until 2026-03-31"), encoding="utf-8"
    )
    result = run("check", str(tmp_path))
    assert result.returncode == 1
    assert "error[PC411]: two versions of policy `online-retailer-returns`" in result.stdout
    effective = RETURNS_2026.read_text("utf-8").splitlines().index("  effective 2026-03-01") + 1
    assert f"--> {tmp_path / 'returns-2026.policy'}:{effective}:3" in result.stdout
    assert "in force from 2026-03-01;" in result.stdout
    assert "is in force 2025-01-01 to 2026-03-31" in result.stdout
    assert "(`until 2026-02-28`)" in result.stdout  # the hint
    assert "returns-2026.policy: 1 error\n" in result.stdout
    as_json = json.loads(run("check", "--format", "json", str(tmp_path)).stdout)
    assert [(d["code"], Path(str(d["file"])).name) for d in as_json] == [
        ("PC411", "returns-2026.policy")
    ]


def test_the_same_files_checked_one_by_one_are_each_clean(tmp_path: Path) -> None:
    # the overlap is between files: each file alone is a sound rule file
    text = RETURNS_2025.read_text(encoding="utf-8")
    alone = tmp_path / "returns-2025.policy"
    alone.write_text(text.replace("until 2026-02-28", "until 2026-03-31"), encoding="utf-8")
    assert run("check", str(alone)).returncode == 0


def test_eval_a_folder_decides_by_the_version_of_the_order_date(tmp_path: Path) -> None:
    rules = str(ROOT / "rules")
    for day, version, outcome in (
        ("2026-02-28", "2025-01", "refuse"),  # 30 days: nine days late
        ("2026-03-01", "2026-03", "allow"),  # 45 days: in time
    ):
        result = run(
            "eval", rules, "--policy", "online-retailer-returns",
            "--facts", ordered_on(day, tmp_path), "--format", "json",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout)
        assert (out["policy"]["version"], out["outcome"]) == (version, outcome)


def test_eval_exits_2_naming_the_periods_when_no_version_is_in_force(tmp_path: Path) -> None:
    facts = ordered_on("2024-12-31", tmp_path)
    rules = str(ROOT / "rules")
    result = run("eval", rules, "--policy", "online-retailer-returns", "--facts", facts)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "policycheck: error: no version of `online-retailer-returns` is in force on 2024-12-31 "
        '(`order.date`): version "2025-01" is in force 2025-01-01 to 2026-02-28, '
        'version "2026-03" is in force from 2026-03-01\n'
    )
    as_json = run(
        "eval", rules, "--policy", "online-retailer-returns", "--facts", facts, "--format", "json"
    )
    assert as_json.returncode == 2
    out = json.loads(as_json.stdout)
    assert out["code"] == "no_version_in_force"
    assert [e["effective"] for e in out["errors"]] == [
        {"from": "2025-01-01", "until": "2026-02-28"},
        {"from": "2026-03-01", "until": None},
    ]


def test_eval_of_one_rule_file_exits_2_outside_its_period(tmp_path: Path) -> None:
    facts = tmp_path / "late.json"
    late = {
        "request": {"kind": "cancellation", "date": "2026-03-19"},
        "product": {"category": "map"},
    }
    facts.write_text(json.dumps(late), encoding="utf-8")
    result = run("eval", TOMTOM, "--facts", str(facts))
    assert result.returncode == 2
    assert "is in force 2012-01-01 to 2014-06-13" in result.stderr
    on_the_last_day = {**late, "request": {"kind": "cancellation", "date": "2014-06-13"}}
    facts.write_text(json.dumps(on_the_last_day), encoding="utf-8")
    assert run("eval", TOMTOM, "--facts", str(facts)).returncode == 0


def test_eval_a_folder_needs_a_known_policy_id(tmp_path: Path) -> None:
    facts = ordered_on("2026-03-01", tmp_path)
    without = run("eval", str(ROOT / "rules"), "--facts", facts)
    assert without.returncode == 2
    assert "name the policy with --policy ID" in without.stderr
    unknown = run("eval", str(ROOT / "rules"), "--policy", "nope", "--facts", facts)
    assert unknown.returncode == 2
    assert "no policy `nope`" in unknown.stderr
