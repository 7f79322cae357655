"""Store on a real SQLite file and, when POLICYCHECK_TEST_PG names a database, a real
PostgreSQL (a fresh schema per test); migrations run programmatically and concurrently."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

import policycheck
from policycheck.store import DecisionRecord, Store, StoreError, decision_chain, default_url
from policycheck.store.database import MIGRATIONS
from policycheck.store.tables import decisions, metadata

PG_URL = os.environ.get("POLICYCHECK_TEST_PG", "")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The test database with its own fresh schema first on the search_path, dropped after."""
    if not PG_URL:
        pytest.skip("POLICYCHECK_TEST_PG is not set")
    schema = f"store_test_{uuid.uuid4().hex}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database nobody has migrated yet: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return default_url(tmp_path / "store.db")
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated store, closed after the test."""
    opened = Store(store_url)
    opened.migrate()
    yield opened
    opened.close()


def make_record(**changes: Any) -> DecisionRecord:
    """A decision record with nested, non-ASCII JSON; fields overridden by `changes`."""
    record = DecisionRecord(
        id=uuid.uuid4().hex,
        created_at=datetime(2025, 3, 1, 14, 30, 5, 123456, tzinfo=UTC),
        agent_key_id="key-7f3a",
        policy_id="tomtom-fr-2012",
        policy_version="2012-06",
        policy_hash="sha256:" + "ab" * 32,
        outcome="refuse",
        clause_id="art-4.2",
        rigid=True,
        facts={
            "customer": {"email": "***", "name": "Zoë Ångström", "city": "東京"},
            "product": {"price": 129.9, "count": 2, "used": False, "tags": ["gps", None]},
        },
        decision={"outcome": "refuse", "trace": [{"clause": "art-4.2", "why": "délai dépassé 🙂"}]},
    )
    return replace(record, **changes)


def test_migrate_twice_is_harmless(store: Store) -> None:
    store.log_decision(make_record())
    store.migrate()
    store.migrate()
    assert store.count_decisions() == 1


def test_log_then_get_returns_an_equal_record(store: Store) -> None:
    record = make_record()
    store.log_decision(record)
    got = store.get_decision(record.id)
    assert got == record
    assert got.created_at.utcoffset() == timedelta(0)
    assert got.created_at.tzinfo is UTC


def test_created_at_in_another_zone_comes_back_as_the_same_instant_in_utc(store: Store) -> None:
    paris = datetime(2025, 7, 14, 23, 59, 59, 999999, tzinfo=ZoneInfo("Europe/Paris"))
    record = make_record(created_at=paris)
    store.log_decision(record)
    got = store.get_decision(record.id)
    assert got is not None
    assert got.created_at == paris
    assert got.created_at.tzinfo is UTC
    assert got.created_at.hour == 21


def test_nullable_fields_round_trip(store: Store) -> None:
    record = make_record(agent_key_id=None, policy_version=None, clause_id=None, rigid=False)
    store.log_decision(record)
    assert store.get_decision(record.id) == record


def test_unknown_id_gives_none(store: Store) -> None:
    assert store.get_decision(uuid.uuid4().hex) is None
    assert store.get_decision("not an id") is None


def test_count(store: Store) -> None:
    assert store.count_decisions() == 0
    for _ in range(3):
        store.log_decision(make_record())
    assert store.count_decisions() == 3


def test_meta_set_get_and_upsert(store: Store) -> None:
    assert store.get_meta("rules_generation") is None
    store.set_meta("rules_generation", "1")
    store.set_meta("other", "x")
    assert store.get_meta("rules_generation") == "1"
    store.set_meta("rules_generation", "2")
    assert store.get_meta("rules_generation") == "2"
    assert store.get_meta("other") == "x"


def test_meta_written_by_one_store_is_seen_by_another(store: Store, store_url: str) -> None:
    other = Store(store_url)
    try:
        store.set_meta("rules_generation", "7")
        assert other.get_meta("rules_generation") == "7"
    finally:
        other.close()


def test_ping(store: Store) -> None:
    assert store.ping() is True


def test_ping_is_false_when_the_database_does_not_answer(tmp_path: Path) -> None:
    unreachable = [
        default_url(tmp_path / "no-such-dir" / "x.db"),
        "postgresql+psycopg://postgres@127.0.0.1:1/x?connect_timeout=2",
    ]
    for url in unreachable:
        store = Store(url)
        assert store.ping() is False
        store.close()


def test_failed_insert_leaves_the_first_record_and_raises(store: Store) -> None:
    first = make_record()
    store.log_decision(first)
    with pytest.raises(StoreError, match=first.id):
        store.log_decision(make_record(id=first.id, outcome="allow", facts={"other": 1}))
    assert store.get_decision(first.id) == first
    assert store.count_decisions() == 1
    store.log_decision(make_record())  # the store is still usable
    assert store.count_decisions() == 2


def test_log_decisions_writes_a_batch_in_one_transaction(store: Store) -> None:
    first = make_record()
    store.log_decision(first)
    batch = [make_record() for _ in range(3)]
    store.log_decisions(batch)
    assert [store.get_decision(record.id) for record in batch] == batch
    store.log_decisions([])
    with pytest.raises(StoreError):
        store.log_decisions([make_record(), replace(first, outcome="allow"), make_record()])
    assert store.count_decisions() == 4  # none of the failed batch
    assert store.get_decision(first.id) == first


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"created_at": datetime(2025, 3, 1, 14, 30)}, "timezone-aware"),
        ({"id": str(uuid.uuid4())}, "32 lowercase hex digits"),
        ({"id": "AB" * 16}, "32 lowercase hex digits"),
    ],
)
def test_invalid_records_are_refused_before_writing(
    store: Store, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.log_decision(make_record(**changes))
    assert store.count_decisions() == 0


def test_concurrent_logging_from_four_threads(store: Store) -> None:
    def log_fifty(_: int) -> None:
        for _ in range(50):
            store.log_decision(make_record())

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(log_fifty, range(4)))  # re-raises any thread's exception
    assert store.count_decisions() == 200


def test_sqlite_file_is_in_wal_mode_with_the_connection_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    store = Store(default_url(path))
    try:
        store.migrate()
        with store._engine.connect() as conn:  # the pragmas are per connection
            assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 5000
            assert conn.execute(text("PRAGMA synchronous")).scalar_one() == 1  # NORMAL
    finally:
        store.close()
    with sqlite3.connect(path) as raw:  # WAL is a property of the file
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    raw.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "malformed"),
        ("not a url", "malformed"),
        ("mysql://root@localhost/db", "unsupported"),
        ("postgresql://postgres@localhost/db", "psycopg"),
        ("postgresql+psycopg2://postgres@localhost/db", "psycopg 3"),
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
    ],
)
def test_unusable_urls_raise_store_error(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        Store(url)


def test_store_error_does_not_echo_a_password() -> None:
    with pytest.raises(StoreError) as caught:
        Store("mysql://root:s3cret@localhost/db")
    assert "s3cret" not in str(caught.value)


def test_default_url_is_an_absolute_sqlite_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_url() == f"sqlite:///{tmp_path.resolve() / 'policycheck.db'}"
    assert default_url("sub/x.db") == f"sqlite:///{tmp_path.resolve() / 'sub' / 'x.db'}"
    assert default_url(tmp_path / "y.db").startswith("sqlite:////")


# Migrations


def test_migrated_schema_matches_the_tables(store: Store, store_url: str) -> None:
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [
                ("0004",)
            ]
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()


def test_stores_migrating_at_the_same_time_do_not_fail(store_url: str) -> None:
    stores = [Store(store_url) for _ in range(4)]  # as four API processes starting at once
    try:
        assert _migrate_all_at_once(stores) == []
        assert all(store.count_decisions() == 0 for store in stores)
        stores[0].set_meta("k", "v")
        assert stores[-1].get_meta("k") == "v"
    finally:
        for store in stores:
            store.close()


def test_stores_on_different_databases_migrating_at_the_same_time(tmp_path: Path) -> None:
    # Alembic's `context` and `op` are process-global: migrate() must not run them in parallel.
    stores = [Store(default_url(tmp_path / f"db{i}.db")) for i in range(4)]
    try:
        assert _migrate_all_at_once(stores) == []
        assert all(store.count_decisions() == 0 for store in stores)
    finally:
        for store in stores:
            store.close()


def _migrate_all_at_once(stores: list[Store]) -> list[BaseException]:
    """Migrate each store in its own thread, all released together; the errors raised."""
    start = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def migrate(store: Store) -> None:
        try:
            start.wait()
            store.migrate()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=migrate, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a migration hangs"
    return errors


def test_processes_migrating_at_the_same_time_do_not_fail(store_url: str) -> None:
    # In one process migrate() is serialised by a lock; across processes only the database's
    # own lock (BEGIN IMMEDIATE, pg_advisory_xact_lock) keeps two upgrades apart.
    code = (
        "import sys\n"
        "from policycheck.store import Store\n"
        "store = Store(sys.argv[1])\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"
        "store.migrate()\n"
        "print(store.count_decisions())\n"
        "store.close()\n"
    )
    children = [_python(code, store_url, stdin=subprocess.PIPE) for _ in range(4)]
    _release_together(children)  # every child is up and connected-to-be before any migrates
    for child in children:
        stdout, stderr = child.communicate(timeout=60)
        assert (child.returncode, stdout.strip()) == (0, "0"), stderr


def test_migrate_in_a_fresh_process_needs_no_alembic_ini(tmp_path: Path) -> None:
    code = (
        "from policycheck.store import Store, default_url\n"
        "store = Store(default_url('fresh.db'))\n"
        "store.migrate()\n"
        "print(store.count_decisions())\n"
        "store.close()\n"
    )
    child = _python(code, cwd=tmp_path)
    stdout, stderr = child.communicate(timeout=60)
    assert child.returncode == 0, stderr
    assert stdout.strip() == "0"
    assert not list(tmp_path.glob("alembic*"))
    with sqlite3.connect(tmp_path / "fresh.db") as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [("0004",)]
    raw.close()


def _release_together(children: list[subprocess.Popen[str]], ready: bool = True) -> None:
    """Once each child has said `ready` (when `ready`), tell them all to go: one line each."""
    for child in children if ready else ():
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()


def _python(code: str, *args: str, **popen: Any) -> subprocess.Popen[str]:
    """A Python child running `code` with warnings as errors, the repository importable."""
    root = str(Path(policycheck.__file__).resolve().parents[1])
    path = [root, *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    return subprocess.Popen(
        [sys.executable, "-W", "error", "-c", code, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


# -- group commit: one writer thread, many records per transaction -------------------------------


def test_group_commit_logs_every_record_from_many_threads(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from policycheck.store.group_commit import GroupCommitLog

    log = GroupCommitLog(store)
    records = [make_record() for _ in range(200)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(log.log, records))
    log.close()
    assert store.count_decisions() == 200
    assert all(store.get_decision(r.id) is not None for r in records)


def test_group_commit_fails_only_the_bad_record(store: Store) -> None:
    from policycheck.store.group_commit import GroupCommitLog

    first = make_record()
    store.log_decision(first)
    log = GroupCommitLog(store)
    good = make_record()
    with pytest.raises(StoreError):
        log.log(first)  # its id is already logged
    log.log(good)
    log.close()
    assert store.count_decisions() == 2


def test_migrations_keep_the_decisions_drop_two_indexes_and_chain_them(store_url: str) -> None:
    # a store at 0002 with decisions, upgraded to head: the decisions are still there, only the
    # indexes on created_at and seq are left beside the primary key (0003), and the decisions
    # logged before 0004 are chained in the order they were made (unsealed: no key then)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    engine = create_engine(store_url)
    early, late = make_record(), make_record(created_at=datetime(2026, 1, 2, tzinfo=UTC))
    content = [column.name for column in decisions.columns][:11]
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
            for record in (late, early):
                values = {name: getattr(record, name) for name in content}
                conn.execute(insert(decisions).values(values))
        with engine.connect() as conn:
            assert "ix_decisions_outcome" in _decision_indexes(conn)
        old = Store(store_url)
        old.migrate()
        assert (old.get_decision(early.id), old.get_decision(late.id)) == (early, late)
        report, _ = decision_chain.verify(old.engine, keys=None)
        assert (report.ok, report.entries) == (True, 2)
        old.close()
        with engine.connect() as conn:
            assert _decision_indexes(conn) == {"ix_decisions_created_at", "ix_decisions_seq"}
            ids = conn.execute(text("SELECT id FROM decisions ORDER BY seq")).scalars().all()
            assert ids == [early.id, late.id]
    finally:
        engine.dispose()


def _decision_indexes(conn: Any) -> set[str]:
    from sqlalchemy import inspect

    return {index["name"] for index in inspect(conn).get_indexes("decisions")}
