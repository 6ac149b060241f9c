"""The status page against the stack: the page, the JSON and the feed from the same data,
the page in Chromium, incidents' e-mails to the affected administrators only, the
contracts' notice for maintenance, and every refusal of `status_admin`."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
import requests
from google.cloud.firestore_v1.base_query import FieldFilter
from selenium.webdriver.chrome.webdriver import WebDriver

from functions.support.status.models import INCIDENTS, MAINTENANCES
from shared.gcp import firestore_client
from shared.tenancy import TenantData
from tests.accounts import problem
from tests.browser import chromium
from tests.helpers import call, emails_to, functions_url, wait_until
from tests.support.status.helpers import (
    ADMIN,
    PAGE,
    maintenance_body,
    night,
    open_incident,
    post_update,
    text,
)
from tests.support.tickets_helpers import support_person, tenant_with_terms

pytestmark = pytest.mark.usefixtures("stack")
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def skolero(owner: str) -> dict[str, Any]:
    return tenant_with_terms(owner, "skolero")


@pytest.fixture(scope="module")
def konfront(owner: str) -> dict[str, Any]:
    return tenant_with_terms(owner, "konfront")


@pytest.fixture(scope="module")
def worker() -> dict[str, Any]:
    return support_person()


def _messages(slug: str, prefix: str) -> list[dict[str, Any]]:
    tenant = TenantData(firestore_client(), slug)
    return [
        s.to_dict() or {} for s in tenant.collection("messages").get() if s.id.startswith(prefix)
    ]


def _page(lang: str = "da", path: str = "") -> requests.Response:
    reply = requests.get(functions_url(f"{PAGE}{path}"), params={"lang": lang}, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply


# -- the same data three ways --------------------------------------------------------------


def test_the_page_the_json_and_the_feed_show_the_same_incident_and_maintenance(
    worker: dict[str, Any], konfront: dict[str, Any]
) -> None:
    incident = open_incident(worker["token"], [konfront["slug"]])
    post_update(worker["token"], incident["id"], "identified")
    updated = post_update(worker["token"], incident["id"], "monitoring")
    body = maintenance_body([konfront["slug"]], night(6))
    maintenance = call("POST", f"{ADMIN}/maintenances", worker["token"], json=body).json()
    title = incident["title"]["da"]
    messages = [u["message"]["da"] for u in updated["updates"]]
    assert len(messages) == 3

    summary = _page(path="api/v2/summary.json")
    assert summary.headers["Cache-Control"] == "public, max-age=30"
    data = summary.json()
    assert set(data) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    [shown] = [i for i in data["incidents"] if i["id"] == incident["id"]]
    assert shown["name"] == title
    assert shown["status"] == "monitoring"
    assert [u["body"] for u in shown["incident_updates"]] == messages[::-1]  # newest first
    [planned] = [m for m in data["scheduled_maintenances"] if m["id"] == maintenance["id"]]
    assert planned["status"] == "scheduled"
    assert planned["name"] == body["title"]["da"]
    sign_in = next(c for c in data["components"] if c["id"] == "sign_in")
    assert sign_in["status"] in {"partial_outage", "major_outage"}  # this incident, or worse
    assert data["status"]["indicator"] in {"major", "critical"}

    page = _page().text
    assert title in page
    assert body["title"]["da"] in page
    assert all(message in page for message in messages)
    assert f'id="incident-{incident["id"]}"' in page

    feed = ElementTree.fromstring(_page(path="history.atom").content)  # noqa: S314 (our own)
    assert feed.tag == f"{ATOM}feed"
    entries = {e.findtext(f"{ATOM}id"): e for e in feed.iter(f"{ATOM}entry")}
    for number, message in enumerate(messages, start=1):
        entry = entries[f"tag:trivsel.dk,2026:status/incidents/{incident['id']}/updates/{number}"]
        assert entry.findtext(f"{ATOM}content") == message
        assert (entry.findtext(f"{ATOM}title") or "").startswith(title)
    assert f"tag:trivsel.dk,2026:status/maintenances/{maintenance['id']}" in entries


def test_the_page_in_english_with_lang_en(worker: dict[str, Any], konfront: dict[str, Any]) -> None:
    incident = open_incident(worker["token"], [konfront["slug"]])
    page = _page("en").text
    assert '<html lang="en">' in page
    assert "Trivsel service status" in page
    assert incident["title"]["en"] in page
    data = _page("en", "api/v2/summary.json").json()
    assert next(c for c in data["components"] if c["id"] == "sign_in")["name"] == "Sign-in"
    assert '<html lang="da">' in _page().text


def test_the_page_answers_only_get_and_its_health_route() -> None:
    assert requests.post(functions_url(PAGE), timeout=30).status_code == 405
    assert requests.get(functions_url(f"{PAGE}nothing-here"), timeout=30).status_code == 404
    assert requests.get(functions_url(f"{PAGE}healthz"), timeout=30).json()["status"] == "ok"


# -- in Chromium ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    driver = chromium("--lang=da")
    try:
        yield driver
    finally:
        driver.quit()


def _distinct_bytes(png: bytes) -> int:
    """How many byte values the decompressed image data holds: a blank page has one or two."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    data, offset = b"", 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        if kind == b"IDAT":
            data += png[offset + 8 : offset + 8 + length]
        offset += 12 + length
    return len(set(zlib.decompress(data)))


