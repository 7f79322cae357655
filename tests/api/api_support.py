"""Keys, backends and database helpers shared by the API tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy

ROOT = Path(__file__).resolve().parents[2]
# keys as strong as policycheck.service.keys requires: at least 24 characters, 8 of them different
KEYS = {
    role: f"test-{role}-key-5f8c2a9e71d4"
    for role in ("agent", "supervisor", "legal", "quality", "admin")
}
# the seal keys of the test app (policycheck.store.seal): `audit verify` gets them by the variable
SEAL_KEYS = "testseal:" + "5e" * 32
PG_URL = os.environ.get("POLICYCHECK_TEST_PG")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql", marks=pytest.mark.skipif(not PG_URL, reason="POLICYCHECK_TEST_PG is not set")
    ),
]


def auth(role: str) -> dict[str, str]:
    """The Authorization header of the test key of `role`."""
    return {"Authorization": f"Bearer {KEYS[role]}"}


def reset_postgres(url: str) -> None:
    """Drop what earlier runs left (tables, their triggers' functions, indexes, sequences, whatever
    a migration of any version made), so each test starts from an empty database."""
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sqlalchemy.text("CREATE SCHEMA public"))
    engine.dispose()
