"""The decisions route both ways: served by api.fast_path, as in production, and by FastAPI
as a plain route (`create_app(fast_path=False)`). A test module runs its tests both ways with
a `fast_path` fixture parametrized by BOTH_WAYS and a `client` fixture from `app_client`.
EXAMPLES: the worked examples of the shipped rule files, as requests to decide."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_support import ROOT
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from policycheck import load_policy
from policycheck.evaluation.examples import example_facts, example_proposal

BOTH_WAYS = [pytest.param(True, id="fast"), pytest.param(False, id="plain")]
POLICIES = [load_policy(path) for path in sorted((ROOT / "rules").glob("*.policy"))]
EXAMPLES: list[dict[str, Any]] = [
    {"policy": policy.id, "facts": example_facts(example)}
    | ({"proposed": proposal} if (proposal := example_proposal(example)) else {})
    for policy in POLICIES
    for example in policy.examples
]


def app_client(settings: Settings, fast_path: bool) -> Iterator[TestClient]:
    """A client of the real app over `settings`' database, with or without the fast path."""
    app = create_app(settings, fast_path=fast_path)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