@pytest.mark.parametrize("width", [420, 1280])
def test_the_page_in_chromium_at_phone_and_desktop_width(
    browser: WebDriver, worker: dict[str, Any], konfront: dict[str, Any], width: int
) -> None:
    incident = open_incident(worker["token"], [konfront["slug"]])
    browser.set_window_size(width, 900)
    # The page is cacheable for 30 s, so each width asks for its own URL.
    browser.get(functions_url(f"{PAGE}?lang=da&w={width}"))
    assert incident["title"]["da"] in browser.find_element("tag name", "body").text
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert _distinct_bytes(browser.get_screenshot_as_png()) > 16


# -- e-mails ---------------------------------------------------------------------------------


def test_the_affected_administrators_get_danish_mail_at_open_and_update_and_others_none(
    worker: dict[str, Any], skolero: dict[str, Any], konfront: dict[str, Any]
) -> None:
    incident = open_incident(worker["token"], [skolero["slug"]])
    title = incident["title"]["da"]
    opened = wait_until(
        lambda: [m for m in emails_to(skolero["admin_email"]) if title in m["subject"]]
    )
    assert opened[0]["subject"] == f"Driftsstatus: {title}: undersøges"
    assert "Forventet løst" in opened[0]["body"]
    assert functions_url(PAGE) in opened[0]["body"]
    post_update(worker["token"], incident["id"], "identified")

    def two() -> list[dict[str, Any]]:
        found = [m for m in emails_to(skolero["admin_email"]) if title in m["subject"]]
        return found if len(found) == 2 else []

    both = wait_until(two)
    assert {m["subject"] for m in both} == {
        f"Driftsstatus: {title}: undersøges",
        f"Driftsstatus: {title}: årsagen er fundet",
    }
    # The outbox records each message in the request: the other tenant has none.
    assert len(_messages(skolero["slug"], f"status-{incident['id']}-")) == 2
    assert _messages(konfront["slug"], f"status-{incident['id']}-") == []


def test_a_resolution_tells_the_cause_and_prevention_and_ends_the_expected_time(
    worker: dict[str, Any], skolero: dict[str, Any]
) -> None:
    incident = open_incident(worker["token"], [skolero["slug"]])
    resolved = post_update(
        worker["token"],
        incident["id"],
        "resolved",
        cause=text("En udløbet nøgle hos Firebase."),
        prevention=text("Nøgler fornyes nu automatisk 30 dage før udløb."),
    )
    assert resolved["resolved_at"] is not None
    assert resolved["expected_resolution_at"] is None
    mail = wait_until(
        lambda: [
            m
            for m in emails_to(skolero["admin_email"])
            if "løst" in m["subject"] and incident["title"]["da"] in m["subject"]
        ]
    )
    assert "En udløbet nøgle hos Firebase." in mail[0]["body"]
    page = _page().text
    assert "Nøgler fornyes nu automatisk 30 dage før udløb." in page


