"""The nightly reminder of a due group check (issue 17): due after the tenant's cadence,
none when the check was taken, one e-mail when the job or its message runs twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.support.maintenance.wellbeing_reminders import (
    remind_wellbeing_checks,
    reminder_message_id,
)
from shared.gcp import firestore_client
from shared.messaging import outbox
from shared.messaging.models import MESSAGES, MessageRequest
from shared.tenancy import TenantData
from shared.wellbeing import GROUPS
from tests.accounts import activate, active_tenant, add_professional
from tests.content import API, new_client
from tests.helpers import call, emails_to, unique, wait_until

pytestmark = pytest.mark.usefixtures("stack")
WB = f"{API}/wellbeing/groups"
SUBJECT = "Tid til trivselsmåling"


def _run(at: datetime) -> None:
    remind_wellbeing_checks(firestore_client(), at + timedelta(hours=1), lambda: at)


def _reminders(email: str) -> list[dict[str, Any]]:
    return [m for m in emails_to(email) if m["subject"].startswith(SUBJECT)]


def _kinds(data: TenantData) -> list[str]:
    return [
        (s.to_dict() or {}).get("request", {}).get("kind", "")
        for s in data.collection(MESSAGES).get()
    ]


@pytest.fixture
def team(owner: str) -> dict[str, Any]:
    created = active_tenant(owner, seats=2)
    pro = add_professional(created["admin_token"])
    token = activate(pro["email"])
    client = new_client(token, unique("Elev"))["id"]
    group = call("POST", WB, token, json={"name": "5.a", "client_ids": [client]}).json()
    return {
        **created,
        "pro": pro,
        "token": token,
        "group": group,
        "data": TenantData(firestore_client(), created["slug"]),
    }


def test_a_due_check_is_reminded_once_in_danish_even_when_delivered_twice(
    team: dict[str, Any],
) -> None:
    data, group = team["data"], team["group"]
    created_at = data.document(GROUPS, group["id"]).get().to_dict()["created_at"]
    _run(created_at + timedelta(days=13))
    assert "wellbeing_check_due" not in _kinds(data)  # not due yet
    _run(created_at + timedelta(days=14, hours=1))
    _run(created_at + timedelta(days=15))  # the next night: the same due day, the same id
    [mail] = wait_until(lambda: _reminders(team["pro"]["email"]))
    assert "5.a" in mail["subject"]
    assert "14 dage" in mail["body"]

    message_id = reminder_message_id(group["id"], created_at + timedelta(days=14))
    stored = data.document(MESSAGES, message_id).get().to_dict() or {}
    outbox.publish(MessageRequest.model_validate(stored["request"]))
    wait_until(lambda: (data.document(MESSAGES, message_id).get().to_dict() or {})["received"] >= 2)
    assert len(_reminders(team["pro"]["email"])) == 1
    assert _kinds(data).count("wellbeing_check_due") == 1


def test_no_reminder_when_the_check_was_taken_and_the_tenant_sets_the_cadence(
    team: dict[str, Any],
) -> None:
    data, group = team["data"], team["group"]
    reply = call(
        "POST", f"{WB}/{group['id']}/checks", team["token"], json={"questionnaire_id": "class4"}
    )
    assert reply.status_code == 201, reply.text
    taken = datetime.fromisoformat(reply.json()["opened_at"])
    _run(taken + timedelta(days=13))
    assert "wellbeing_check_due" not in _kinds(data)
    data.root.set({"wellbeing": {"cadence_days": 7}}, merge=True)
    _run(taken + timedelta(days=6))
    assert "wellbeing_check_due" not in _kinds(data)
    _run(taken + timedelta(days=7, hours=1))
    assert (
        data.document(MESSAGES, reminder_message_id(group["id"], taken + timedelta(days=7)))
        .get()
        .exists
    )


def test_an_own_check_is_reminded_once_when_due_and_not_after_it_was_taken(
    team: dict[str, Any],
) -> None:
    from functions.support.maintenance.wellbeing_reminders import remind_own_checks
    from shared.wellbeing import OWN_DUE

    def run(at: datetime) -> None:
        remind_own_checks(firestore_client(), at + timedelta(hours=1), lambda: at)

    def own_reminders() -> int:
        return _kinds(data).count("wellbeing_own_check_due")

    data, token = team["data"], team["token"]
    first = call("POST", f"{API}/wellbeing/me/checks", token, json={"answers": [3] * 5})
    assert first.status_code == 201, first.text
    due_ref = data.document(OWN_DUE, team["pro"]["uid"])
    taken = (due_ref.get().to_dict() or {})["last_taken_at"] - timedelta(days=20)
    due_ref.update({"last_taken_at": taken})  # the last own check was 20 days ago
    run(taken + timedelta(days=13))
    assert own_reminders() == 0  # not due yet
    run(taken + timedelta(days=14, hours=1))
    run(taken + timedelta(days=15))  # the same due day: the same message id
    [mail] = wait_until(
        lambda: [
            m for m in emails_to(team["pro"]["email"]) if "egen trivselsmåling" in m["subject"]
        ]
    )
    assert "14 dage" in mail["body"]
    assert own_reminders() == 1
    again = call("POST", f"{API}/wellbeing/me/checks", token, json={"answers": [4] * 5})
    assert again.status_code == 201
    retaken = (due_ref.get().to_dict() or {})["last_taken_at"]
    run(retaken + timedelta(days=13))  # taken: the due day moved on, nothing is sent
    assert own_reminders() == 1
    run(retaken + timedelta(days=14, hours=1))
    assert own_reminders() == 2
