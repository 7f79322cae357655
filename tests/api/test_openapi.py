"""The OpenAPI document is true: Schemathesis (`--checks all`, schemathesis.toml) drives the real
app in-process over a real SQLite file, with an admin and an agent key, bounded and derandomized
examples; every answer must be one the document gives."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from api_support import ROOT
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from api.app import create_app
from api.attempts import FailedAttempts
from api.settings import Settings
from policycheck.service.keys import parse_keys

# keys of their own (24+ characters, as policycheck.service.keys requires)
KEYS = {"admin": "openapi-admin-key-7c1e94b2a05f", "agent": "openapi-agent-key-3d8a6f0c92e1"}
CONFIG = SchemathesisConfig.from_path(str(ROOT / "schemathesis.toml"))


def _app_over_a_new_store() -> FastAPI:
    """The real app over the shipped rules and a new SQLite file (removed at exit, after the
    app's lifespan, which Schemathesis starts once and ends at exit)."""
    folder = Path(tempfile.mkdtemp(prefix="policycheck-openapi-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    shutil.copytree(ROOT / "rules", folder / "rules")
    spec = ",".join(f"{role}:{key}" for role, key in KEYS.items())
    return create_app(
        Settings(
            rules_dir=folder / "rules",
            db_url=f"sqlite:///{folder / 'policycheck.db'}",
            keys=tuple(parse_keys(spec)),
            refresh_seconds=0.0,
        )
    )


# (schemathesis.pytest.from_fixture does not run under pytest 9: the schema is loaded here)
APP = _app_over_a_new_store()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_answer_is_documented(case: schemathesis.Case) -> None:
    # each case from a clean slate of failed keys: the `ignored_auth` check sends wrong ones,
    # and past ten every answer would be 429 (documented, but nothing else would be tested)
    APP.state.policycheck.attempts = FailedAttempts()
    for key in KEYS.values():  # admin: every route; agent: the 403s too
        case.call_and_validate(headers={"Authorization": f"Bearer {key}"})


def test_the_document_names_the_bearer_key_and_one_error_shape() -> None:
    spec = schema.raw_schema
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    content = response["content"]["application/json"]["schema"]
                    assert content == {"$ref": "#/components/schemas/ErrorOut"}, (path, status)
            if path.startswith("/v1/"):
                assert operation["security"] == [{"bearer": []}], (method, path)
                assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)
    assert set(spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]) == {"text/plain"}
    listing = {p["name"] for p in spec["paths"]["/v1/exceptions"]["get"]["parameters"]}
    assert listing == {"policy", "clause", "agent", "reason", "status", "since", "until"} | {
        "limit",
        "cursor",
    }
