"""The real app over a real SQLite file, and over PostgreSQL when POLICYCHECK_TEST_PG is set."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from policycheck.keys import parse_keys

ROOT = Path(__file__).resolve().parents[2]
KEYS = {role: f"test-{role}-key" for role in ("agent", "supervisor", "legal", "quality", "admin")}
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
    """Drop what earlier runs left, so each test starts from an empty database."""
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        for table in ("decisions", "meta", "alembic_version"):
            connection.execute(sqlalchemy.text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A rules folder with the shipped rule files."""
    folder = tmp_path / "rules"
    folder.mkdir()
    for path in (ROOT / "rules").glob("*.policy"):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'policycheck.db'}"
    assert PG_URL is not None
    reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def settings(rules: Path, db_url: str) -> Settings:
    spec = ",".join(f"{role}:{key}" for role, key in KEYS.items())
    return Settings(
        rules_dir=rules, db_url=db_url, keys=tuple(parse_keys(spec)), refresh_seconds=0.0
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client
