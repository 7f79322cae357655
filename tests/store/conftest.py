"""Fixtures of the store tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from policycheck.store import Store, default_url


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A migrated store on `tmp_path/log.db`, closed after the test."""
    opened = Store(default_url(tmp_path / "log.db"))
    opened.migrate()
    yield opened
    opened.close()
