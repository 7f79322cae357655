"""The fast path of POST /v1/decisions: the one place where the API steps around FastAPI.

What it bypasses, for this one route: Starlette's router and FastAPI's request handler, that
is the dependency injection (the key is checked by `api.deps.check_key`, the state read from
`app.state`), FastAPI's reading of the body (the same `api.deps.read_body` the plain route's
dependency calls validates `DecisionIn` straight from the bytes), the exception middleware
(an `ApiError` is answered here, as the app's handler answers it), and the response model's
validation and serialisation (the library's dict, `Decision.to_dict()`, is encoded by orjson;
`api.schemas.DecisionOut` only documents it).

Why: skipping them saves about a quarter to a third of the app's CPU per decision
(`benchmarks/fast_path.py`, both ways interleaved in one run: 408 against 552 µs at the
minimum, a ratio of 0.72 to 0.75 per round, on a quiet machine; 0.63 to 0.69 on a busy one).

What it keeps: the middleware outside it (request id, body limit, metrics), the declared route
(`api.routes.decisions.decide`: OpenAPI documents it, and an app made with `fast_path=False`
serves it), and the answers, byte for byte, status and error codes in the same order
(tests/api run the decision tests both ways and compare them).
"""

from __future__ import annotations

import orjson
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import DECIDE_ROLES, AppState, check_key, read_body
from api.errors import ApiError, api_error_response
from api.routes.decisions import decide_and_log, decide_route, unknown_query
from api.schemas import DecisionIn


def install(app: FastAPI) -> None:
    """Serve POST /v1/decisions by the fast path. Call it before adding any other middleware:
    it must be the innermost, inside the request id, the body limit and the metrics."""
    app.add_middleware(FastDecisions, route=decide_route())


async def decide(request: Request) -> Response:
    """What `api.routes.decisions.decide` answers, without FastAPI: the key first (401, 403,
    429: nothing is read without one), then the body (413, 422 `invalid_body`), then the query
    (422 `invalid_query`), then the decision (404, 422 `invalid_facts`)."""
    key = check_key(request, DECIDE_ROLES)
    body = await read_body(request, DecisionIn)
    if request.scope["query_string"] and request.query_params:
        raise unknown_query(request)
    state: AppState = request.app.state.policycheck
    out = await decide_and_log(state, body, key.key_id)
    return Response(orjson.dumps(out), media_type="application/json")


class FastDecisions:
    """ASGI middleware answering the requests `route` matches in full (POST /v1/decisions)
    with `decide`; every other request goes on to the app. The scope gets what the router
    would give it (route, endpoint, path params: the metrics name the route), an ApiError is
    answered as the app's handler answers it, and any other exception goes up to the
    server-error handler, as from a routed endpoint."""

    def __init__(self, app: ASGIApp, route: APIRoute) -> None:
        self.app = app
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.route.path:
            match, child_scope = self.route.matches(scope)
            if match is Match.FULL:
                scope.update(child_scope)
                try:
                    response = await decide(Request(scope, receive, send))
                except ApiError as error:
                    response = api_error_response(error)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
