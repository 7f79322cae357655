"""The quality team's review page at /review: sign in with a key, filter and page through
exceptions, open one, the per-clause override chart and the friction report, export CSV.

Server-rendered HTML (Jinja2, autoescaped), no script and no asset from the network. The session
is a signed cookie (api.review_session); a page without a valid one redirects to the sign-in form.
Signing in and out is accepted only from this site's own pages (a cross-site form could otherwise
sign a browser in with someone else's key), failed sign-ins count against the client like failed
API keys (api.attempts), and signing out revokes the session for every process.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import SplitResult, parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from api import review_session
from api.attempts import client_of
from api.deps import StateDep
from api.errors import ApiError
from api.filters import decode_cursor, encode_cursor
from api.review_view import (
    PAGE_SIZE,
    clause_chart,
    facts_rows,
    read_filters,
    standing,
    templates,
)
from policycheck.review.exceptions import Status
from policycheck.review.log import ExceptionFilter
from policycheck.review.summary import csv_rows, summarize
from policycheck.service.keys import ApiKey, authenticate

router = APIRouter(prefix="/review", include_in_schema=False)
# No script runs and nothing is loaded from elsewhere; the page is never cached or framed.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
    # same-origin: a form posted from the page says where it comes from (Origin; with
    # no-referrer a browser sends `Origin: null`), and no link tells another site the page's URL
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def reviewer(request: Request, state: StateDep) -> ApiKey | None:
    """The quality or admin key of the session cookie, or None (also once signed out)."""
    token = request.cookies.get(review_session.COOKIE)
    key = review_session.verify(token, state.settings.keys, state.session_secret)
    if key is None or token is None or review_session.is_revoked(state.store, token):
        return None
    return key


ReviewerDep = Annotated[ApiKey | None, Depends(reviewer)]


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, key: ReviewerDep, next: str = "") -> Response:
    """The sign-in form (straight to the page when already signed in)."""
    if key is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _page(request, "sign_in.html", {"next": _safe_next(next), "error": None})


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, state: StateDep) -> Response:
    """Check the key of the form; a quality or admin key gets the session cookie. Refused from
    another site (403), and from a client with too many failed keys or sign-ins (429)."""
    # The body is read as a form whatever its content type says (the API's middleware labels
    # every POST body JSON); only `key` and `next` are read.
    form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=10)
    presented = (form.get("key") or [""])[0].strip()
    target = _safe_next((form.get("next") or [""])[0])
    if not from_this_site(request):
        return _cross_site(request, target)
    client = client_of(request.scope)
    try:
        state.attempts.check(client)
    except ApiError as refused:
        context = {"next": target, "error": refused.message}
        page = _page(request, "sign_in.html", context, status=refused.status)
        page.headers.update(refused.headers or {})
        return page
    key = authenticate(presented, list(state.settings.keys)) if presented else None
    if key is None:
        if presented:
            state.attempts.failed(client, "review sign-in")
        error = "Enter an API key." if not presented else "This API key is not known."
        context = {"next": target, "error": error}
        return _page(request, "sign_in.html", context, status=401)
    if key.role not in review_session.REVIEW_ROLES:
        context = {"next": target, "role": key.role}
        return _page(request, "forbidden.html", context, status=403)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        review_session.COOKIE,
        review_session.issue(key, state.session_secret),
        max_age=review_session.LIFETIME_SECONDS,
        path=review_session.COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/sign-out")
def sign_out(request: Request, state: StateDep) -> Response:
    """End the session: revoked in the store (a copy of the cookie no longer works, in any
    process), and the cookie cleared. Refused from another site (403)."""
    if not from_this_site(request):
        return _cross_site(request, "/review")
    token = request.cookies.get(review_session.COOKIE)
    if review_session.verify(token, state.settings.keys, state.session_secret) and token:
        review_session.revoke(state.store, token)
    response = RedirectResponse("/review/sign-in", status_code=303)
    response.delete_cookie(
        review_session.COOKIE, path=review_session.COOKIE_PATH, httponly=True, samesite="strict"
    )
    return response


@router.get("", response_class=HTMLResponse)
def review(request: Request, key: ReviewerDep, state: StateDep) -> Response:
    """Filters, summary cards, the override chart, the exceptions (paged), the friction report."""
    if key is None:
        return _to_sign_in(request)
    values, filters, problems = read_filters(request.query_params)
    before = decode_cursor(request.query_params.get("cursor", ""))
    items: list[dict[str, Any]] = []
    next_url = None
    if filters is None:
        filters = ExceptionFilter()  # the form shows the problems; the summary is unfiltered
    else:
        found = state.exceptions.find(filters, before_seq=before, limit=PAGE_SIZE + 1)
        items = [record.to_dict() for record in found[:PAGE_SIZE]]
        if len(found) > PAGE_SIZE:
            query = {**_set(values), "cursor": encode_cursor(found[PAGE_SIZE - 1].seq)}
            next_url = "/review?" + urlencode(query)
    # the summary counts every clause and agent: only the policy and the period narrow it
    summary = summarize(state.exceptions, filters, _today(), state.settings.reason_codes)
    context = {
        "reviewer": key,
        "values": values,
        "problems": problems,
        "items": items,
        "next_url": next_url,
        "first_url": ("/review?" + urlencode(_set(values))) if before is not None else None,
        "export_url": "/review/export.csv" + _query(values),
        "summary": summary,
        "chart": clause_chart(summary.get("clauses", [])),
        "reasons": state.settings.reason_codes,
        "statuses": [status.value for status in Status],
        "policies": sorted(p.id for p in state.registry.all()),
        "clauses": sorted(
            {
                c.decl.id
                for p in state.registry.all()
                for v in p.versions
                for c in v.compiled.clauses
            }
        ),
    }
    return _page(request, "index.html", context, status=422 if problems else 200)


@router.get("/exceptions/{exception_id}", response_class=HTMLResponse)
def exception(request: Request, exception_id: str, key: ReviewerDep, state: StateDep) -> Response:
    """One exception: justification, remedy, the decision snapshot and its explanation, history."""
    if key is None:
        return _to_sign_in(request)
    record = state.exceptions.get(exception_id) if _is_id(exception_id) else None
    if record is None:
        context = {"reviewer": key, "exception_id": exception_id}
        return _page(request, "not_found.html", context, status=404)
    item = record.to_dict()
    context = {
        "reviewer": key,
        "item": item,
        "standing": standing(item),
        "facts": facts_rows(item.get("snapshot", {}).get("facts") or {}),
        "reasons": state.settings.reason_codes,
    }
    return _page(request, "exception.html", context)


@router.get("/export.csv")
def export_csv(request: Request, key: ReviewerDep, state: StateDep) -> Response:
    """The filtered exceptions as CSV, streamed (the same rows as GET /v1/exceptions/export.csv)."""
    if key is None:
        return _to_sign_in(request)
    values, filters, _ = read_filters(request.query_params)
    if filters is None:
        return RedirectResponse("/review" + _query(values), status_code=303)
    rows: Iterator[str] = csv_rows(state.exceptions, filters)
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="exceptions.csv"',
            "Cache-Control": "no-store",
        },
    )


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(HEADERS)
    return response


def from_this_site(request: Request) -> bool:
    """True when a browser says the form was posted from this site: its `Origin` (else its
    `Referer`) names this host, and `Sec-Fetch-Site`, when sent, is not another site's. A
    request that says neither is refused: every browser sends `Origin` with a cross-site POST,
    and this page's own forms send it too (Referrer-Policy same-origin)."""
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return False
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed:
        return False
    try:
        origin = urlsplit(claimed)
        here = urlsplit("//" + request.headers.get("host", ""))
        return origin.scheme in ("http", "https") and _host_port(origin) == _host_port(
            here, origin.scheme
        )
    except ValueError:  # a malformed port or address
        return False


def _host_port(url: SplitResult, scheme: str | None = None) -> tuple[str | None, int | None]:
    default = {"http": 80, "https": 443}.get(scheme or url.scheme)
    return url.hostname, url.port or default


def _cross_site(request: Request, target: str) -> Response:
    context = {
        "next": target,
        "error": "Sign in from this site's own sign-in page: this form came from elsewhere.",
    }
    return _page(request, "sign_in.html", context, status=403)


def _to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse("/review/sign-in?" + urlencode({"next": target}), 303)
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe_next(target: str) -> str:
    """Only a path of the review page itself: never another site (`//host`, `/\\host`)."""
    ok = target.startswith("/review") and not target.startswith(("//", "/\\"))
    return target if ok and "\\" not in target and target.isprintable() else "/review"


def _set(values: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in values.items() if value}


def _query(values: dict[str, str]) -> str:
    given = _set(values)
    return "?" + urlencode(given) if given else ""


def _is_id(text: str) -> bool:
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)


def _today() -> date:
    return datetime.now(UTC).date()
