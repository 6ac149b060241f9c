"""The group trend chart (issue 17): the SVG opens in headless Chromium, is not blank,
and carries the figures of the JSON trend."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
import zlib
from typing import Any

import pytest
import requests

from tests.accounts import activate, active_tenant, add_professional
from tests.browser import chromium
from tests.content import API, new_client
from tests.helpers import call, unique

pytestmark = pytest.mark.usefixtures("stack")
WB = f"{API}/wellbeing/groups"


def _distinct_bytes(png: bytes) -> int:
    """How many byte values the decompressed image data holds: a blank page has one or two."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    data, offset = b"", 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        if png[offset + 4 : offset + 8] == b"IDAT":
            data += png[offset + 8 : offset + 8 + length]
        offset += 12 + length
    return len(set(zlib.decompress(data)))


def test_the_trend_chart_renders_in_chromium_with_the_figures_of_the_json(owner: str) -> None:
    created: dict[str, Any] = active_tenant(owner)
    token = activate(add_professional(created["admin_token"])["email"])
    clients = [new_client(token, unique("Elev"))["id"] for _ in range(5)]
    group = call("POST", WB, token, json={"name": "6.c", "client_ids": clients}).json()
    for level in (4, 2):
        check = call("POST", f"{WB}/{group['id']}/checks", token, json={"questionnaire_id": "who5"})
        for client_id in clients:
            body = {"client_id": client_id, "answers": [level] * 5}
            url = f"{WB}/{group['id']}/checks/{check.json()['id']}/answers"
            assert call("POST", url, token, json=body).status_code == 201
        closed = call("POST", f"{WB}/{group['id']}/checks/{check.json()['id']}/close", token)
        assert closed.status_code == 200, closed.text
    trend = call("GET", f"{WB}/{group['id']}/trend", token).json()["trend"]
    assert [p["score"] for p in trend["points"]] == [80, 40]
    assert trend["falling"] is True
    assert trend["below_threshold"] is True

    link = call("GET", f"{WB}/{group['id']}/trend.svg", token).json()["url"]
    svg = requests.get(link, timeout=10)
    assert svg.status_code == 200
    root = ET.fromstring(svg.content)  # noqa: S314 (our own)
    values = [
        float(el.text or "nan")
        for el in root.iter("{http://www.w3.org/2000/svg}desc")
        if el.get("class") == "value"
    ]
    assert values == [p["score"] for p in trend["points"]]

    driver = chromium()
    try:
        driver.set_window_size(900, 500)
        driver.get(link)
        assert driver.execute_script("return document.documentElement.localName") == "svg"
        assert _distinct_bytes(driver.get_screenshot_as_png()) > 16
    finally:
        driver.quit()
