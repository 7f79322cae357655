"""/docs and /redoc name no other host: every script, style sheet, icon and document they load is
served by the app itself (api.docs_pages), with its content type. The pages in a browser with
the network cut: tests/browser/test_docs_pages.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings

CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".json": ("application/json",),
}


class References(HTMLParser):
    """The URLs a page loads: `src` and `href` of its elements, ReDoc's `spec-url`, and the
    OpenAPI document Swagger UI's inline script names (`url: '...'`)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        self.urls += [v for k, v in attrs if k in {"src", "href", "spec-url"} and v]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.urls += re.findall(r"""\burl:\s*['"]([^'"]+)['"]""", data)


@pytest.fixture
def client(rules: Path, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(rules_dir=rules, db_url=f"sqlite:///{tmp_path / 'docs.db'}", keys=())
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def references(client: TestClient, page: str) -> list[str]:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert re.findall(r"https?://[^\s'\"<>]*", response.text) == [], "a page names another host"
    parser = References()
    parser.feed(response.text)
    return parser.urls


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png", "openapi.json"}),
        ("/redoc", {"redoc.standalone.js", "favicon.png", "openapi.json"}),
    ],
)
def test_a_docs_page_loads_only_files_the_app_serves(
    client: TestClient, page: str, expected: set[str]
) -> None:
    urls = references(client, page)
    assert {url.rsplit("/", 1)[-1] for url in urls} == expected
    for url in urls:
        assert url.startswith("/"), url
        response = client.get(url)
        assert response.status_code == 200, url
        suffix = Path(url).suffix
        assert response.headers["content-type"].startswith(CONTENT_TYPES[suffix]), url
        assert len(response.content) > 1000 or suffix == ".json", url  # the file, not a stub


def test_the_docs_pages_are_not_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert [path for path in paths if path.startswith(("/docs", "/redoc"))] == []


def test_an_unknown_asset_is_a_404_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/docs-assets/nothing.js")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
