"""Shared test settings (hypothesis profiles: `ci` is deterministic, selected when CI is set) and
the fixtures of the API tests: the real app over a real SQLite file, or PostgreSQL when
POLICYCHECK_TEST_PG is set."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from api.app import create_app
from api.settings import Settings
from policycheck.service.keys import parse_keys
from policycheck.store.seal import parse_seal_keys

sys.path.insert(0, str(Path(__file__).parent / "api"))  # api_support, shared by the API tests
from api_support import BACKENDS, KEYS, PG_URL, ROOT, SEAL_KEYS, reset_postgres

# No time limits: an example's duration and data generation's speed depend on the CPU a test gets
# (the suite must pass on a busy machine).
UNTIMED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True, **UNTIMED)
hypothesis_settings.register_profile("dev", **UNTIMED)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


# Every test that needs PostgreSQL skips without it (a skipif mark on a test or a backend param, a
# fixture's pytest.skip, each saying "POLICYCHECK_TEST_PG"); pytest folds skips of one place and
# reason into one summary line, so they are all reported from here, in these words.
NO_POSTGRESQL = (
    "PostgreSQL not configured: set POLICYCHECK_TEST_PG=postgresql+psycopg://USER@HOST:PORT/DB "
    "(a throw-away database: the tests drop its tables) to run them"
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Report a skip for want of PostgreSQL from one place, with one reason (one line)."""
    report = yield
    if (
        report.skipped
        and isinstance(report.longrepr, tuple)
        and "POLICYCHECK_TEST_PG" in str(report.longrepr[2])
    ):
        line = pytest_runtest_makereport.__code__.co_firstlineno
        report.longrepr = (__file__, line, f"Skipped: {NO_POSTGRESQL}")
    return report


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/*.expected from the current output (review the diff)",
    )


# -- the API over a real database ------------------------------------------------------------


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
        rules_dir=rules,
        db_url=db_url,
        keys=tuple(parse_keys(spec)),
        refresh_seconds=0.0,
        seal=parse_seal_keys(SEAL_KEYS),
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client
