"""The OpenAPI document, made true to what the API answers: every error in the one error shape
(`ErrorOut`), the statuses each route gives, the bearer key as a security scheme, and the
bodies and query parameters that routes read themselves (the fast path, api.deps.read_body,
api.filters) documented as FastAPI would document them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from api.schemas import ErrorOut

ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
SECURITY_SCHEME = "bearer"
# what any route that checks a key may answer (api.deps.check_key)
KEY_ERRORS = {
    401: "`unauthenticated`: no API key, or an unknown one",
    403: "`forbidden`: the key's role may not do this",
    429: "too many failed keys from this client: wait for `Retry-After` seconds",
}
BODY_ERRORS = {
    413: "`body_too_large`",
    422: "`invalid_body`: not JSON, nested too deep, not text, or not the schema (every problem)",
}
QUERY_ERRORS = {422: "`invalid_query`: an unknown or bad query parameter (every problem)"}
# FastAPI's guess at a route's 422 ({"detail": [...]}), never this API's shape
_FASTAPI_422 = ("HTTPValidationError", "ValidationError")


def errors(
    more: Mapping[int, str] | None = None, *, key: bool = True, body: bool = False
) -> dict[int | str, dict[str, Any]]:
    """The error responses of a route, each in the one error shape: those of the key check
    (unless `key` is false), of reading a JSON body (`body`), and `more` (a 422 in `more` says
    what else the route validates)."""
    described = {**(KEY_ERRORS if key else {}), **(BODY_ERRORS if body else {})}
    for status, text in (more or {}).items():
        described[status] = f"{described[status]}; {text}" if status in described else text
    return {
        status: {"description": text, "content": ERROR_CONTENT}
        for status, text in sorted(described.items())
    }


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """The `openapi_extra` of a route that reads a `model` body itself, as FastAPI documents
    a `body: model` parameter (the schema is added by `install`)."""
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"content": {"application/json": {"schema": schema}}, "required": True}}


def install(app: FastAPI, *models: type[BaseModel]) -> None:
    """Make `app.openapi()` document the bodies routes read themselves (`models`), the error
    shape, and the bearer key of every route that answers 401."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _completed(generate(), (*models, ErrorOut))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _completed(spec: dict[str, Any], models: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    components = spec.setdefault("components", {})
    for path in spec.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses", {})
            if "422" in responses and _is_fastapi_422(responses["422"]):
                del responses["422"]
            if "401" in responses:
                operation["security"] = [{SECURITY_SCHEME: []}]
    schemas = {
        name: schema
        for name, schema in {**_schemas_of(models), **components.get("schemas", {})}.items()
        if name not in _FASTAPI_422
    }
    components["schemas"] = dict(sorted(schemas.items()))
    components["securitySchemes"] = {
        SECURITY_SCHEME: {"type": "http", "scheme": "bearer", "description": "an API key"}
    }
    return spec


def _is_fastapi_422(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def _schemas_of(models: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    """FastAPI's own schemas of `models`, taken from routes that declare them as body
    parameters and are never served."""
    shadow = APIRouter()
    for model in models:
        shadow.add_api_route(f"/{model.__name__}", _takes(model), methods=["POST"])
    schemas: dict[str, Any] = get_openapi(title="", version="", routes=shadow.routes)["components"][
        "schemas"
    ]
    return schemas


def _takes(model: type[BaseModel]) -> Callable[[BaseModel], None]:
    def endpoint(body: BaseModel) -> None:
        """Never served."""

    endpoint.__annotations__ = {"body": model, "return": None}
    return endpoint
