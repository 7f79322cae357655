"""ASGI middleware: a request id on every exchange and a limit on the size of bodies (the fast
path of the decisions route is api.fast_path)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BodyTooLarge, api_error_response, body_too_large
from api.ids import new_request_id


class RequestIdAndLimit:
    """Give each request an id (X-Request-ID, kept if the client sent a sane one) and refuse
    bodies over `max_body_bytes`, 413 `body_too_large`, before they are read whole: a declared
    Content-Length at once, a chunked body when the limit is passed (BodyTooLarge, raised to
    whoever reads it)."""

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
            await self._too_large(scope, receive, send, request_id)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:  # a chunked body, past the limit
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", []).append(
                    (b"x-request-id", request_id.encode("latin-1"))
                )
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except BodyTooLarge:
            if started:  # whoever read the body answered already: nothing more to say
                raise
            await self._too_large(scope, receive, send, request_id)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        response = api_error_response(body_too_large(self.max_body_bytes))
        response.headers["x-request-id"] = request_id
        await response(scope, receive, send)
