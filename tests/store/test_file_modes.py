"""Secrets at rest: a SQLite database the store creates, its -wal and -shm files and its write
lock are readable by their owner alone (mode 0600), whatever the process's umask (issue 11,
item 18)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy.exc

from policycheck.store import Store, default_url


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask (022): files are created readable by everyone unless asked otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_a_new_database_and_its_wal_and_shm_are_0600(tmp_path: Path) -> None:
    path = tmp_path / "policycheck.db"
    store = Store(default_url(path))
    try:
        store.migrate()
        store.set_meta("review_secret_probe", "x")
        files = {name: tmp_path / name for name in ("policycheck.db", "policycheck.db-wal",
                                                       "policycheck.db-shm")}  # fmt: skip
        assert all(file.exists() for file in files.values()), sorted(os.listdir(tmp_path))
        assert {name: oct(mode(file)) for name, file in files.items()} == {
            name: oct(0o600) for name in files
        }
        assert mode(tmp_path / "policycheck.db.write-lock") == 0o600
    finally:
        store.close()


@pytest.mark.usefixtures("open_umask")
def test_an_existing_database_keeps_the_mode_its_operator_gave_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    store = Store(default_url(path))
    try:
        store.migrate()
        assert mode(path) == 0o640
    finally:
        store.close()


def test_a_database_in_a_missing_folder_is_still_a_clear_store_error(tmp_path: Path) -> None:
    store = Store(default_url(tmp_path / "nowhere" / "policycheck.db"))
    with pytest.raises(sqlalchemy.exc.OperationalError, match="unable to open"):
        store.migrate()
    assert not (tmp_path / "nowhere").exists()
