"""`policycheck diff --db`: the command as a user runs it, over real SQLite files (and a fresh
PostgreSQL schema when POLICYCHECK_TEST_PG is set): its JSON, its windows of days, its changes
file, the progress line only on a terminal, and the clear errors (exit 2) when there is nothing
to replay or the database cannot be read."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config

from policycheck.language.source import Source
from policycheck.policy import Policy, load_source
from policycheck.store import Store, default_url
from policycheck.store.database import MIGRATIONS
from policycheck.store.reading import head_revision
from tests.store.test_store import pg_url, store_url  # noqa: F401  (fixtures)
from tests.toolkit.replay_log import LAW_FILE, TOMTOM_FILE, log_requests, tomtom_requests

SCRIPT = Path(sys.executable).with_name("policycheck")


@pytest.fixture
def rules(tmp_path: Path) -> tuple[Path, Path]:
    """TomTom's rule file and its 15-jours-ouvrables amendment, beside the law."""
    for path in (TOMTOM_FILE, LAW_FILE):
        shutil.copy(path, tmp_path / path.name)
    text = TOMTOM_FILE.read_text(encoding="utf-8")
    new = tmp_path / "tomtom-15.policy"
    new.write_text(text.replace("within 14 ouvrables", "within 15 ouvrables"), encoding="utf-8")
    return tmp_path / TOMTOM_FILE.name, new


def policy(path: Path) -> Policy:
    return load_source(Source.read(path))


