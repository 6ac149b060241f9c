"""The functions host's API reference: /docs/ and Swagger UI at /docs/<function>/.

Everything comes from the host itself (swagger-ui-dist from emulators/node_modules): a
browser opening a page loads nothing from another origin.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from openapi_spec_validator import validate
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.command import Command
from selenium.webdriver.support.ui import WebDriverWait

from infra.deployment import load
from tests.browser import chromium

pytestmark = pytest.mark.usefixtures("stack")

# The functions with an OpenAPI document: public HTTP APIs (infra/deployment.toml).
APIS = [f.name for f in load().functions if f.trigger == "http" and f.public and f.api]
OTHERS = [f.name for f in load().functions if f.name not in APIS]
JAVASCRIPT = {"text/javascript", "application/javascript"}
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def host() -> str:
    return os.environ["TRIVSEL_FUNCTIONS_URL"]


def get(path: str) -> requests.Response:
    return requests.get(urljoin(host(), path), timeout=10)


def media_type(reply: requests.Response) -> str:
    return reply.headers.get("Content-Type", "").split(";")[0].strip()


def same_origin(url: str) -> bool:
    here, there = urlsplit(host()), urlsplit(url)
    return (there.scheme, there.netloc) == (here.scheme, here.netloc)


class Page(HTMLParser):
    """What an HTML page refers to, and what it has inline."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []  # <link>
        self.scripts: list[str] = []  # <script src>
        self.references: list[str] = []  # every src and href
        self.inline: list[str] = []  # inline scripts, styles and event handlers
        self.attributes: dict[str, dict[str, str]] = {}  # by id
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.references += [values[name] for name in ("src", "href") if name in values]
        if "id" in values:
            self.attributes[values["id"]] = values
        self.inline += [f"{tag} {name}" for name in values if name == "style" or name[:2] == "on"]
        if tag == "link":
            self.links.append(values)
        elif tag == "style":
            self.inline.append("<style>")
        elif tag == "script":
            self._in_script = True
            if "src" in values:
                self.scripts.append(values["src"])
            else:
                self.inline.append("<script> without src")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(f"<script> {data.strip()[:40]}")


def page(path: str) -> tuple[requests.Response, Page]:
    reply = get(path)
    assert reply.status_code == 200, reply.text
    assert media_type(reply) == "text/html"
    parsed = Page()
    parsed.feed(reply.text)
    return reply, parsed


def assert_strict_policy(reply: requests.Response) -> None:
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in reply.headers["Content-Security-Policy"].split(";")
        if directive.strip()
    }
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert set(policy["img-src"]) <= {"'self'", "data:"}
    assert policy["frame-ancestors"] == ["'none'"]
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


def assert_same_origin_references(url: str, parsed: Page) -> None:
    assert parsed.references
    for reference in parsed.references:
        assert not reference.startswith(("http://", "https://", "//")), reference
        assert same_origin(urljoin(url, reference)), reference
    assert parsed.inline == []  # the policy would refuse them


def test_the_index_lists_every_api_function_and_nothing_else() -> None:
    reply, parsed = page("/docs/")
    assert_strict_policy(reply)
    assert_same_origin_references(reply.url, parsed)
    for name in APIS:
        assert f"/docs/{name}/" in parsed.references
        assert f"/{name}/openapi.json" in parsed.references
        assert name in reply.text
    for name in OTHERS:
        assert f"/docs/{name}/" not in parsed.references
    redirected = get("/docs")
    assert redirected.url == urljoin(host(), "/docs/")


@pytest.mark.parametrize("name", OTHERS)
def test_there_is_no_reference_for_a_function_without_a_document(name: str) -> None:
    assert get(f"/docs/{name}/").status_code == 404


