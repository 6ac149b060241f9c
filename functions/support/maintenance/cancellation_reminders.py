"""Nightly job: remind the owner and the contract's contacts 30 and 7 days before a
tenant's cancellation deadline (shared/subscriptions.py), each reminder once.

A reminder's message ids and its event id are derived from the tenant, the deadline,
the reminder (30 or 7) and the recipient, so a job run twice, or a message delivered
twice, sends each e-mail once (delivery is keyed on the message id). A night missed is
caught up: from 30 days before the deadline the 30-day reminder is due, from 7 days
the 7-day one (a tenant provisioned 5 days before its deadline gets only that one).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from pathlib import Path

from google.cloud import firestore
from pydantic import ValidationError

from shared import contracts
from shared.contracts import Contract, NoticeRecipient, NoticeTopic, recipients_of
from shared.events import SYSTEM_ACTOR, record_event
from shared.jobs import BATCH, Clock, JobResult
from shared.messaging import outbox
from shared.subscriptions import next_deadline, received_on
from shared.templating import MailTemplates, long_date
from shared.tenancy import TENANTS, TenantData
from shared.tenants import TenantStatus

log = logging.getLogger(__name__)

REMINDERS = (7, 30)  # days before the deadline, nearest first
MAIL = MailTemplates(Path(__file__).parent.parent / "templates")


def due_reminder(days_left: int) -> int | None:
    """Which reminder is due with `days_left` days to the deadline (None: none yet)."""
    return next((days for days in REMINDERS if 0 <= days_left <= days), None)


def _remind(
    tenant: TenantData, name: str, contract: Contract, owners: list[NoticeRecipient], now: datetime
) -> bool:
    today = received_on(now)
    sub = contract.subscription
    deadline = next_deadline(sub.cancellation_rule, sub.start, today)
    days_left = (deadline.last_day - today).days
    reminder = due_reminder(days_left)
    if reminder is None:
        return False
    key = f"{tenant.tenant_id}:{deadline.last_day}:{reminder}"
    recipients = recipients_of(contract, [], NoticeTopic.CONTRACT) + owners
    for recipient in {r.email: r for r in recipients}.values():
        params = {
            "name": recipient.name,
            "customer": name,
            "deadline": long_date(deadline.last_day, recipient.locale),
            "ends_on": long_date(deadline.ends_on, recipient.locale),
            "days": str(days_left),
        }
        digest = hashlib.sha256(f"{key}:{recipient.email}".encode()).hexdigest()[:24]
        outbox.email(
            tenant,
            message_id=f"cancellation-reminder-{digest}",
            to=recipient.email,
            kind="cancellation_reminder",
            content=MAIL.render("cancellation_reminder", recipient.locale, params),
            locale=recipient.locale,
        )
    record_event(
        tenant,
        actor=SYSTEM_ACTOR,
        action="contract.cancellation_reminder",
        subject="contract",
        details={"deadline": deadline.last_day.isoformat(), "reminder_days": reminder},
        event_id="cancellation-reminder-" + hashlib.sha256(key.encode()).hexdigest()[:24],
    )
    return True


def remind_cancellation_deadlines(
    db: firestore.Client, deadline: datetime, clock: Clock
) -> JobResult:
    """Every tenant with a running, uncancelled subscription: its due reminder, once."""
    name, reminded = remind_cancellation_deadlines.__name__, 0
    owners = contracts.owner_recipients(db, clock())
    query = db.collection(TENANTS).order_by("__name__").limit(BATCH)
    page = query.get()
    while page:
        if clock() >= deadline:
            return JobResult(name=name, processed=reminded, finished=False)
        tenants = [(TenantData(db, s.id), s.to_dict() or {}) for s in page]
        refs = [contracts.contract_ref(t) for t, _ in tenants]
        records = {s.reference.path: s for s in db.get_all(refs)}
        for (tenant, document), ref in zip(tenants, refs, strict=True):
            snapshot = records.get(ref.path)
            if document.get("status") == TenantStatus.TERMINATED or snapshot is None:
                continue
            try:
                contract = contracts.from_data(snapshot.to_dict() if snapshot.exists else None)
            except ValidationError:
                # One malformed record must not stop the night for every other tenant.
                log.error("contract of tenant %s does not validate", tenant.tenant_id)
                continue
            if contract is None or contract.cancellation is not None:
                continue
            title = contract.customer.name or str(document.get("display_name") or tenant.tenant_id)
            reminded += _remind(tenant, title, contract, owners, clock())
        page = query.start_after(page[-1]).get()
    return JobResult(name=name, processed=reminded, finished=True)