def diff(
    rules: tuple[Path, Path], *args: str, stderr: Any = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    """`policycheck diff OLD NEW ARGS...` run as a user runs it, its output captured."""
    old, new = rules
    return subprocess.run(
        [str(SCRIPT), "diff", str(old), str(new), *args],
        stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture
def logged(tmp_path: Path, rules: tuple[Path, Path]) -> tuple[str, list[Any]]:
    """A SQLite log of 80 TomTom decisions (one every 50 hours from 2 January 2012)."""
    url = default_url(tmp_path / "log.db")
    store = Store(url)
    store.migrate()
    records = log_requests(store, policy(rules[0]), tomtom_requests(80, seed=21))
    store.close()
    return url, records


def test_the_json_report_starts_with_the_decisions_replayed_and_changed(
    logged: tuple[str, list[Any]], rules: tuple[Path, Path]
) -> None:
    url, records = logged
    result = diff(rules, "--db", url, "--format", "json")
    assert result.returncode == 1, result.stderr  # decisions change, like diff(1)
    assert result.stderr == ""  # no progress line: standard error is not a terminal
    out = json.loads(result.stdout)
    assert list(out) == ["decisions", "policy", "old", "new", "window", "outcomes", "clauses",
                         "discretion", "fields", "customers", "exceptions"]  # fmt: skip
    assert list(out["decisions"])[:2] == ["replayed", "changed"]
    assert out["decisions"]["replayed"] == len(records)
    assert 0 < out["decisions"]["changed"] <= len(records)
    assert set(out["outcomes"][0]) == {"old", "new", "decisions", "decision_ids"}
    assert set(out["fields"]) == {"outcome", "clause", "deadline", "discretion", "obligations",
                                  "remedy", "fees"}  # fmt: skip
    assert out["window"] == {"since": None, "until": None}
    assert out["old"]["version"] == "2012-06"


def test_text_and_markdown_reports_name_the_transitions(
    logged: tuple[str, list[Any]], rules: tuple[Path, Path]
) -> None:
    url, _ = logged
    text = diff(rules, "--db", url).stdout
    assert text.startswith("80 of 80 logged decisions of `tomtom-fr-2012` replayed")
    assert "refuse → allow" in text
    markdown = diff(rules, "--db", url, "--format", "md").stdout
    assert "| outcome | decisions | first decision ids |" in markdown


def test_since_and_until_are_days_included(
    logged: tuple[str, list[Any]], rules: tuple[Path, Path]
) -> None:
    url, records = logged
    since, until = records[20].created_at.date(), records[39].created_at.date()
    inside = [r for r in records if since <= r.created_at.date() <= until]
    result = diff(rules, "--db", url, "--since", str(since), "--until", str(until),
                  "--format", "json")  # fmt: skip
    out = json.loads(result.stdout)
    assert out["decisions"]["read"] == len(inside) == 20
    assert out["window"] == {"since": str(since), "until": str(until)}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2012-13-01"], "--since `2012-13-01` is not a day: write it YYYY-MM-DD"),
        (["--until", "yesterday"], "--until `yesterday` is not a day: write it YYYY-MM-DD"),
        (["--since", "2012-05-01", "--until", "2012-04-01"], "--since 2012-05-01 is after"),
        (["--since", "2020-01-01"], "no decision of `tomtom-fr-2012` was logged on or after 2020"),
    ],
)
def test_a_bad_window_is_a_clear_error(
    logged: tuple[str, list[Any]], rules: tuple[Path, Path], args: list[str], message: str
) -> None:
    url, _ = logged
    result = diff(rules, "--db", url, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_since_without_db_is_a_usage_error(rules: tuple[Path, Path]) -> None:
    result = diff(rules, "--since", "2012-01-01")
    assert (result.returncode, result.stderr.strip()) == (
        2,
        "policycheck: error: --since reads the decision log: pass --db URL too",
    )


def test_the_changes_file_lists_every_changed_decision(
    logged: tuple[str, list[Any]], rules: tuple[Path, Path], tmp_path: Path
) -> None:
    url, records = logged
    changes = tmp_path / "changes.jsonl"
    out = json.loads(diff(rules, "--db", url, "--format", "json", "--changes", str(changes)).stdout)
    lines = [json.loads(line) for line in changes.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == out["decisions"]["changed"]
    order = [r.id for r in records]
    assert [line["decision_id"] for line in lines] == sorted(
        (line["decision_id"] for line in lines), key=order.index
    )
    assert set(lines[0]) == {"decision_id", "changed", "old", "new"}
    old, new = policy(rules[0]), policy(rules[1])
    flipped = {r.id for r in records
               if old.evaluate(r.facts).outcome != new.evaluate(r.facts).outcome}  # fmt: skip
    assert flipped
    assert {line["decision_id"] for line in lines if "outcome" in line["changed"]} == flipped


def test_the_progress_line_is_drawn_on_a_terminal_only(
    logged: tuple[str, list[Any]], rules: tuple[Path, Path]
) -> None:
    url, _ = logged
    assert diff(rules, "--db", url).stderr == ""  # piped: nothing
    leader, follower = pty.openpty()
    try:
        result = diff(rules, "--db", url, stderr=follower)
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal is closed: all of it was read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
    assert result.returncode == 1
    assert b"\rreplayed 80 logged decisions, 100% of the log (" in drawn
    assert drawn.endswith(b"\r\x1b[K")  # erased before the report


# -- nothing to replay, or a database that cannot be read: exit 2 ------------------------------


def test_an_empty_log_is_a_clear_error(store_url: str, rules: tuple[Path, Path]) -> None:  # noqa: F811
    store = Store(store_url)
    store.migrate()
    store.close()
    result = diff(rules, "--db", store_url)
    assert (result.returncode, result.stderr.strip()) == (
        2,
        "policycheck: error: the decision log is empty: no decision to replay",
    )


def test_a_log_of_other_policies_only_names_them(store_url: str, rules: tuple[Path, Path]) -> None:  # noqa: F811
    store = Store(store_url)
    store.migrate()
    law = policy(LAW_FILE)
    withdrawal = {
        "request": {"kind": "withdrawal", "date": "2012-04-11"},
        "contract": {"object": "goods"},
        "possession": {"date": "2012-04-04"},
        "consumer": {"postcode": "75011"},
        "goods": {"kind": "ordinary"},
    }
    log_requests(store, law, [withdrawal] * 3)
    store.close()
    result = diff(rules, "--db", store_url)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "policycheck: error: the decision log holds no decision of `tomtom-fr-2012` (the old "
        "version's policy id), only of `fr-code-consommation-2012` (3 decisions)"
    )


def test_a_log_of_an_older_schema_says_which_revisions_and_how_to_upgrade(
    store_url: str,  # noqa: F811
    rules: tuple[Path, Path],
) -> None:
    store = Store(store_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.write_transaction() as conn:  # as Store.migrate does, to an older revision
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
    store.close()
    result = diff(rules, "--db", store_url)
    assert result.returncode == 2
    assert "is at schema revision 0003, older than the revision " in result.stderr
    assert f"revision {head_revision()} a replay reads" in result.stderr
    assert "start `policycheck serve --db URL` once: it upgrades the store's schema" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense", "malformed database URL `nonsense`"),
        ("mysql://user@localhost/db", "unsupported database URL `mysql://...`"),
        ("sqlite:///no/such/log.db", "no database at `no/such/log.db`; pass --db URL"),
        (
            "postgresql+psycopg://postgres@127.0.0.1:1/nothing",
            "cannot read the database at postgresql+psycopg://postgres@127.0.0.1:1/nothing: ",
        ),
    ],
)
def test_an_unusable_url_is_a_clear_error(url: str, message: str, rules: tuple[Path, Path]) -> None:
    result = diff(rules, "--db", url)
    assert result.returncode == 2
    assert result.stderr.startswith(f"policycheck: error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1  # one line, never a traceback


def test_a_file_that_is_not_a_database_is_a_clear_error(
    tmp_path: Path, rules: tuple[Path, Path]
) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database, only notes " * 200, encoding="utf-8")
    result = diff(rules, "--db", f"sqlite:///{path}")
    assert result.returncode == 2
    assert "cannot read the database at sqlite:///" in result.stderr
    assert "file is not a database" in result.stderr
