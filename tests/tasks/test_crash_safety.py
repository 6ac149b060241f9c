"""Kill tests of a remote-task fan-out (issue 19, item 4): after the retry each contact
person has one task, one e-mail record and one e-mail, whatever point the send died at."""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.gcp import firestore_client
from shared.tenancy import TenantData
from tests.accounts import active_tenant
from tests.content import CLIENT
from tests.crash import crash_at, expire_leases
from tests.helpers import call, emails_to, unique, wait_until

pytestmark = pytest.mark.usefixtures("stack")
API = "/remote_tasks_api"
CLIENTS = "/clients_api"
POINTS = [
    "http.after_claim",
    "sending.before_commit",
    "sending.after_commit",
    "sending.after_dispatch",
    "sending.after_reminder",
    "sending.after_mark_sent",
    "http.before_finish",
]


@pytest.fixture(scope="module")
def org(owner: str, catalogue: dict[str, str]) -> dict[str, Any]:
    created = active_tenant(owner, seats=3, focus_areas=[catalogue["area"]])
    return {**created, "data": TenantData(firestore_client(), created["slug"])}


@pytest.mark.parametrize("point", POINTS)
def test_a_fan_out_killed_at_any_point_gives_each_contact_one_task_and_one_mail_after_the_retry(
    org: dict[str, Any], catalogue: dict[str, str], point: str
) -> None:
    data, token = org["data"], org["admin_token"]
    emails = [f"{unique('far')}@example.dk", f"{unique('mor')}@example.dk"]
    contacts = [
        {"name": f"Forælder {n}", "relation": "forælder", "email": e} for n, e in enumerate(emails)
    ]
    body = {**CLIENT, "contacts": contacts, "profile": {"name": unique("Fan")}}
    client = call("POST", f"{CLIENTS}/clients", token, json=body).json()
    course = call(
        "POST",
        f"{CLIENTS}/clients/{client['id']}/courses",
        token,
        json={"course_id": catalogue["course"]},
    ).json()
    path = f"{API}/clients/{client['id']}/courses/{course['id']}/items/i0/remote-tasks"
    key = {"Idempotency-Key": unique("key")}
    tasks = data.collection("remote_tasks").where(
        filter=FieldFilter("client_id", "==", client["id"])
    )
    messages = data.collection("messages").where(
        filter=FieldFilter("client_id", "==", client["id"])
    )

    crash_at(point, "POST", path, token, json={}, headers=key)

    left = tasks.get()
    assert len(left) in (0, 2)  # one commit for this send: all its recipients or none
    assert len(messages.get()) == len(left)  # no task without its e-mail's record
    expire_leases()
    retried = call("POST", path, token, json={}, headers=key)
    assert retried.status_code == 201, retried.text
    stored = tasks.get()
    assert sorted(t.id for t in stored) == sorted(t["id"] for t in retried.json()["remote_tasks"])
    assert sorted(t.get("contact_email") for t in stored) == sorted(emails)
    records = messages.get()
    assert len(records) == 2
    wait_until(lambda: all(m.reference.get().get("state") == "sent" for m in records))
    for email in emails:  # each sent once: a sent message is never sent again
        assert len(emails_to(email)) == 1
    sent = [
        e
        for e in data.collection("events")
        .where(filter=FieldFilter("client_id", "==", client["id"]))
        .get()
        if e.get("action") == "remote_task.sent"
    ]
    assert len(sent) == 2
