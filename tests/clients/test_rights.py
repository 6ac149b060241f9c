"""Data-subject rights: the request register and restriction of processing (GDPR Art. 18)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from functions.tasks.models import Reminder, TaskVersion
from functions.tasks.reminders import remind
from shared.gcp import firestore_client
from shared.tenancy import TenantData
from tests.accounts import activate, active_tenant, add_professional, problem
from tests.content import new_client
from tests.helpers import call, unique
from tests.tasks.test_remote_tasks import link_for

pytestmark = pytest.mark.usefixtures("stack")
API = "/clients_api"
TASKS = "/remote_tasks_api"
REFLECTION = {"answers": {"answers": {"hvad": "Fremlæggelser", "hjaelp": "Trække vejret"}}}


@pytest.fixture(scope="module")
def ctx(owner: str, catalogue: dict[str, str]) -> dict[str, Any]:
    """A tenant with a client on a course, one remote task sent to their contact person."""
    created = active_tenant(owner, seats=3, focus_areas=[catalogue["area"]])
    pro = activate(add_professional(created["admin_token"])["email"])
    client = new_client(pro, "Ida Jensen", email=f"{unique('mor')}@example.dk")
    path = f"/clients/{client['id']}"
    course = call("POST", f"{API}{path}/courses", pro, json={"course_id": catalogue["course"]})
    item = f"{path}/courses/{course.json()['id']}/items"
    sent = call("POST", f"{TASKS}{item}/i0/remote-tasks", pro, json={})
    assert sent.status_code == 201, sent.text
    return {
        **created,
        "pro_token": pro,
        "client": client,
        "path": path,
        "item": item,
        "task": sent.json()["remote_tasks"][0],
        "data": TenantData(firestore_client(), created["slug"]),
    }


def _restrict(ctx: dict[str, Any]) -> dict[str, Any]:
    reply = call("POST", f"{API}{ctx['path']}/restriction", ctx["admin_token"], json={})
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def _lift(ctx: dict[str, Any]) -> None:
    reply = call("DELETE", f"{API}{ctx['path']}/restriction", ctx["admin_token"])
    assert reply.status_code == 200, reply.text
    assert reply.json()["restriction"] is None


# (method, path under the client or item, body, who): every route that changes the
# client or acts on their data.
REFUSED = {
    "edit": ("PATCH", "{path}", {"consent": None}, "pro_token"),
    "pseudonymise": ("POST", "{path}/pseudonymise", None, "pro_token"),
    "reverse_pseudonym": ("POST", "{path}/reverse-pseudonym", None, "admin_token"),
    "file": (
        "POST",
        "{path}/files",
        {"name": "a.pdf", "content_type": "application/pdf", "size": 10},
        "pro_token",
    ),
    "course": ("POST", "{path}/courses", {"course_id": "{course}"}, "pro_token"),
    "replace": ("PUT", "{item}/i1", {"exercise_id": "{memory}"}, "pro_token"),
    "remove": ("DELETE", "{item}/i1", None, "pro_token"),
    "perform": ("POST", "{item}/i0/perform", REFLECTION, "pro_token"),
    "schedule": ("PUT", "{item}/i1/schedule", {"date": "2030-01-02"}, "pro_token"),
    "mark_sent": ("POST", "{item}/i1/mark-sent", None, "pro_token"),
    # Restricted data is kept (Art. 18): an erasure waits until the restriction is lifted.
    "erase": ("DELETE", "{path}", None, "pro_token"),
}


def _fill(value: Any, ctx: dict[str, Any], catalogue: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(
            path=ctx["path"],
            item=ctx["item"],
            course=catalogue["course"],
            memory=catalogue["memory"],
        )
    if isinstance(value, dict):
        return {k: _fill(v, ctx, catalogue) for k, v in value.items()}
    return value


@pytest.mark.parametrize("route", sorted(REFUSED))
def test_a_restricted_client_refuses_every_change_until_lifted(
    ctx: dict[str, Any], catalogue: dict[str, str], route: str
) -> None:
    method, path, body, who = REFUSED[route]
    _restrict(ctx)
    try:
        kwargs = {"json": _fill(body, ctx, catalogue)} if body is not None else {}
        reply = call(method, API + _fill(path, ctx, catalogue), ctx[who], **kwargs)
        problem(reply, 409, "client_restricted")
    finally:
        _lift(ctx)


def test_a_restricted_client_refuses_a_remote_task_and_lifting_allows_it(
    ctx: dict[str, Any],
) -> None:
    restricted = _restrict(ctx)
    assert restricted["restriction"]["by"] == ctx["admin_uid"]
    send = f"{TASKS}{ctx['item']}/i0/remote-tasks"
    resend = f"{TASKS}/remote-tasks/{ctx['task']['id']}/resend"
    try:
        problem(call("POST", send, ctx["pro_token"], json={}), 409, "client_restricted")
        problem(call("POST", resend, ctx["pro_token"]), 409, "client_restricted")
    finally:
        _lift(ctx)
    assert call("POST", send, ctx["pro_token"], json={}).status_code == 201
    assert call("POST", resend, ctx["pro_token"]).status_code == 200


def test_a_restricted_clients_data_stays_readable_and_exportable(ctx: dict[str, Any]) -> None:
    _restrict(ctx)
    try:
        got = call("GET", f"{API}{ctx['path']}", ctx["pro_token"])
        assert got.status_code == 200
        assert got.json()["restriction"] is not None
        assert got.json()["profile"]["name"] == "Ida Jensen"
        export = call("GET", f"{API}{ctx['path']}/export", ctx["admin_token"])
        assert export.status_code == 200
        assert export.json()["records"]["remote_tasks"]
        assert call("GET", f"{API}{ctx['path']}/log", ctx["pro_token"]).status_code == 200
    finally:
        _lift(ctx)


def test_a_restricted_clients_contact_persons_get_no_reminder_until_lifted(
    ctx: dict[str, Any],
) -> None:
    # A task of its own, so the reminder's state is this test's alone.
    sent = call("POST", f"{TASKS}{ctx['item']}/i0/remote-tasks", ctx["pro_token"], json={})
    task = sent.json()["remote_tasks"][0]
    reminder = Reminder(tenant_id=ctx["slug"], tasks=[TaskVersion(task_id=task["id"], version=1)])
    _restrict(ctx)
    try:
        assert remind(reminder) == 0
    finally:
        _lift(ctx)
    assert remind(reminder) == 1


def test_a_link_sent_before_a_restriction_neither_opens_nor_takes_an_answer_until_lifted(
    ctx: dict[str, Any], catalogue: dict[str, str]
) -> None:
    # A client of its own, so its contact person's mailbox holds this test's link only.
    email = f"{unique('far')}@example.dk"
    client = new_client(ctx["pro_token"], "Emil Hansen", email=email)
    path = f"/clients/{client['id']}"
    course = call(
        "POST", f"{API}{path}/courses", ctx["pro_token"], json={"course_id": catalogue["course"]}
    ).json()
    item = f"{path}/courses/{course['id']}/items/i0/remote-tasks"
    sent = call("POST", TASKS + item, ctx["pro_token"], json={})
    task_id = sent.json()["remote_tasks"][0]["id"]
    link = link_for(email)
    restricted = call("POST", f"{API}{path}/restriction", ctx["admin_token"], json={})
    assert restricted.status_code == 200, restricted.text
    shown = requests.get(link, timeout=10)
    assert (shown.status_code, "kan ikke åbnes lige nu" in shown.text) == (403, True)
    given = requests.post(link, data={"a_hvad": "Noget", "a_hjaelp": "Ro"}, timeout=10)
    assert given.status_code == 403
    task = ctx["data"].document("remote_tasks", task_id).get().to_dict()
    assert (task["status"], task.get("answer")) == ("sent", None)

    assert call("DELETE", f"{API}{path}/restriction", ctx["admin_token"]).status_code == 200
    assert requests.get(link, timeout=10).status_code == 200


def test_lifting_an_unrestricted_client_is_refused(ctx: dict[str, Any]) -> None:
    reply = call("DELETE", f"{API}{ctx['path']}/restriction", ctx["admin_token"])
    problem(reply, 409, "invalid_transition")


def test_only_the_administrator_restricts(ctx: dict[str, Any]) -> None:
    reply = call("POST", f"{API}{ctx['path']}/restriction", ctx["pro_token"], json={})
    assert reply.status_code == 403


# -- the register ---------------------------------------------------------------------------


def _register(ctx: dict[str, Any], received: date, kind: str = "access") -> dict[str, Any]:
    body = {"kind": kind, "client_id": ctx["client"]["id"], "received_on": received.isoformat()}
    reply = call("POST", f"{API}/data-subject-requests", ctx["admin_token"], json=body)
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def test_a_request_is_registered_with_its_one_month_deadline_and_extended_once(
    ctx: dict[str, Any],
) -> None:
    today = datetime.now(UTC).date()
    received = today - timedelta(days=3)
    request = _register(ctx, received)
    assert request["status"] == "open"
    assert request["handler"] == ctx["admin_uid"]
    assert date.fromisoformat(request["deadline"]) > received
    url = f"{API}/data-subject-requests/{request['id']}"
    extended = call("POST", url + "/extend", ctx["admin_token"], json={"reason": "Mange sager"})
    assert extended.status_code == 200, extended.text
    assert extended.json()["extended"] is True
    assert extended.json()["extension_reason"] == "Mange sager"
    assert date.fromisoformat(extended.json()["deadline"]) > date.fromisoformat(request["deadline"])
    again = call("POST", url + "/extend", ctx["admin_token"], json={"reason": "Igen"})
    problem(again, 409, "invalid_transition")
    answered = call(
        "POST",
        url + "/answer",
        ctx["admin_token"],
        json={"status": "completed", "outcome": "Sendt"},
    )
    assert answered.json()["status"] == "completed"
    twice = call(
        "POST", url + "/answer", ctx["admin_token"], json={"status": "refused", "outcome": "Nej"}
    )
    problem(twice, 409, "invalid_transition")
    listed = call("GET", f"{API}/data-subject-requests", ctx["admin_token"]).json()["requests"]
    assert request["id"] in [r["id"] for r in listed]


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "gossip", "received_on": "2027-01-01"},
        {"kind": "access", "received_on": "2999-01-01"},  # not received yet
        {"kind": "access"},
    ],
)
def test_a_malformed_request_is_refused_and_nothing_is_written(
    ctx: dict[str, Any], body: dict[str, Any]
) -> None:
    before = len(ctx["data"].collection("data_subject_requests").get())
    reply = call("POST", f"{API}/data-subject-requests", ctx["admin_token"], json=body)
    problem(reply, 422, "validation_failed")
    assert len(ctx["data"].collection("data_subject_requests").get()) == before


def test_a_request_about_an_unknown_client_is_refused(ctx: dict[str, Any]) -> None:
    body = {"kind": "access", "client_id": "nobody", "received_on": "2026-01-01"}
    reply = call("POST", f"{API}/data-subject-requests", ctx["admin_token"], json=body)
    problem(reply, 404, "not_found")


def test_the_register_is_exported_with_the_client_and_kept_without_names_after_erasure(
    ctx: dict[str, Any],
) -> None:
    client = new_client(ctx["pro_token"], "Bo Hansen", email=f"{unique('far')}@example.dk")
    path = f"{API}/clients/{client['id']}"
    received = datetime.now(UTC).date().isoformat()
    body = {"kind": "erasure", "client_id": client["id"], "received_on": received}
    request = call("POST", f"{API}/data-subject-requests", ctx["admin_token"], json=body).json()
    export = call("GET", f"{path}/export", ctx["admin_token"]).json()
    assert [r["id"] for r in export["records"]["data_subject_requests"]] == [request["id"]]
    assert call("DELETE", path, ctx["admin_token"]).status_code == 200
    kept = call("GET", f"{API}/data-subject-requests/{request['id']}", ctx["admin_token"])
    assert kept.status_code == 200
    assert kept.json()["client_id"] == client["id"]  # an id that now leads to nobody
    stored = ctx["data"].document("data_subject_requests", request["id"]).get().to_dict()
    assert "Bo Hansen" not in repr(stored)
    assert "far-" not in repr(stored)
