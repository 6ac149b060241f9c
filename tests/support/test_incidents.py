"""Acute incidents against the stack: any user reports, the rota is paged at once by SMS and
e-mail (moto), every 15 minutes until acknowledged, the secondary from 30 minutes; named
Cloud Tasks, once each."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.support.incidents.models import SupportTask
from functions.support.incidents.paging import page, task_name
from shared.gcp import firestore_client, queue_path, tasks_client
from tests.accounts import problem
from tests.helpers import call, emails_to, sms_to, wait_until
from tests.support.incidents_helpers import API, on_call_rota, report
from tests.support.tickets_helpers import support_person, tenant_with_terms

pytestmark = pytest.mark.usefixtures("stack")


def _pages_to(person: dict[str, Any], incident_id: str, count: int) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]]:
        mails = [m for m in emails_to(person["email"]) if incident_id in m["body"]]
        return mails if len(mails) >= count else []

    return wait_until(found)


def _texts_to(person: dict[str, Any], incident_id: str) -> list[dict[str, Any]]:
    return [s for s in sms_to(person["phone"]) if incident_id in s["message"]]


def _outbox(tenant_id: str, incident_id: str) -> list[str]:
    messages = firestore_client().collection("tenants").document(tenant_id).collection("messages")
    return sorted(m.id for m in messages.get() if m.id.startswith(f"incident-{incident_id}-"))


def _step(incident_id: str, step: int) -> SupportTask:
    return SupportTask(kind="page", incident_id=incident_id, step=step)


def test_a_professional_s_incident_pages_repeats_escalates_and_stops_when_acknowledged(
    owner: str,
) -> None:
    rota = on_call_rota(owner)
    primary, secondary = rota["primary"], rota["secondary"]
    org = tenant_with_terms(owner)
    incident = report(org["pro_token"])  # a professional, not only an administrator
    assert incident["pages"] == [0]
    assert incident["paged"] == [primary["uid"]]
    [mail] = _pages_to(primary, incident["id"], 1)
    assert mail["subject"].startswith("AKUT: hacking hos")
    [text] = wait_until(lambda: _texts_to(primary, incident["id"]))
    assert text["message"].startswith("Trivsel AKUT: hacking")
    queued = {
        t.name.rsplit("/", 1)[1]
        for t in tasks_client().list_tasks(parent=queue_path("incident-tasks"))
    }
    assert task_name(incident["id"], 1) in queued

    reported = datetime.fromisoformat(incident["reported_at"])
    db = firestore_client()
    # early (by hand, through the internal function): nothing
    early = call("POST", "/incident_task/", json=_step(incident["id"], 1).model_dump())
    assert early.status_code == 200, early.text
    assert early.json()["done"] == "not_due"
    # the 15-minute repeat, delivered twice: sent once, to the primary only
    at15 = reported + timedelta(minutes=15)
    assert page(db, _step(incident["id"], 1), at15).done == "paged"
    assert page(db, _step(incident["id"], 1), at15).done == "already_sent"
    assert len(_pages_to(primary, incident["id"], 2)) == 2
    assert not [m for m in emails_to(secondary["email"]) if incident["id"] in m["body"]]
    # after 30 minutes the secondary is paged too
    assert page(db, _step(incident["id"], 2), reported + timedelta(minutes=30)).done == "paged"
    _pages_to(secondary, incident["id"], 1)
    wait_until(lambda: _texts_to(secondary, incident["id"]))
    before = _outbox(org["slug"], incident["id"])
    assert len(before) == 8  # 3 pages to the primary, 1 to the secondary; e-mail and SMS each

    acknowledged = call("POST", f"{API}/incidents/{incident['id']}/acknowledge", primary["token"])
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["acknowledged_by"] == primary["uid"]
    assert (
        page(db, _step(incident["id"], 3), reported + timedelta(minutes=45)).done == "acknowledged"
    )
    assert page(db, _step(incident["id"], 2), reported + timedelta(hours=2)).done == "acknowledged"
    assert _outbox(org["slug"], incident["id"]) == before


def test_an_administrator_reports_too_and_only_staff_see_or_acknowledge_incidents(
    owner: str,
) -> None:
    on_call_rota(owner)
    org = tenant_with_terms(owner)
    incident = report(org["admin_token"], "personal_data_breach")
    for token in (org["admin_token"], org["pro_token"]):
        problem(call("GET", f"{API}/incidents", token), 403, "forbidden")
        problem(
            call("POST", f"{API}/incidents/{incident['id']}/acknowledge", token), 403, "forbidden"
        )
    listed = call("GET", f"{API}/incidents", owner)
    assert incident["id"] in [i["id"] for i in listed.json()["incidents"]]


def test_a_report_without_a_kind_or_description_is_refused_and_writes_nothing(owner: str) -> None:
    org = tenant_with_terms(owner)
    before = len(firestore_client().collection("incidents").get())
    for body in ({"kind": "hacking"}, {"kind": "alien", "description": "x"}, {"description": "x"}):
        problem(
            call("POST", f"{API}/incidents", org["pro_token"], json=body), 422, "validation_failed"
        )
    assert len(firestore_client().collection("incidents").get()) == before


def test_the_rota_takes_only_reviewed_staff_with_a_phone_and_only_from_an_owner(owner: str) -> None:
    org = tenant_with_terms(owner)
    with_phone, without = support_person(phone="+4520000001"), support_person()
    body = {"primary_uid": with_phone["uid"], "secondary_uid": without["uid"]}
    problem(call("PUT", f"{API}/desk/rota", owner, json=body), 422, "not_on_call_staff")
    same = {"primary_uid": with_phone["uid"], "secondary_uid": with_phone["uid"]}
    problem(call("PUT", f"{API}/desk/rota", owner, json=same), 422, "not_on_call_staff")
    problem(call("PUT", f"{API}/desk/rota", with_phone["token"], json=body), 403, "forbidden")
    problem(call("PUT", f"{API}/desk/rota", org["admin_token"], json=body), 403, "forbidden")
