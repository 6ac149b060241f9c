"""The nightly cancellation reminders: 30 and 7 days before the deadline, each once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.support.maintenance.cancellation_reminders import (
    due_reminder,
    remind_cancellation_deadlines,
)
from functions.support.maintenance.runner import JOBS
from shared.contracts import contract_ref
from shared.gcp import firestore_client
from shared.messaging.models import MESSAGES
from shared.tenancy import TenantData
from tests.accounts import contract_terms, events, provision
from tests.helpers import emails_to, wait_until


@pytest.mark.parametrize(
    ("days_left", "due"), [(31, None), (30, 30), (8, 30), (7, 7), (1, 7), (0, 7), (-1, None)]
)
def test_the_30_day_reminder_is_due_from_30_days_and_the_7_day_one_from_7(
    days_left: int, due: int | None
) -> None:
    assert due_reminder(days_left) == due


def test_the_job_runs_every_night() -> None:
    assert remind_cancellation_deadlines in JOBS


def _run(now: datetime) -> None:
    remind_cancellation_deadlines(firestore_client(), now + timedelta(hours=1), lambda: now)


def test_contacts_and_owner_are_reminded_30_and_7_days_before_once_each(owner: str) -> None:
    terms = contract_terms()
    terms["subscription"]["start"] = "2026-01-01"  # deadline 31 October 2026
    slug = provision(owner, contract=terms)["slug"]
    contact = contract_ref(TenantData(firestore_client(), slug)).get().get("contract_contacts")[0]

    def mails() -> list[dict[str, Any]]:
        return emails_to(contact["email"])

    _run(datetime(2026, 9, 30, 22, 30, tzinfo=UTC))  # 1 October in Copenhagen: 30 days left
    [first] = wait_until(mails)
    assert first["subject"] == (
        "Påmindelse: frist for opsigelse af Trivsel (Testkommune) er 31. oktober 2026"
    )
    assert "31. december 2026" in first["body"]
    _run(datetime(2026, 10, 2, 1, 0, tzinfo=UTC))  # the next night: nothing new
    _run(datetime(2026, 10, 2, 1, 0, tzinfo=UTC))  # run twice: still nothing new
    _run(datetime(2026, 10, 24, 1, 0, tzinfo=UTC))  # 7 days left
    wait_until(lambda: len(mails()) == 2)
    _run(datetime(2026, 10, 24, 1, 0, tzinfo=UTC))  # again, and its e-mails published again
    data = TenantData(firestore_client(), slug)
    # Every recorded message is sent (the second publish found it sent and sent nothing).
    wait_until(lambda: all(m.get("state") == "sent" for m in data.collection(MESSAGES).get()))
    reminders = [m for m in mails() if m["subject"].startswith("Påmindelse")]
    assert len(reminders) == 2
    logged = [e for e in events(slug) if e["action"] == "contract.cancellation_reminder"]
    assert sorted(e["details"]["reminder_days"] for e in logged) == [7, 30]
    requests = [(m.to_dict() or {})["request"] for m in data.collection(MESSAGES).get()]
    owner_email = next(
        r["to"]
        for r in requests
        if r["kind"] == "cancellation_reminder" and r["to"] != contact["email"]
    )
    # (only these reminders: an owner also gets others, e.g. of a breach notice's deadline)
    owner_reminders = [
        m
        for m in emails_to(owner_email)
        if m["subject"].startswith("Påmindelse: frist for opsigelse")
    ]
    assert len(owner_reminders) == 2


def test_a_cancelled_subscription_gets_no_reminder(owner: str) -> None:
    terms = contract_terms()
    terms["subscription"]["start"] = "2026-01-01"
    slug = provision(owner, contract=terms)["slug"]
    contract_ref(TenantData(firestore_client(), slug)).update(
        {
            "cancellation": {
                "received_at": datetime(2026, 5, 1, tzinfo=UTC),
                "recorded_by": "o",
                "deadline": "2026-10-31",
                "ends_on": "2026-12-31",
                "late": False,
            }
        }
    )
    _run(datetime(2026, 10, 1, 1, 0, tzinfo=UTC))
    assert not [e for e in events(slug) if e["action"] == "contract.cancellation_reminder"]
