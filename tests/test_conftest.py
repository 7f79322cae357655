"""The suite's own reporting: every skip for want of PostgreSQL is one line of the summary."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_tests_that_need_postgresql_are_reported_skipped_on_one_line() -> None:
    # three ways of skipping: a skipif mark on a backend param, one on a test, a fixture's skip
    selected = [
        "tests/api/test_policies_and_auth.py",
        "tests/api/test_serve_processes.py",
        "tests/store/test_store.py",
    ]
    env = {k: v for k, v in os.environ.items() if k != "POLICYCHECK_TEST_PG"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs",
         "-k", "postgresql", *selected],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    skipped = [line for line in lines if line.startswith("SKIPPED")]
    assert len(skipped) == 1, skipped
    folded = re.fullmatch(r"SKIPPED \[(\d+)\] tests/conftest.py:\d+: (.*)", skipped[0])
    assert folded is not None, skipped
    assert "POLICYCHECK_TEST_PG=postgresql+psycopg://" in folded[2]
    counts = re.search(r"(\d+) skipped", lines[-1])
    assert counts is not None, lines[-1]
    assert int(folded[1]) == int(counts[1]) > 20  # every one of them
