"""Nightly job: remind a tenant's administrators before a data-subject request's deadline.

Each open request is reminded once per threshold (shared/data_subjects.REMINDER_DAYS)
once its day has come; a night that was missed is made up the next night with one
e-mail for the nearest threshold. Message ids are derived from the request, the
threshold and the administrator, so a second run, or Pub/Sub delivering the e-mail
twice, still sends it once; the reminder is recorded on the request, which is what
the register shows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.data_subjects import (
    DATA_SUBJECT_REQUESTS,
    REMINDER_DAYS,
    DataSubjectRequest,
    RequestKind,
    RequestStatus,
    due_thresholds,
)
from shared.jobs import BATCH, Clock, JobResult
from shared.members import USERS, MemberStatus
from shared.messaging import outbox
from shared.principal import Role
from shared.templating import MailTemplates, long_date
from shared.tenancy import TenantData
from shared.tenants import load

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
MAIL = MailTemplates(Path(__file__).parent.parent / "templates")
KIND_DA = {
    RequestKind.ACCESS: "indsigt",
    RequestKind.RECTIFICATION: "berigtigelse",
    RequestKind.ERASURE: "sletning",
    RequestKind.RESTRICTION: "begrænsning af behandling",
    RequestKind.PORTABILITY: "dataportabilitet",
    RequestKind.OBJECTION: "indsigelse",
    RequestKind.CONSENT_WITHDRAWAL: "tilbagetrækning af samtykke",
}


def reminder_message_id(request_id: str, days_before: int, uid: str) -> str:
    return f"dsr-{request_id}-{days_before}d-{uid}"


def remind_request_deadlines(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """Remind of every open request whose deadline is within the largest threshold."""
    name = "remind_request_deadlines"
    today = clock().astimezone(COPENHAGEN).date()
    horizon = (today + timedelta(days=max(REMINDER_DAYS))).isoformat()
    query = (
        db.collection_group(DATA_SUBJECT_REQUESTS)
        .where(filter=FieldFilter("status", "==", RequestStatus.OPEN.value))
        .where(filter=FieldFilter("deadline", "<=", horizon))  # ISO dates sort as dates
        .order_by("deadline")
        .limit(BATCH)
    )
    reminded, last = 0, None
    while clock() < deadline:
        page = (query.start_after(last) if last is not None else query).get()
        if not page:
            return JobResult(name=name, processed=reminded, finished=True)
        for snapshot in page:
            doc = snapshot.to_dict() or {}
            request = DataSubjectRequest.model_validate({**doc, "id": snapshot.id})
            due = due_thresholds(request, today)
            if due:
                _remind(TenantData(db, snapshot.reference.parent.parent.id), request, due, clock)
                reminded += 1
        last = page[-1]
    return JobResult(name=name, processed=reminded, finished=False)


def _administrators(data: TenantData) -> list[tuple[str, str]]:
    """(uid, e-mail) of the tenant's active administrators."""
    query = (
        data.collection(USERS)
        .where(filter=FieldFilter("role", "==", Role.ADMIN.value))
        .where(filter=FieldFilter("status", "==", MemberStatus.ACTIVE.value))
    )
    return [(s.id, str((s.to_dict() or {})["email"])) for s in query.get()]


def _remind(data: TenantData, request: DataSubjectRequest, due: list[int], clock: Clock) -> None:
    """One e-mail per administrator for the nearest threshold due; every due threshold
    is then recorded as reminded (a missed night sends one e-mail, not two)."""
    tenant = load(data)
    days = min(due)
    locale = tenant.locale.value
    params = {
        "tenant_name": tenant.display_name,
        "kind": KIND_DA[request.kind] if locale == "da" else request.kind.value.replace("_", " "),
        "deadline": long_date(request.deadline, locale),
        "received": long_date(request.received_on, locale),
        "extended": "ja" if request.extended else "",
        "days_left": str(max((request.deadline - clock().astimezone(COPENHAGEN).date()).days, 0)),
        "request_id": request.id,
    }
    content = MAIL.render("request_deadline", locale, params)
    sent = []
    for uid, email in _administrators(data):
        message_id = reminder_message_id(request.id, days, uid)
        outbox.email(
            data,
            message_id=message_id,
            to=email,
            kind="request_deadline",
            content=content,
            locale=tenant.locale,
            client_id=request.client_id,
        )
        sent.append(message_id)
    now = clock()
    entries: list[Any] = [
        {"days_before": threshold, "at": now, "message_ids": sent} for threshold in due
    ]
    data.document(DATA_SUBJECT_REQUESTS, request.id).update(
        {"reminders": firestore.ArrayUnion(entries)}
    )
