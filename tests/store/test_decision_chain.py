"""The decision log's chain and the seals of both logs, on a real SQLite file and (when
POLICYCHECK_TEST_PG is set) a real PostgreSQL: what an attacker with access to the database
does (drop the triggers, edit, delete, cut the end, append a forged entry computed with plain
SHA-256) is named by `verify`; processes writing at once keep one chain."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy.exc import DBAPIError

from policycheck.store import Store
from policycheck.store import decision_chain as chain
from policycheck.store.chain import GENESIS
from policycheck.store.seal import (
    SealKeys,
    add_seal_key,
    ensure_seal_keys,
    load_seal_keys,
    parse_seal_keys,
)
from policycheck.store.tables import decisions
from tests.store.test_store import _python, _release_together, make_record, pg_url, store_url  # noqa: F401

KEYS = parse_seal_keys("k1:" + "a1" * 32)


@pytest.fixture
def sealed(store_url: str) -> Iterator[Store]:  # noqa: F811
    """A migrated store that seals with KEYS."""
    opened = Store(store_url, seal=KEYS)
    opened.migrate()
    yield opened
    opened.close()


def verify(store: Store, keys: SealKeys | None = KEYS, *wanted: str) -> Any:
    report, found = chain.verify(store.engine, keys, wanted)
    return report if not wanted else (report, found)


def rows(store: Store) -> list[dict[str, Any]]:
    """The decisions as stored, in chain order."""
    with store.engine.connect() as conn:
        query = sqlalchemy.text("SELECT id, seq, hash, seal FROM decisions ORDER BY seq")
        return [dict(row) for row in conn.execute(query).mappings()]


def log_some(store: Store, count: int = 6) -> list[dict[str, Any]]:
    """`count` decisions, one alone then in batches (the API's two ways of writing)."""
    store.log_decision(make_record())
    store.log_decisions([make_record() for _ in range(count - 1)])
    return rows(store)


def tamper(store: Store, *statements: str) -> None:
    """Run `statements` past the append-only triggers, as an attacker with access would."""
    if store.engine.dialect.name == "sqlite":
        raw = sqlite3.connect(store.engine.url.database or "")
        for trigger in ("decisions_no_update", "decisions_no_delete"):
            raw.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in statements:
            raw.execute(statement)
        raw.commit()
        raw.close()
        return
    with store.engine.begin() as conn:
        conn.execute(sqlalchemy.text("DROP TRIGGER IF EXISTS decisions_append_only ON decisions"))
        for statement in statements:
            conn.execute(sqlalchemy.text(statement))


# -- the chain as written -------------------------------------------------------------------------


def test_an_empty_log_verifies(sealed: Store) -> None:
    report = verify(sealed)
    assert (report.ok, report.entries, report.head) == (True, 0, GENESIS)


def test_each_decision_takes_the_next_place_linked_and_sealed(sealed: Store) -> None:
    logged = log_some(sealed)
    assert [row["seq"] for row in logged] == [1, 2, 3, 4, 5, 6]
    assert all(row["seal"].startswith("k1:") for row in logged)
    report = verify(sealed)
    assert (report.ok, report.entries, report.head) == (True, 6, logged[-1]["hash"])
    assert verify(sealed, None).ok  # the chain alone


def test_json_that_postgresql_writes_otherwise_still_verifies(sealed: Store) -> None:
    # JSONB keeps numbers and key order its own way: 1e16 comes back as 10000000000000000
    facts = {"z": 1e16, "a": 1e-7, "big": 10**17, "m": -0.0, "s": "é\u2028"}
    sealed.log_decisions([make_record(facts=facts), make_record(decision={"b": 1, "a": [2.50]})])
    assert verify(sealed).ok


def test_the_triggers_refuse_update_delete(sealed: Store) -> None:
    log_some(sealed, 2)
    statements = ["UPDATE decisions SET outcome = 'allow'", "DELETE FROM decisions"]
    if sealed.engine.dialect.name == "postgresql":
        statements.append("TRUNCATE decisions")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), sealed.engine.begin() as conn:
            conn.execute(sqlalchemy.text(statement))
    assert sealed.count_decisions() == 2
    assert verify(sealed).ok


