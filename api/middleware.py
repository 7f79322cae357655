"""ASGI middleware: a request id on every exchange, a limit on the size of bodies, and the
direct serving of the decisions route."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, api_error_response
from api.ids import new_request_id


class RequestIdAndLimit:
    """Give each request an id (X-Request-ID, kept if the client sent a sane one) and refuse
    bodies over `max_body_bytes` with the API's 422 error shape, before they are read whole."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if scope.get("method") == "POST" and b"json" not in headers.get(b"content-type", b""):
            # Every body of this API is JSON: `curl -d @request.json` (form-encoded by default)
            # and clients that send no content type are read as JSON too.
            scope["headers"] = [
                (name, value)
                for name, value in scope.get("headers") or []
                if name != b"content-type"
            ] + [(b"content-type", b"application/json")]
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if 0 < len(given) <= 64 and given.isprintable() else new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send, request_id)
            return
        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append(
                    (b"x-request-id", request_id.encode("latin-1"))
                )
            await send(message)

        await self.app(scope, limited_receive, send_with_id)

    async def _too_large(self, send: Send, request_id: str) -> None:
        body: dict[str, Any] = {
            "code": "body_too_large",
            "message": f"the request body is larger than {self.max_body_bytes} bytes",
            "errors": [{"field": "body", "message": f"at most {self.max_body_bytes} bytes"}],
        }
        payload = json.dumps(body).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"x-request-id", request_id.encode("latin-1")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


class DirectRoute:
    """Serve the requests of one route (an endpoint that takes the Request and returns a
    Response) straight from the middleware stack: past FastAPI's router, route handler and
    exception middleware, which cost more per request than the endpoint's own work. The route
    stays declared (OpenAPI documents it; FastAPI serves it if this is not installed). The
    scope gets what the router would give it (route, endpoint, path params), an ApiError is
    answered as the app's handler answers it, and any other exception goes up to the
    server-error handler, as from a routed endpoint."""

    def __init__(self, app: ASGIApp, route: APIRoute) -> None:
        self.app = app
        self.route = route
        self.endpoint: Callable[[Request], Awaitable[Response]] = route.endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.route.path:
            match, child_scope = self.route.matches(scope)
            if match is Match.FULL:
                scope.update(child_scope)
                try:
                    response = await self.endpoint(Request(scope, receive, send))
                except ApiError as error:
                    response = api_error_response(error)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
