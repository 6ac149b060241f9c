"""The nightly reminder of data-subject request deadlines: once per request and threshold."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from functions.support.maintenance.request_reminders import (
    remind_request_deadlines,
    reminder_message_id,
)
from shared.gcp import firestore_client
from shared.messaging import outbox
from shared.messaging.models import MESSAGES, MessageRequest
from shared.tenancy import TenantData
from tests.accounts import active_tenant
from tests.helpers import call, emails_to, wait_until

pytestmark = pytest.mark.usefixtures("stack")
API = "/clients_api"
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
SUBJECT = "Frist for en anmodning fra en registreret"


def _night(day: date) -> Any:
    """A clock standing at 00:30 Copenhagen time on `day`."""
    moment = datetime.combine(day, time(0, 30), COPENHAGEN).astimezone(UTC)
    return lambda: moment


def _run(day: date) -> None:
    clock = _night(day)
    remind_request_deadlines(firestore_client(), clock() + timedelta(hours=1), clock)


def _reminders(admin_email: str) -> list[dict[str, Any]]:
    return [m for m in emails_to(admin_email) if m["subject"].startswith(SUBJECT)]


def test_the_administrator_is_reminded_7_days_and_1_day_before_once_each(owner: str) -> None:
    created = active_tenant(owner)
    admin, email = created["admin_token"], created["admin_email"]
    received = datetime.now(UTC).date() - timedelta(days=2)
    body = {"kind": "access", "received_on": received.isoformat()}
    request = call("POST", f"{API}/data-subject-requests", admin, json=body).json()
    deadline = date.fromisoformat(request["deadline"])

    _run(deadline - timedelta(days=8))
    _run(deadline - timedelta(days=5))
    _run(deadline - timedelta(days=5))  # a second run the same night
    [first] = wait_until(lambda: _reminders(email))
    assert "Der er 5 dag(e) tilbage" in first["body"]

    # Pub/Sub delivers the reminder again: it is still sent once.
    data = TenantData(firestore_client(), created["slug"])
    message_id = reminder_message_id(request["id"], 7, created["admin_uid"])
    stored = data.document(MESSAGES, message_id).get().to_dict() or {}
    outbox.publish(MessageRequest.model_validate(stored["request"]))
    wait_until(lambda: (data.document(MESSAGES, message_id).get().to_dict() or {})["received"] >= 2)
    assert len(_reminders(email)) == 1

    _run(deadline - timedelta(days=1))
    wait_until(lambda: len(_reminders(email)) == 2)
    _run(deadline)
    shown = call("GET", f"{API}/data-subject-requests/{request['id']}", admin).json()
    assert [r["days_before"] for r in shown["reminders"]] == [7, 1]
    assert shown["reminders"][0]["message_ids"] == [message_id]
    assert len(_reminders(email)) == 2


def test_an_answered_request_is_not_reminded(owner: str) -> None:
    created = active_tenant(owner)
    admin = created["admin_token"]
    body = {"kind": "objection", "received_on": datetime.now(UTC).date().isoformat()}
    request = call("POST", f"{API}/data-subject-requests", admin, json=body).json()
    url = f"{API}/data-subject-requests/{request['id']}/answer"
    call("POST", url, admin, json={"status": "refused", "outcome": "Ingen grund"})
    _run(date.fromisoformat(request["deadline"]))
    shown = call("GET", f"{API}/data-subject-requests/{request['id']}", admin).json()
    assert shown["reminders"] == []
