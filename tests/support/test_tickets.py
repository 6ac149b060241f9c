"""Tickets against the stack: the flow with its Danish e-mails, every refusal, isolation
between tenants and from client data, attachments, the report and retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from functions.support.sla.retention import purge_old_tickets
from functions.support.tickets.models import TICKETS
from shared.gcp import firestore_client, storage_client
from shared.settings import get_settings
from tests.accounts import activate, add_professional, problem, provision
from tests.helpers import call, emails_to, wait_until
from tests.support.tickets_helpers import (
    API,
    desk,
    escalate,
    new_ticket,
    support_person,
    tenant_with_terms,
    terms_of,
)

pytestmark = pytest.mark.usefixtures("stack")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def org(owner: str) -> dict[str, Any]:
    return tenant_with_terms(owner, "skolero")


@pytest.fixture(scope="module")
def other(owner: str) -> dict[str, Any]:
    return tenant_with_terms(owner, "konfront")


@pytest.fixture(scope="module")
def worker() -> dict[str, Any]:
    return support_person()


def _mails(address: str, ticket_id: str) -> list[dict[str, Any]]:
    return [m for m in emails_to(address) if ticket_id in m["body"]]


def test_a_ticket_goes_from_new_to_closed_and_reporter_and_administrator_are_told_in_danish(
    org: dict[str, Any], worker: dict[str, Any]
) -> None:
    ticket = new_ticket(org["pro_token"], request_id="3f2c9a1e-77b0-4d4e-9d0a-5b1c2d3e4f50")
    [created] = wait_until(lambda: _mails(org["admin_email"], ticket["id"]))
    assert created["subject"] == "Supportsag: Kan ikke gemme forløb: sagen er oprettet"
    escalated = escalate(org["admin_token"], ticket["id"], "kritisk")
    assert escalated["level"] == "second"
    assert escalated["sla"]["due_at"] is None  # SkoleRo counts from confirmed receipt
    # support sees it in the one queue, with the request id of the problem body
    queue = call("GET", f"{API}/queue?status=new", worker["token"]).json()["tickets"]
    [mine] = [t for t in queue if t["id"] == ticket["id"]]
    assert mine["request_id"] == "3f2c9a1e-77b0-4d4e-9d0a-5b1c2d3e4f50"
    path = desk(org["slug"], ticket["id"])
    confirmed = call("POST", path + "/confirm", worker["token"]).json()
    assert confirmed["sla"]["due_at"] is not None
    steps = ["in_progress", "waiting_for_customer", "in_progress", "resolved"]
    assert (
        call(
            "POST", path + "/assign", worker["token"], json={"assignee_uid": worker["uid"]}
        ).json()["assignee_name"]
        == worker["name"]
    )
    for status in steps:
        reply = call("POST", path + "/status", worker["token"], json={"status": status})
        assert reply.status_code == 200, reply.text
    closed = call(
        "POST",
        f"{API}/tickets/{ticket['id']}/status",
        org["admin_token"],
        json={"status": "closed"},
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert len(closed.json()["pauses"]) == 1
    reporter = wait_until(
        lambda: [
            m for m in _mails(org["pro"]["email"], ticket["id"]) if "Status: lukket" in m["body"]
        ]
    )
    assert reporter[0]["subject"].startswith("Supportsag: Kan ikke gemme forløb")
    # the reporter got one e-mail per change made by others (escalation, confirm, assign,
    # 4 status changes, the close), the administrator none for their own close
    wait_until(lambda: len(_mails(org["pro"]["email"], ticket["id"])) == 8)
    admin = _mails(org["admin_email"], ticket["id"])
    assert not [m for m in admin if "Status: lukket" in m["body"]]


def test_invalid_transitions_are_refused_with_a_stable_code(
    org: dict[str, Any], worker: dict[str, Any]
) -> None:
    ticket = escalate(org["admin_token"], new_ticket(org["pro_token"])["id"], "betydelig")
    path = desk(org["slug"], ticket["id"])
    # in progress before anyone is named
    problem(
        call("POST", path + "/status", worker["token"], json={"status": "in_progress"}),
        409,
        "invalid_transition",
    )
    problem(
        call("POST", path + "/status", worker["token"], json={"status": "closed"}),
        409,
        "invalid_transition",
    )  # new -> closed is no transition
    call("POST", path + "/confirm", worker["token"])
    problem(call("POST", path + "/confirm", worker["token"]), 409, "invalid_transition")
    problem(
        call(
            "POST",
            f"{API}/tickets/{ticket['id']}/escalate",
            org["admin_token"],
            json={"priority": "kritisk", "steps_to_reproduce": "x", "consequence": "y"},
        ),
        409,
        "invalid_transition",
    )  # escalated already
    call("POST", path + "/assign", worker["token"], json={"assignee_uid": worker["uid"]})
    # the administrator cannot do the supplier's part
    problem(
        call(
            "POST",
            f"{API}/tickets/{ticket['id']}/status",
            org["admin_token"],
            json={"status": "in_progress"},
        ),
        403,
        "forbidden",
    )
    call("POST", path + "/status", worker["token"], json={"status": "resolved"})
    call("POST", path + "/status", worker["token"], json={"status": "closed"})
    for status in ("in_progress", "resolved", "new"):
        problem(
            call("POST", path + "/status", worker["token"], json={"status": status}),
            409,
            "invalid_transition",
        )
    problem(
        call("POST", path + "/comments", worker["token"], json={"text": "x"}),
        409,
        "invalid_transition",
    )
    problem(
        call("POST", path + "/assign", worker["token"], json={"assignee_uid": worker["uid"]}),
        409,
        "invalid_transition",
    )


def test_every_refusal_of_filing_and_escalating(
    owner: str, org: dict[str, Any], worker: dict[str, Any]
) -> None:
    bad_bodies = [
        {},
        {"title": "", "description": "x"},
        {"title": "x", "description": "x", "request_id": "not a request id!"},
        {"title": "x", "description": "x", "client_id": "abc"},
    ]
    for body in bad_bodies:
        problem(
            call("POST", f"{API}/tickets", org["pro_token"], json=body), 422, "validation_failed"
        )
    ticket = new_ticket(org["pro_token"])
    url = f"{API}/tickets/{ticket['id']}/escalate"
    good = {"priority": "kritisk", "steps_to_reproduce": "x", "consequence": "y"}
    problem(call("POST", url, org["pro_token"], json=good), 403, "forbidden")
    problem(
        call("POST", url, org["admin_token"], json={**good, "priority": "prio-3"}),
        422,
        "unknown_priority",
    )
    problem(
        call("POST", url, org["admin_token"], json={"priority": "kritisk"}),
        422,
        "validation_failed",
    )
    bare = tenant_with_terms(owner, None)
    plain = new_ticket(bare["pro_token"])
    problem(
        call("POST", f"{API}/tickets/{plain['id']}/escalate", bare["admin_token"], json=good),
        409,
        "no_support_terms",
    )
    problem(
        call("GET", f"{API}/tenant/sla-report?month=2026-11", bare["admin_token"]),
        409,
        "no_support_terms",
    )
    escalate(org["admin_token"], ticket["id"])
    path = desk(org["slug"], ticket["id"])
    problem(
        call("POST", path + "/assign", worker["token"], json={"assignee_uid": org["admin_uid"]}),
        422,
        "not_support_staff",
    )
    problem(
        call("PUT", f"{API}/desk/lead", owner, json={"lead_uid": org["admin_uid"]}),
        422,
        "not_support_staff",
    )
    problem(
        call("PUT", f"{API}/desk/lead", worker["token"], json={"lead_uid": worker["uid"]}),
        403,
        "forbidden",
    )
    problem(call("GET", f"{API}/queue", org["admin_token"]), 403, "forbidden")
    problem(call("GET", f"{API}/tickets", worker["token"]), 403, "forbidden")
    problem(
        call("GET", f"{API}/tenant/sla-report?month=2026-13", org["admin_token"]),
        422,
        "validation_failed",
    )
    caused = call(
        "POST",
        path + "/customer-caused",
        worker["token"],
        json={"billable_minutes": 90, "note": "Kundens import"},
    )
    assert caused.json()["sla"]["state"] == "excluded"
    problem(
        call(
            "POST",
            path + "/customer-caused",
            worker["token"],
            json={"billable_minutes": 90, "note": "igen"},
        ),
        409,
        "invalid_transition",
    )


def test_another_tenants_administrator_reaches_no_ticket_or_attachment(
    org: dict[str, Any], other: dict[str, Any]
) -> None:
    ticket = new_ticket(org["pro_token"])
    upload = call(
        "POST",
        f"{API}/tickets/{ticket['id']}/attachments",
        org["pro_token"],
        json={"filename": "skaerm.png", "content_type": "image/png", "size": len(PNG)},
    )
    assert upload.status_code == 201, upload.text
    attachment = upload.json()["attachment"]["id"]
    put = requests.put(
        upload.json()["upload_url"], data=PNG, headers=upload.json()["upload_headers"], timeout=10
    )
    assert put.status_code in (200, 201)
    done = call(
        "POST", f"{API}/tickets/{ticket['id']}/attachments/{attachment}/uploaded", org["pro_token"]
    )
    assert done.status_code == 200, done.text
    link = call("GET", f"{API}/tickets/{ticket['id']}/attachments/{attachment}", org["admin_token"])
    assert requests.get(link.json()["url"], timeout=10).content == PNG

    stranger = other["admin_token"]
    base = f"{API}/tickets/{ticket['id']}"
    attempts = [
        ("GET", base, None),
        (
            "POST",
            base + "/escalate",
            {"priority": "kritisk", "steps_to_reproduce": "x", "consequence": "y"},
        ),
        ("POST", base + "/status", {"status": "resolved"}),
        ("POST", base + "/comments", {"text": "hej"}),
        ("GET", base + "/comments", None),
        (
            "POST",
            base + "/attachments",
            {"filename": "a.txt", "content_type": "text/plain", "size": 3},
        ),
        ("POST", base + f"/attachments/{attachment}/uploaded", None),
        ("GET", base + f"/attachments/{attachment}", None),
    ]
    for method, path, body in attempts:
        problem(call(method, path, stranger, json=body), 404, "not_found")
    assert ticket["id"] not in {
        t["id"] for t in call("GET", f"{API}/tickets", stranger).json()["tickets"]
    }
    # a colleague who did not report it sees it neither; the administrator does
    problem(call("GET", base, other["pro_token"]), 404, "not_found")
    # support sees no first-level ticket: it is the tenant's own until escalated
    staff = support_person()
    problem(call("GET", desk(org["slug"], ticket["id"]), staff["token"]), 404, "not_found")


def test_a_professional_reaches_no_colleagues_ticket_and_the_administrator_sees_all(
    owner: str,
) -> None:
    created = provision(owner, seats=3, contract=terms_of("skolero"))
    admin = activate(created["admin_email"])
    reporter, colleague = (activate(add_professional(admin)["email"]) for _ in range(2))
    ticket = new_ticket(reporter)
    base = f"{API}/tickets/{ticket['id']}"
    for method, path, body in [
        ("GET", base, None),
        ("POST", base + "/comments", {"text": "hej"}),
        ("GET", base + "/comments", None),
        ("POST", base + "/status", {"status": "closed"}),
    ]:
        problem(call(method, path, colleague, json=body), 404, "not_found")
    listed = call("GET", f"{API}/tickets", colleague).json()["tickets"]
    assert ticket["id"] not in {t["id"] for t in listed}
    assert call("GET", base + "/comments", reporter).json()["comments"] == []
    assert ticket["id"] in {t["id"] for t in call("GET", f"{API}/tickets", admin).json()["tickets"]}
    assert call("GET", base, admin).status_code == 200


def test_support_staff_see_tickets_but_no_client_data(org: dict[str, Any]) -> None:
    staff = support_person()
    client = call(
        "POST",
        "/clients_api/clients",
        org["pro_token"],
        json={"name": "Ida Jensen", "consent": None},
    )
    client_id = client.json().get("id", "x") if client.status_code == 201 else "x"
    for method, path in [
        ("GET", "/clients_api/clients"),
        ("GET", f"/clients_api/clients/{client_id}"),
        ("GET", f"/clients_api/clients/{client_id}/log"),
        ("GET", f"/clients_api/clients/{client_id}/export"),
        ("DELETE", f"/clients_api/clients/{client_id}"),
    ]:
        reply = call(method, path, staff["token"])
        assert reply.status_code in (403, 404), (path, reply.text)
    assert call("GET", f"{API}/queue", staff["token"]).status_code == 200


def test_a_file_not_of_its_declared_type_is_deleted_and_refused(org: dict[str, Any]) -> None:
    ticket = new_ticket(org["pro_token"])
    upload = call(
        "POST",
        f"{API}/tickets/{ticket['id']}/attachments",
        org["pro_token"],
        json={"filename": "log.png", "content_type": "image/png", "size": 100},
    ).json()
    requests.put(
        upload["upload_url"],
        data=b"plain text, not a PNG",
        headers=upload["upload_headers"],
        timeout=10,
    )
    url = f"{API}/tickets/{ticket['id']}/attachments/{upload['attachment']['id']}"
    problem(call("POST", url + "/uploaded", org["pro_token"]), 422, "attachment_invalid")
    problem(call("POST", url + "/uploaded", org["pro_token"]), 422, "attachment_invalid")
    problem(call("GET", url, org["pro_token"]), 404, "not_found")  # never listed
    for bad in (
        {"filename": "a.exe", "content_type": "application/x-msdownload", "size": 5},
        {"filename": "a.png", "content_type": "image/png", "size": 11 * 1024 * 1024},
        {"filename": "../a.png", "content_type": "image/png", "size": 5},
    ):
        problem(
            call("POST", f"{API}/tickets/{ticket['id']}/attachments", org["pro_token"], json=bad),
            422,
            "validation_failed",
        )


def test_the_monthly_report_counts_per_priority_and_draws_a_chart(
    other: dict[str, Any], worker: dict[str, Any]
) -> None:
    ticket = escalate(other["admin_token"], new_ticket(other["pro_token"])["id"], "kritisk")
    path = desk(other["slug"], ticket["id"])
    call("POST", path + "/assign", worker["token"], json={"assignee_uid": worker["uid"]})
    call("POST", path + "/status", worker["token"], json={"status": "in_progress"})
    month = datetime.fromisoformat(ticket["received_at"]).strftime("%Y-%m")
    report = call("GET", f"{API}/tenant/sla-report?month={month}", other["admin_token"]).json()
    rows = {row["priority"]: row for row in report["priorities"]}
    assert rows["kritisk"]["met"] >= 1
    assert rows["kritisk"]["median_response_minutes"] is not None
    assert set(rows) == {"kritisk", "betydelig", "prio-2", "prio-3"}
    chart = call("GET", f"{API}/tenant/sla-report/chart?month={month}", other["admin_token"])
    assert chart.status_code == 200, chart.text
    assert b"<svg" in requests.get(chart.json()["url"], timeout=10).content


def test_tickets_and_attachments_are_deleted_six_months_after_the_last_contact(
    org: dict[str, Any],
) -> None:
    old, recent = new_ticket(org["pro_token"]), new_ticket(org["pro_token"])
    upload = call(
        "POST",
        f"{API}/tickets/{old['id']}/attachments",
        org["pro_token"],
        json={"filename": "a.txt", "content_type": "text/plain", "size": 5},
    ).json()
    requests.put(upload["upload_url"], data=b"hello", headers=upload["upload_headers"], timeout=10)
    call("POST", f"{API}/tickets/{old['id']}/comments", org["pro_token"], json={"text": "hej"})
    db = firestore_client()
    tickets = db.collection("tenants").document(org["slug"]).collection(TICKETS)
    later = datetime.now(UTC) + timedelta(days=183)
    tickets.document(recent["id"]).update({"last_contact_at": later - timedelta(days=170)})
    result = purge_old_tickets(db, later + timedelta(hours=1), lambda: later)
    assert result.finished
    assert not tickets.document(old["id"]).get().exists
    assert not list(tickets.document(old["id"]).collection("comments").list_documents())
    bucket = storage_client().bucket(get_settings().uploads_bucket)
    assert not list(bucket.list_blobs(prefix=f"{org['slug']}/tickets/{old['id']}/"))
    assert tickets.document(recent["id"]).get().exists