# -- tampering: each is named --------------------------------------------------------------------


def test_an_edited_outcome_is_named(sealed: Store) -> None:
    logged = log_some(sealed)
    tamper(sealed, f"UPDATE decisions SET outcome = 'allow' WHERE id = '{logged[2]['id']}'")
    report = verify(sealed)
    assert (report.ok, report.bad_seq, report.entries) == (False, 3, 2)
    assert report.problem.startswith(f"decision 3 ({logged[2]['id']}): hash does not match")


def test_an_edited_json_document_is_named(sealed: Store) -> None:
    log_some(sealed)
    kind = "jsonb" if sealed.engine.dialect.name == "postgresql" else "text"
    changed = f"'{json.dumps({'customer': {'email': 'x'}})}'"
    tamper(sealed, f"UPDATE decisions SET facts = CAST({changed} AS {kind}) WHERE seq = 5")
    assert (verify(sealed).ok, verify(sealed).bad_seq) == (False, 5)


def test_a_deleted_decision_is_named(sealed: Store) -> None:
    logged = log_some(sealed)
    tamper(sealed, "DELETE FROM decisions WHERE seq = 4")
    report = verify(sealed)
    assert (report.ok, report.bad_seq, report.entries) == (False, 4, 3)
    assert f"decision 5 ({logged[4]['id']}): expected decision 4" in report.problem


def test_a_cut_end_is_found_against_a_recorded_head(sealed: Store) -> None:
    logged = log_some(sealed)
    head = logged[-1]["hash"]
    assert verify(sealed, KEYS, head)[1] == {head}
    tamper(sealed, "DELETE FROM decisions WHERE seq >= 5")
    report, found = verify(sealed, KEYS, head)
    assert (report.ok, report.entries, found) == (True, 4, set())  # consistent, but short


def test_a_time_that_is_not_a_time_is_named_without_a_crash(sealed: Store) -> None:
    log_some(sealed)
    if sealed.engine.dialect.name == "sqlite":
        tamper(sealed, "UPDATE decisions SET created_at = 'yesterday' WHERE seq = 2")
    else:  # a valid timestamptz, but not the one hashed; and one Python cannot hold
        tamper(sealed, "UPDATE decisions SET created_at = '-infinity' WHERE seq = 2")
    report = verify(sealed)
    assert (report.ok, report.bad_seq) == (False, 2)
    assert "hash does not match" in report.problem


def test_a_row_added_outside_the_chain_is_named(sealed: Store) -> None:
    log_some(sealed, 2)
    loose = make_record()
    with sealed.engine.begin() as conn:  # INSERT is allowed; without seq it is in no place
        values = {name: getattr(loose, name) for name in chain.FIELDS}
        conn.execute(sqlalchemy.insert(decisions).values(values))
    report = verify(sealed)
    assert (report.ok, report.entries) == (False, 2)
    assert report.problem == f"decision {loose.id}: not in the chain (added by hand?)"


def test_a_forged_append_with_plain_sha256_is_named(sealed: Store) -> None:
    log_some(sealed, 3)
    url = sealed.engine.url.render_as_string(hide_password=False)
    forger = Store(url)  # the code, the database, no seal key: hashes right, cannot seal
    forged = make_record(outcome="allow")
    forger.log_decision(forged)
    forger.close()
    assert verify(sealed, None).ok  # the chain alone cannot tell
    report = verify(sealed)
    assert (report.ok, report.bad_seq, report.entries) == (False, 4, 3)
    assert (
        report.problem == f"decision 4 ({forged.id}): not sealed (appended without the seal key?)"
    )