# -- refusals of incidents ---------------------------------------------------------------------


def test_a_resolved_incident_takes_no_update(
    worker: dict[str, Any], skolero: dict[str, Any]
) -> None:
    incident = open_incident(worker["token"], [skolero["slug"]])
    post_update(
        worker["token"],
        incident["id"],
        "resolved",
        cause=text("Årsag"),
        prevention=text("Forebyggelse"),
    )
    body = {"status": "monitoring", "message": text("igen")}
    reply = call("POST", f"{ADMIN}/incidents/{incident['id']}/updates", worker["token"], json=body)
    problem(reply, 409, "invalid_transition")


def test_an_incident_cannot_go_back_from_identified_to_investigating(
    worker: dict[str, Any], skolero: dict[str, Any]
) -> None:
    incident = open_incident(worker["token"], [skolero["slug"]])
    post_update(worker["token"], incident["id"], "identified")
    body = {"status": "investigating", "message": text("tilbage")}
    reply = call("POST", f"{ADMIN}/incidents/{incident['id']}/updates", worker["token"], json=body)
    problem(reply, 409, "invalid_transition")


def test_a_resolution_without_cause_and_prevention_is_refused(
    worker: dict[str, Any], skolero: dict[str, Any]
) -> None:
    incident = open_incident(worker["token"], [skolero["slug"]])
    body = {"status": "resolved", "message": text("løst")}
    reply = call("POST", f"{ADMIN}/incidents/{incident['id']}/updates", worker["token"], json=body)
    problem(reply, 422, "validation_failed")


def test_an_update_of_an_unknown_incident_is_404(worker: dict[str, Any]) -> None:
    body = {"status": "identified", "message": text("x")}
    reply = call("POST", f"{ADMIN}/incidents/no-such-incident/updates", worker["token"], json=body)
    problem(reply, 404, "not_found")


def test_an_incident_for_an_unknown_tenant_is_refused_and_nothing_stored(
    worker: dict[str, Any],
) -> None:
    reply = call(
        "POST",
        f"{ADMIN}/incidents",
        worker["token"],
        json={
            "title": text("Findes ikke"),
            "message": text("x"),
            "components": {"sign_in": "major_outage"},
            "tenants": ["no-such-tenant"],
            "expected_resolution_at": night(1).isoformat(),
        },
    )
    problem(reply, 422, "unknown_tenant")
    stored = (
        firestore_client()
        .collection(INCIDENTS)
        .where(filter=FieldFilter("title.da", "==", "Findes ikke"))
        .get()
    )
    assert stored == []


def test_only_support_staff_and_owners_manage_the_page(
    owner: str, worker: dict[str, Any], skolero: dict[str, Any]
) -> None:
    for token in (skolero["admin_token"], skolero["pro_token"]):
        reply = call("POST", f"{ADMIN}/incidents", token, json={})
        problem(reply, 403, "forbidden")
    problem(call("GET", f"{ADMIN}/incidents"), 401, "unauthenticated")
    assert call("GET", f"{ADMIN}/incidents", owner).status_code == 200
    reply = call("PUT", f"{ADMIN}/components/backup", owner, json={"state": "operational"})
    assert reply.status_code == 200, reply.text
    problem(
        call("PUT", f"{ADMIN}/components/nope", owner, json={"state": "operational"}),
        404,
        "not_found",
    )


# -- maintenance and the contracts' notice ----------------------------------------------------


def _stored_maintenance(title: str) -> list[Any]:
    found = (
        firestore_client()
        .collection(MAINTENANCES)
        .where(filter=FieldFilter("title.da", "==", title))
        .get()
    )
    return list(found)


def test_skolero_four_days_ahead_is_notice_too_short_and_nothing_is_stored(
    worker: dict[str, Any], skolero: dict[str, Any]
) -> None:
    body = maintenance_body([skolero["slug"]], night(4))  # inside its window, but 4 days
    reply = call("POST", f"{ADMIN}/maintenances", worker["token"], json=body)
    problem(reply, 422, "notice_too_short")
    assert _stored_maintenance(body["title"]["da"]) == []
    assert body["title"]["da"] not in _page().text