@pytest.mark.parametrize("name", APIS)
def test_a_reference_page_loads_everything_from_the_functions_host(name: str) -> None:
    reply, parsed = page(f"/docs/{name}/")
    assert_strict_policy(reply)
    assert_same_origin_references(reply.url, parsed)
    assert name in reply.text

    assert len(parsed.scripts) >= 2  # Swagger UI and the page's initialiser
    for script in parsed.scripts:
        asset = get(urljoin(reply.url, script))
        assert asset.status_code == 200, script
        assert media_type(asset) in JAVASCRIPT, script
        assert asset.headers["X-Content-Type-Options"] == "nosniff"
    stylesheets = [link for link in parsed.links if link.get("rel") == "stylesheet"]
    icons = [link for link in parsed.links if link.get("rel") == "icon"]
    assert stylesheets
    assert icons
    for link in stylesheets + icons:
        asset = get(urljoin(reply.url, link["href"]))
        assert asset.status_code == 200, link
        expected = "text/css" if link in stylesheets else link["type"]
        assert media_type(asset) == expected, link

    ui = parsed.attributes["swagger-ui"]
    document = get(urljoin(reply.url, ui["data-document"]))
    assert document.url == urljoin(host(), f"/{name}/openapi.json")
    assert document.status_code == 200, document.text
    assert media_type(document) == "application/json"
    assert document.json()["openapi"].startswith("3.")
    assert document.json()["paths"]
    assert ui["data-server"] == f"/{name}/"


def test_assets_are_only_the_stylesheets_scripts_and_images() -> None:
    assert get("/docs/assets/swagger-ui/index.html").status_code == 404
    assert get("/docs/assets/swagger-ui/package.json").status_code == 404
    assert get("/docs/assets/swagger-ui/../../package.json").status_code == 404
    assert get("/docs/assets/swagger-ui/%2e%2e/%2e%2e/package.json").status_code == 404


@pytest.mark.parametrize("name", APIS)
def test_every_served_document_is_a_valid_openapi_document(name: str) -> None:
    reply = get(f"/{name}/openapi.json")
    assert reply.status_code == 200, reply.text
    validate(reply.json())


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    driver = chromium(console=True)
    try:
        yield driver
    finally:
        driver.quit()


def console(browser: webdriver.Chrome) -> list[dict[str, Any]]:
    """The console entries since the last call (a refused load or inline code shows there)."""
    return list(browser.execute(Command.GET_LOG, {"type": "browser"})["value"])


@pytest.mark.parametrize("name", APIS)
def test_swagger_ui_renders_the_document_in_a_browser_without_other_origins(
    name: str, browser: webdriver.Chrome
) -> None:
    console(browser)  # what earlier pages logged
    browser.get(urljoin(host(), f"/docs/{name}/"))
    WebDriverWait(browser, 20).until(
        lambda d: (
            d.find_elements(By.CSS_SELECTOR, "#swagger-ui .opblock")
            or d.find_elements(By.CSS_SELECTOR, "#swagger-ui .errors-wrapper")
        )
    )
    assert not browser.find_elements(By.CSS_SELECTOR, "#swagger-ui .errors-wrapper")
    # Every operation of the document, and nothing else, is on the page.
    document = get(f"/{name}/openapi.json").json()
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }
    shown = {
        (
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"),
        )
        for block in browser.find_elements(By.CSS_SELECTOR, "#swagger-ui .opblock")
    }
    assert shown == operations

    loaded: list[str] = browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)"
    )
    assert any(url.endswith(f"/{name}/openapi.json") for url in loaded)
    assert [url for url in loaded if not same_origin(url)] == []
    # "Try it out" calls the function (/<name>/...), not the host's root.
    servers: list[dict[str, Any]] = browser.execute_script(
        "return window.ui.specSelectors.specJson().get('servers').toJS()"
    )
    document_url = urljoin(host(), f"/{name}/openapi.json")
    assert urljoin(document_url, servers[0]["url"]).rstrip("/") == urljoin(host(), f"/{name}")
    problems = [entry for entry in console(browser) if entry["level"] != "INFO"]
    assert problems == []
