"""One error shape for every failure: {"code", "message", "errors": [...]}; never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

LOG = logging.getLogger("policycheck.api")


class ApiError(Exception):
    """An error to answer with: HTTP status, stable code, message, and the problems."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors or []
        self.headers = headers  # e.g. a 429's Retry-After


def invalid_body_error(items: Sequence[Mapping[str, Any]]) -> ApiError:
    """The 422 `invalid_body` error of validation errors (FastAPI's, located under `body`, or
    pydantic's): each as `{"field": "proposed.outcome", "message": ...}`."""
    problems = [
        {
            "field": ".".join(str(part) for part in item.get("loc", ()) if part != "body"),
            "message": str(item.get("msg", "invalid")),
        }
        for item in items
    ]
    return ApiError(422, "invalid_body", "the request body is not valid", problems)


class BodyTooLarge(StarletteHTTPException):
    """Raised while a body is received, past the limit (api.middleware.RequestIdAndLimit):
    answered 413 `body_too_large` by whoever reads the body (FastAPI lets an HTTPException
    through; api.deps.read_body turns it into the ApiError)."""

    def __init__(self, limit: int) -> None:
        self.error = body_too_large(limit)
        super().__init__(413, self.error.message)


def body_too_large(limit: int) -> ApiError:
    """The 413 `body_too_large` error of a body over `limit` bytes."""
    return ApiError(
        413,
        "body_too_large",
        f"the request body is larger than {limit} bytes",
        [{"field": "body", "message": f"at most {limit} bytes"}],
    )


def error_response(
    status: int,
    code: str,
    message: str,
    errors: list[dict[str, Any]] | None = None,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The JSON response of an error."""
    body: dict[str, Any] = {"code": code, "message": message, "errors": errors or []}
    if request_id:
        body["request_id"] = request_id
    headers = {**(headers or {}), **({"WWW-Authenticate": "Bearer"} if status == 401 else {})}
    if request_id:  # a 500 is answered outside the middleware that adds it to other responses
        headers["X-Request-ID"] = request_id
    return JSONResponse(body, status_code=status, headers=headers)


def api_error_response(error: ApiError) -> JSONResponse:
    """The JSON response of an ApiError."""
    return error_response(
        error.status, error.code, error.message, error.errors, headers=error.headers
    )


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the one error shape."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return api_error_response(error)

    @app.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, error: RequestValidationError) -> JSONResponse:
        return api_error_response(invalid_body_error(error.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if isinstance(error, BodyTooLarge):
            return api_error_response(error.error)
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        # a 405 keeps its `Allow` header (RFC 9110)
        return error_response(error.status_code, code, str(error.detail), headers=error.headers)

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", None)
        LOG.exception("internal error (request %s)", request_id)
        return error_response(
            500,
            "internal_error",
            f"internal error; quote request id {request_id}",
            request_id=request_id,
        )
