"""The decision log's writes on PostgreSQL (store/postgres.py): one INSERT per batch with
PostgreSQL's own placeholders, on a writers' connection of the store's own that is replaced
when it breaks."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy
from hypothesis import given
from hypothesis import strategies as st

from policycheck.store import Store
from policycheck.store import decision_chain as chain
from policycheck.store.group_commit import write_each
from policycheck.store.postgres import insert_sql
from policycheck.store.seal import parse_seal_keys
from tests.store.test_store import make_record, pg_url  # noqa: F401

KEYS = parse_seal_keys("k1:" + "a1" * 32)


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:  # noqa: F811
    opened = Store(pg_url, seal=KEYS)
    opened.migrate()
    yield opened
    opened.close()


@given(st.integers(min_value=1, max_value=60))
def test_an_insert_numbers_every_value_once_in_order(rows: int) -> None:
    sql = insert_sql(rows)
    numbers = [int(n) for n in re.findall(r"\$(\d+)", sql)]
    assert numbers == list(range(1, 14 * rows + 1))
    assert sql.count("CAST(") == 2 * rows  # facts and decision of each row, as JSONB


def test_a_batch_of_awkward_documents_is_logged_as_written_and_verifies(pg_store: Store) -> None:
    awkward = {
        "zz": "$1 $2 '); DROP TABLE decisions; --",
        "a": [1.5, 10, None, 'é\n\t"\\'],
        "bb": {"y": True, "x": {}},
    }
    records = [make_record(facts=awkward), make_record(), make_record(decision=awkward)]
    pg_store.log_decisions(records)
    assert [pg_store.get_decision(r.id) for r in records] == records
    report, _ = chain.verify(pg_store.engine, KEYS)
    assert report.ok, report
    assert report.entries == 3


def test_a_broken_writers_connection_is_replaced(pg_store: Store, pg_url: str) -> None:  # noqa: F811
    pg_store.log_decision(make_record())
    writer = pg_store._inserter
    assert writer is not None
    pid = writer.driver_connection.info.backend_pid  # type: ignore[union-attr]
    engine = sqlalchemy.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            ended = conn.execute(sqlalchemy.text(f"SELECT pg_terminate_backend({int(pid)})"))
            assert ended.scalar_one() is True
    finally:
        engine.dispose()
    records = [make_record(), make_record()]
    assert write_each(pg_store, records) == [None, None]  # tried again on a new connection
    assert pg_store.count_decisions() == 3
    report, _ = chain.verify(pg_store.engine, KEYS)
    assert report.ok, report
    assert report.entries == 3