def test_konfront_inside_its_window_needs_no_notice_and_outside_it_five_days(
    worker: dict[str, Any], konfront: dict[str, Any]
) -> None:
    inside = maintenance_body([konfront["slug"]], night(1, hour=0), hours=2)  # 00:00-02:00
    reply = call("POST", f"{ADMIN}/maintenances", worker["token"], json=inside)
    assert reply.status_code == 201, reply.text
    outside = maintenance_body([konfront["slug"]], night(3, hour=10))
    problem(
        call("POST", f"{ADMIN}/maintenances", worker["token"], json=outside),
        422,
        "notice_too_short",
    )
    assert _stored_maintenance(outside["title"]["da"]) == []
    enough = maintenance_body([konfront["slug"]], night(6, hour=10))
    assert call("POST", f"{ADMIN}/maintenances", worker["token"], json=enough).status_code == 201


def test_announced_maintenance_mails_the_affected_tenants_in_danish(
    worker: dict[str, Any], konfront: dict[str, Any], skolero: dict[str, Any]
) -> None:
    body = maintenance_body([konfront["slug"]], night(7, hour=1))
    created = call("POST", f"{ADMIN}/maintenances", worker["token"], json=body).json()
    title = body["title"]["da"]
    mail = wait_until(
        lambda: [m for m in emails_to(konfront["admin_email"]) if title in m["subject"]]
    )
    assert mail[0]["subject"] == f"Planlagt vedligeholdelse af Trivsel: {title}"
    assert _messages(skolero["slug"], f"status-{created['id']}-") == []


def test_an_emergency_breaks_the_notice_with_its_reason_and_is_audited(
    worker: dict[str, Any], skolero: dict[str, Any]
) -> None:
    reason = "Kritisk sikkerhedsrettelse af log ind kan ikke vente fem dage."
    body = maintenance_body([skolero["slug"]], night(1, hour=1), emergency={"reason": reason})
    reply = call("POST", f"{ADMIN}/maintenances", worker["token"], json=body)
    assert reply.status_code == 201, reply.text
    created = reply.json()
    assert created["emergency_reason"] == reason
    tenant = TenantData(firestore_client(), skolero["slug"])
    event = tenant.document("events", f"maintenance-{created['id']}").get().to_dict() or {}
    assert event["action"] == "status.emergency_maintenance"
    assert event["actor"] == worker["uid"]
    assert event["details"]["reason"] == reason
    mail = wait_until(
        lambda: [
            m for m in emails_to(skolero["admin_email"]) if body["title"]["da"] in m["subject"]
        ]
    )
    assert reason in mail[0]["body"]


def test_an_emergency_without_a_reason_is_refused(
    worker: dict[str, Any], skolero: dict[str, Any]
) -> None:
    body = maintenance_body([skolero["slug"]], night(1), emergency={"reason": ""})
    problem(
        call("POST", f"{ADMIN}/maintenances", worker["token"], json=body), 422, "validation_failed"
    )
    assert _stored_maintenance(body["title"]["da"]) == []


def test_maintenance_is_cancelled_only_before_it_starts(
    worker: dict[str, Any], konfront: dict[str, Any]
) -> None:
    body = maintenance_body([konfront["slug"]], night(8, hour=1))
    created = call("POST", f"{ADMIN}/maintenances", worker["token"], json=body).json()
    path = f"{ADMIN}/maintenances/{created['id']}/cancel"
    assert call("POST", path, worker["token"]).json()["cancelled_at"] is not None
    problem(call("POST", path, worker["token"]), 409, "maintenance_started")
    assert body["title"]["da"] not in _page().text
    problem(call("POST", f"{ADMIN}/maintenances/nothing/cancel", worker["token"]), 404, "not_found")


def test_maintenance_ending_before_it_starts_is_refused(
    worker: dict[str, Any], konfront: dict[str, Any]
) -> None:
    body = maintenance_body([konfront["slug"]], night(9), hours=-1)
    problem(
        call("POST", f"{ADMIN}/maintenances", worker["token"], json=body), 422, "validation_failed"
    )