def test_an_append_sealed_with_a_guessed_key_is_named(sealed: Store) -> None:
    log_some(sealed, 3)
    url = sealed.engine.url.render_as_string(hide_password=False)
    guessed = Store(url, seal=parse_seal_keys("k1:" + "b2" * 32))  # the right id, not the key
    guessed.log_decision(make_record())
    guessed.close()
    report = verify(sealed)
    assert (report.ok, report.bad_seq) == (False, 4)
    assert "seal does not match" in report.problem


# -- writers at once -----------------------------------------------------------------------------

WRITER = """
import sys
from policycheck.store import Store
from policycheck.store.seal import parse_seal_keys
from tests.store.test_store import make_record
store = Store(sys.argv[1], seal=parse_seal_keys(sys.argv[2]))
print("ready", flush=True)
sys.stdin.readline()
for n in range(60):
    if n % 3:
        store.log_decisions([make_record() for _ in range(n % 7 + 1)])
    else:
        store.log_decision(make_record())
store.close()
"""


def test_processes_writing_at_once_keep_one_chain(sealed: Store, store_url: str) -> None:  # noqa: F811
    spec = "k1:" + "a1" * 32
    children = [_python(WRITER, store_url, spec, stdin=-1) for _ in range(3)]
    _release_together(children)
    for child in children:
        _, stderr = child.communicate(timeout=120)
        assert child.returncode == 0, stderr
    per_child = sum(n % 7 + 1 if n % 3 else 1 for n in range(60))
    report = verify(sealed)
    assert (report.ok, report.entries) == (True, 3 * per_child), report.problem
    assert [row["seq"] for row in rows(sealed)] == list(range(1, 3 * per_child + 1))


def test_threads_of_one_process_writing_at_once_keep_one_chain(sealed: Store) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: sealed.log_decisions([make_record(), make_record()]), range(20)))
    assert (verify(sealed).ok, verify(sealed).entries) == (True, 40)


# -- seal keys -----------------------------------------------------------------------------------


def test_the_seal_file_is_made_once_0600_and_rotates(tmp_path: Path) -> None:
    path = tmp_path / "policycheck.seal"
    first = ensure_seal_keys(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert ensure_seal_keys(path) == first  # made once
    new_id = add_seal_key(path)
    rotated = load_seal_keys(path)
    assert rotated is not None
    assert (rotated.current, set(rotated.keys)) == (new_id, {first.current, new_id})
    old_seal = first.seal("decisions", "sha256:" + "0" * 64)
    assert rotated.problem("decisions", "sha256:" + "0" * 64, old_seal) is None  # still verifies
    assert rotated.seal("decisions", "x").startswith(new_id + ":")
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_seal_binds_its_log_and_hash() -> None:
    seal = KEYS.seal("decisions", "sha256:1")
    assert KEYS.problem("decisions", "sha256:1", seal) is None
    assert KEYS.problem("exceptions", "sha256:1", seal) is not None
    assert KEYS.problem("decisions", "sha256:2", seal) is not None
    plain = hashlib.sha256(b"decisions\nsha256:1").hexdigest()
    assert "does not match" in str(KEYS.problem("decisions", "sha256:1", f"k1:{plain}"))
    assert "unknown key `k9`" in str(KEYS.problem("decisions", "sha256:1", f"k9:{plain}"))
    assert "not sealed" in str(KEYS.problem("decisions", "sha256:1", None))


def test_two_processes_making_the_seal_file_agree(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from policycheck.store.seal import ensure_seal_keys\n"
        "sys.stdin.readline()\nprint(ensure_seal_keys(Path(sys.argv[1])).current)\n"
    )
    path = tmp_path / "x.seal"
    children = [_python(code, str(path), stdin=-1) for _ in range(4)]
    _release_together(children, ready=False)
    ids = {child.communicate(timeout=60)[0].strip() for child in children}
    assert len(ids) == 1
    made = load_seal_keys(path)
    assert made is not None
    assert len(made.keys) == 1
