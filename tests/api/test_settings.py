"""api.settings: what the environment sets."""

from __future__ import annotations

import pytest

from api.settings import ENV_OPENTELEMETRY, Settings


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("", False), ("off", False), ("on", True), ("1", True), (" TRUE ", True)],
)
def test_fastapis_opentelemetry_is_off_unless_asked_for(
    value: str | None, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYCHECK_API_KEYS", "agent:test-agent-key-5f8c2a9e71d4")
    if value is None:
        monkeypatch.delenv(ENV_OPENTELEMETRY, raising=False)
    else:
        monkeypatch.setenv(ENV_OPENTELEMETRY, value)
    assert Settings.from_env().opentelemetry is expected
