"""Nightly jobs: remind a professional when a group's well-being check, or their own, is
due, and once a week of their own programme (VoksenRo) while they have not been at it.

A check is due `cadence_days` (tenant setting `wellbeing.cadence_days`, default 14)
after the group's last check, or after the group was formed. The message id is derived
from the group and the day the check fell due, so a second run, or the outbox's message
delivered twice, still sends one e-mail; a check taken meanwhile moves the due day on,
so no reminder follows it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_document import DocumentSnapshot

from shared.jobs import BATCH, Clock, JobResult
from shared.members import USERS
from shared.messaging import outbox
from shared.templating import MailTemplates
from shared.tenancy import TenantData
from shared.tenants import load
from shared.wellbeing import GROUPS, OWN_DUE, PROGRAMMES

# An own programme untouched this long gets the week's reminder.
PROGRAMME_IDLE = timedelta(days=7)
MAIL = MailTemplates(Path(__file__).parent.parent / "templates")


def cadence_days(data: TenantData) -> int:
    return load(data).wellbeing.cadence_days


def due_on(group: dict[str, object], cadence: int) -> datetime | None:
    since = group.get("last_check_at") or group.get("created_at")
    return since + timedelta(days=cadence) if isinstance(since, datetime) else None


def reminder_message_id(group_id: str, due: datetime) -> str:
    return f"wb-due-{group_id}-{due.date().isoformat()}"


def own_message_id(uid: str, due: datetime) -> str:
    return f"wb-own-{uid}-{due.date().isoformat()}"


def programme_message_id(uid: str, now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"wb-programme-{uid}-{year}-w{week:02d}"


Snapshot = DocumentSnapshot[Any]
Visit = Callable[[TenantData, Snapshot], int]


def _each_document(
    db: firestore.Client, name: str, group: str, deadline: datetime, clock: Clock, visit: Visit
) -> JobResult:
    """Every document of a collection group, a page at a time until the deadline, handed
    with its tenant to `visit`, which says how many e-mails it queued."""
    query = db.collection_group(group).limit(BATCH)
    reminded, last = 0, None
    while clock() < deadline:
        page = (query.start_after(last) if last is not None else query).get()
        if not page:
            return JobResult(name=name, processed=reminded, finished=True)
        for snapshot in page:
            tenant_ref = snapshot.reference.parent.parent
            assert tenant_ref is not None
            reminded += visit(TenantData(db, tenant_ref.id), snapshot)
        last = page[-1]
    return JobResult(name=name, processed=reminded, finished=False)


def _cadence_of() -> Callable[[TenantData], int]:
    """The tenants' cadences, each read once per run."""
    known: dict[str, int] = {}

    def cadence(data: TenantData) -> int:
        if data.tenant_id not in known:
            known[data.tenant_id] = cadence_days(data)
        return known[data.tenant_id]

    return cadence


def _mail(data: TenantData, uid: str, message_id: str, kind: str, params: dict[str, str]) -> int:
    """Queue one reminder to an active member (1), or none (0)."""
    member = data.document(USERS, uid).get().to_dict() or {}
    if member.get("status") != "active" or not member.get("email"):
        return 0
    tenant = load(data)
    outbox.email(
        data,
        message_id=message_id,
        to=str(member["email"]),
        kind=kind,
        content=MAIL.render(
            kind, tenant.locale.value, {"tenant_name": tenant.display_name} | params
        ),
        locale=tenant.locale,
    )
    return 1


def remind_wellbeing_checks(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    cadence = _cadence_of()

    def visit(data: TenantData, snapshot: Snapshot) -> int:
        group = snapshot.to_dict() or {}
        days = cadence(data)
        due = due_on(group, days)
        if due is None or due > clock() or not group.get("owner_uid"):
            return 0
        params = {"group_name": str(group.get("name", "")), "cadence_days": str(days)}
        message_id = reminder_message_id(snapshot.id, due)
        return _mail(data, str(group["owner_uid"]), message_id, "wellbeing_check_due", params)

    return _each_document(db, "remind_wellbeing_checks", GROUPS, deadline, clock, visit)


def remind_own_checks(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """A professional who measures their own well-being is reminded when the tenant's
    cadence has passed since their last own check: one e-mail per due day, none once a
    check is taken (it moves the due day on)."""
    cadence = _cadence_of()

    def visit(data: TenantData, snapshot: Snapshot) -> int:
        doc = snapshot.to_dict() or {}
        taken = doc.get("last_taken_at")
        if not isinstance(taken, datetime) or not doc.get("uid"):
            return 0  # not written by own.take: nothing to go by
        days = cadence(data)
        due = taken + timedelta(days=days)
        if due > clock():
            return 0
        uid = str(doc["uid"])
        params = {"cadence_days": str(days)}
        return _mail(data, uid, own_message_id(uid, due), "wellbeing_own_check_due", params)

    return _each_document(db, "remind_own_checks", OWN_DUE, deadline, clock, visit)


def remind_own_programmes(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """A professional whose programme is unfinished and untouched for a week gets one
    e-mail that ISO week: the message id is uid and week, so a second run sends none."""

    def visit(data: TenantData, snapshot: Snapshot) -> int:
        doc = snapshot.to_dict() or {}
        active = doc.get("last_activity")
        if not isinstance(active, datetime) or not doc.get("uid"):
            return 0  # not written by programme.start: nothing to go by
        if doc.get("complete") or clock() - active < PROGRAMME_IDLE:
            return 0
        uid = str(doc["uid"])
        params = {"title": str(doc.get("title", ""))}
        message_id = programme_message_id(uid, clock())
        return _mail(data, uid, message_id, "wellbeing_programme_week", params)

    return _each_document(db, "remind_own_programmes", PROGRAMMES, deadline, clock, visit)
