"""Breach alerts against the stack: named Cloud Tasks, once each, e-mail and SMS (moto)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.support.sla.alerts import handle, task_id
from functions.support.tickets.models import SlaAlert
from shared.gcp import firestore_client, queue_path, tasks_client
from shared.observability import metrics
from tests.helpers import call, emails_to, sms_to, unique, wait_until
from tests.support.tickets_helpers import (
    desk,
    escalate,
    name_lead,
    new_ticket,
    support_person,
    tenant_with_terms,
)

pytestmark = pytest.mark.usefixtures("stack")


@pytest.fixture(scope="module")
def lead(owner: str) -> dict[str, Any]:
    phone = "+4521" + str(int(unique("x")[2:], 16) % 1_000_000).zfill(6)
    person = support_person(phone=phone)
    name_lead(owner, person["uid"])
    return {**person, "phone": phone}


def _alert(ticket: dict[str, Any], kind: str) -> SlaAlert:
    return SlaAlert(
        tenant_id=ticket["tenant_id"],
        ticket_id=ticket["id"],
        kind=kind,
        version=ticket["sla"]["version"],
    )


def _queued_task_names() -> set[str]:
    return {
        t.name.rsplit("/", 1)[1] for t in tasks_client().list_tasks(parent=queue_path("sla-alerts"))
    }


def _breach_mails(lead: dict[str, Any], ticket_id: str) -> list[dict[str, Any]]:
    return [m for m in emails_to(lead["email"]) if ticket_id in m["body"]]


def test_an_escalated_ticket_not_taken_by_its_due_time_is_breached_once(
    owner: str, lead: dict[str, Any]
) -> None:
    org = tenant_with_terms(owner)
    ticket = escalate(org["admin_token"], new_ticket(org["pro_token"])["id"])
    assert ticket["sla"]["state"] == "running"
    due = datetime.fromisoformat(ticket["sla"]["due_at"])
    # both tasks are scheduled, named by ticket, clock version and kind
    names = _queued_task_names()
    assert {task_id(_alert(ticket, "warning")), task_id(_alert(ticket, "breach"))} <= names

    # delivered early (e.g. by hand): nothing
    early = call("POST", "/sla_alert/", json=_alert(ticket, "breach").model_dump())
    assert early.status_code == 200, early.text
    assert early.json()["done"] == "not_due"
    # the Cloud Task delivered twice at its due time, and once late
    late = due + timedelta(minutes=1)
    db = firestore_client()
    assert handle(db, _alert(ticket, "breach"), late).done == "breached"
    assert handle(db, _alert(ticket, "breach"), late).done == "already_sent"
    assert handle(db, _alert(ticket, "breach"), late + timedelta(days=1)).done == "already_sent"

    [mail] = wait_until(lambda: _breach_mails(lead, ticket["id"]))
    assert mail["subject"].startswith("SLA brudt:")
    [text] = wait_until(lambda: [s for s in sms_to(lead["phone"]) if ticket["id"] in s["message"]])
    assert text["message"].startswith("Trivsel SLA brudt")
    stored = call("GET", desk(org["slug"], ticket["id"]), lead["token"]).json()
    assert stored["sla"]["state"] == "breached"
    assert stored["sla"]["breached_at"] == ticket["sla"]["due_at"]
    # nothing more arrives: the outbox holds exactly one e-mail and one SMS for it
    messages = db.collection("tenants").document(org["slug"]).collection("messages").get()
    kinds = sorted(m.get("request")["kind"] for m in messages if m.id.startswith("sla-"))
    assert kinds == ["sla_breach", "sla_breach_sms"]


def test_a_ticket_taken_in_time_gets_no_alert(owner: str, lead: dict[str, Any]) -> None:
    org = tenant_with_terms(owner)
    ticket = escalate(org["admin_token"], new_ticket(org["pro_token"])["id"])
    worker = support_person()
    path = desk(org["slug"], ticket["id"])
    assert (
        call(
            "POST", path + "/assign", worker["token"], json={"assignee_uid": worker["uid"]}
        ).status_code
        == 200
    )
    taken = call("POST", path + "/status", worker["token"], json={"status": "in_progress"})
    assert taken.status_code == 200, taken.text
    assert taken.json()["sla"]["state"] == "met"
    late = datetime.fromisoformat(ticket["sla"]["due_at"]) + timedelta(hours=1)
    db = firestore_client()
    assert handle(db, _alert(ticket, "warning"), late).done == "met"
    assert handle(db, _alert(ticket, "breach"), late).done == "met"
    messages = db.collection("tenants").document(org["slug"]).collection("messages").get()
    assert not [m for m in messages if m.id.startswith(f"sla-{ticket['id']}")]


def test_the_warning_at_75_percent_goes_to_the_assignee_once_and_counts_near_breach(
    owner: str, lead: dict[str, Any]
) -> None:
    org = tenant_with_terms(owner)
    ticket = escalate(org["admin_token"], new_ticket(org["pro_token"])["id"], "betydelig")
    worker = support_person()
    path = desk(org["slug"], ticket["id"])
    assigned = call("POST", path + "/assign", worker["token"], json={"assignee_uid": worker["uid"]})
    assert assigned.status_code == 200, assigned.text
    warn_at = datetime.fromisoformat(ticket["sla"]["warn_at"])
    db = firestore_client()
    assert handle(db, _alert(ticket, "warning"), warn_at - timedelta(seconds=1)).done == "not_due"
    assert handle(db, _alert(ticket, "warning"), warn_at).done == "warned"
    assert handle(db, _alert(ticket, "warning"), warn_at).done == "already_sent"
    [mail] = wait_until(
        lambda: [m for m in emails_to(worker["email"]) if ticket["id"] in m["body"]]
    )
    assert mail["subject"].startswith("SLA-varsel:")
    assert metrics.value(metrics.snapshot(), metrics.SLA_NEAR_BREACH, priority="betydelig") >= 1
    assert not _breach_mails(lead, ticket["id"])


def test_a_moved_clock_voids_the_old_tasks_and_a_suspended_tenant_is_outside_the_sla(
    owner: str, lead: dict[str, Any]
) -> None:
    org = tenant_with_terms(owner, "handsonsimply")
    ticket = escalate(org["admin_token"], new_ticket(org["pro_token"])["id"], "meget-kritisk")
    worker = support_person()
    path = desk(org["slug"], ticket["id"])
    call("POST", path + "/assign", worker["token"], json={"assignee_uid": worker["uid"]})
    call("POST", path + "/status", worker["token"], json={"status": "waiting_for_customer"})
    resumed = call("POST", path + "/status", worker["token"], json={"status": "in_progress"})
    assert resumed.json()["sla"]["version"] > ticket["sla"]["version"]  # the pause moved it
    due = datetime.fromisoformat(resumed.json()["sla"]["due_at"]) + timedelta(minutes=1)
    db = firestore_client()
    assert handle(db, _alert(ticket, "breach"), due).done == "stale"
    reply = call(
        "POST",
        f"/auth_api/tenants/{org['slug']}/suspend",
        owner,
        json={"reason": "security", "note": "Test"},
    )
    assert reply.status_code == 200, reply.text
    assert handle(db, _alert(resumed.json(), "breach"), due).done == "excluded"
