"""`policycheck serve` and its keys: new keys shown once, on a terminal only, else written to a
0600 file whose path is printed; an operator's key too easy to guess refused, naming its role and
never the key (issue 11, items 17 and 18)."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from policycheck.cli.serve import _announce
from policycheck.service.keys import (
    MIN_KEY_LENGTH,
    ROLES,
    KeySpecError,
    authenticate,
    generate_keys,
    load_keys,
    parse_keys,
)

ROOT = Path(__file__).resolve().parents[2]
POLICYCHECK = Path(sys.executable).with_name("policycheck")


class Terminal(io.StringIO):
    """What a terminal looks like to `isatty`."""

    def isatty(self) -> bool:
        return True


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("open_umask")
def test_off_a_terminal_new_keys_go_to_a_0600_file_not_to_the_output(tmp_path: Path) -> None:
    keys_file = tmp_path / "policycheck.keys"
    created = generate_keys(keys_file)
    out = io.StringIO()  # a service's log
    _announce(created, keys_file, out)
    printed = out.getvalue()
    assert not any(key in printed for key in created.values())
    shown = tmp_path / "policycheck.keys.new"
    assert str(shown) in printed
    assert (mode(shown), mode(keys_file)) == (0o600, 0o600)
    written = dict(
        line.split(":", 1)
        for line in shown.read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    )
    assert written == created
    stored = load_keys(keys_file)
    for role, key in created.items():
        found = authenticate(key, stored)
        assert found is not None
        assert found.role == role


def test_on_a_terminal_new_keys_are_shown_and_no_file_is_written(tmp_path: Path) -> None:
    keys_file = tmp_path / "policycheck.keys"
    created = generate_keys(keys_file)
    out = Terminal()
    _announce(created, keys_file, out)
    assert all(key in out.getvalue() for key in created.values())
    assert not (tmp_path / "policycheck.keys.new").exists()


@pytest.mark.parametrize(
    "key",
    ["a", "k", "test-agent-key", "x" * (MIN_KEY_LENGTH - 1), "ab" * 20, "0123456" * 5],
)
def test_a_key_easy_to_guess_is_refused_naming_its_role_not_the_key(key: str) -> None:
    with pytest.raises(KeySpecError) as refused:
        parse_keys(f"quality:strong-quality-key-5f8c2a9e71d4,agent:{key}")
    assert "`agent`" in str(refused.value)
    with pytest.raises(KeySpecError) as other:
        parse_keys("agent:another")
    assert str(refused.value) == str(other.value)  # nothing of the key itself


def test_strong_keys_and_stored_hashes_are_accepted() -> None:
    keys = parse_keys("agent:test-agent-key-5f8c2a9e71d4,admin:sha256:" + "ab" * 32)
    assert [key.role for key in keys] == ["agent", "admin"]


def test_generated_keys_are_strong_enough(tmp_path: Path) -> None:
    created = generate_keys(tmp_path / "policycheck.keys")
    assert sorted(created) == sorted(ROLES)
    spec = ",".join(f"{role}:{key}" for role, key in created.items())
    assert [key.role for key in parse_keys(spec)] == list(created)


def test_serve_refuses_a_weak_key_with_a_clear_error(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    env = {**os.environ, "POLICYCHECK_API_KEYS": "agent:a"}
    run = subprocess.run(
        [str(POLICYCHECK), "serve", "--port", "1"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 2, run.stdout + run.stderr
    assert "`agent`" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "policycheck.keys.new").exists()
