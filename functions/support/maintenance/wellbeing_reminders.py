"""Nightly jobs: remind a professional when a group's well-being check, or their own, is
due, and once a week of their own programme (VoksenRo) while they have not been at it.

A check is due `cadence_days` (tenant setting `wellbeing.cadence_days`, default 14)
after the group's last check, or after the group was formed. The message id is derived
from the group and the day the check fell due, so a second run, or the outbox's message
delivered twice, still sends one e-mail; a check taken meanwhile moves the due day on,
so no reminder follows it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from google.cloud import firestore

from shared.jobs import BATCH, Clock, JobResult
from shared.members import USERS
from shared.messaging import outbox
from shared.templating import MailTemplates
from shared.tenancy import TenantData
from shared.tenants import load
from shared.wellbeing import GROUPS, OWN_DUE, PROGRAMMES

DEFAULT_CADENCE_DAYS = 14
# An own programme untouched this long gets the week's reminder.
PROGRAMME_IDLE = timedelta(days=7)
MAIL = MailTemplates(Path(__file__).parent.parent / "templates")


def cadence_days(data: TenantData) -> int:
    settings = (data.root.get().to_dict() or {}).get("wellbeing") or {}
    days = settings.get("cadence_days")
    return days if isinstance(days, int) and days >= 1 else DEFAULT_CADENCE_DAYS


def due_on(group: dict[str, object], cadence: int) -> datetime | None:
    since = group.get("last_check_at") or group.get("created_at")
    return since + timedelta(days=cadence) if isinstance(since, datetime) else None


def reminder_message_id(group_id: str, due: datetime) -> str:
    return f"wb-due-{group_id}-{due.date().isoformat()}"


def remind_wellbeing_checks(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    name = "remind_wellbeing_checks"
    query = db.collection_group(GROUPS).limit(BATCH)
    cadences: dict[str, int] = {}
    reminded, last = 0, None
    while clock() < deadline:
        page = (query.start_after(last) if last is not None else query).get()
        if not page:
            return JobResult(name=name, processed=reminded, finished=True)
        for snapshot in page:
            tenant_ref = snapshot.reference.parent.parent
            assert tenant_ref is not None
            data = TenantData(db, tenant_ref.id)
            if data.tenant_id not in cadences:
                cadences[data.tenant_id] = cadence_days(data)
            group = snapshot.to_dict() or {}
            due = due_on(group, cadences[data.tenant_id])
            if due is not None and due <= clock():
                reminded += _remind(data, snapshot.id, group, due, cadences[data.tenant_id])
        last = page[-1]
    return JobResult(name=name, processed=reminded, finished=False)


def _remind(
    data: TenantData, group_id: str, group: dict[str, object], due: datetime, cadence: int
) -> int:
    member = data.document(USERS, str(group["owner_uid"])).get().to_dict() or {}
    if member.get("status") != "active" or not member.get("email"):
        return 0
    tenant = load(data)
    params = {
        "tenant_name": tenant.display_name,
        "group_name": str(group["name"]),
        "cadence_days": str(cadence),
    }
    outbox.email(
        data,
        message_id=reminder_message_id(group_id, due),
        to=str(member["email"]),
        kind="wellbeing_check_due",
        content=MAIL.render("wellbeing_check_due", tenant.locale.value, params),
        locale=tenant.locale,
    )
    return 1


def programme_message_id(uid: str, now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"wb-programme-{uid}-{year}-w{week:02d}"


def remind_own_programmes(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """A professional whose programme is unfinished and untouched for a week gets one
    e-mail that ISO week: the message id is uid and week, so a second run sends none."""
    name = "remind_own_programmes"
    query = db.collection_group(PROGRAMMES).limit(BATCH)
    reminded, last = 0, None
    while clock() < deadline:
        page = (query.start_after(last) if last is not None else query).get()
        if not page:
            return JobResult(name=name, processed=reminded, finished=True)
        for snapshot in page:
            doc = snapshot.to_dict() or {}
            active = doc.get("last_activity")
            if not isinstance(active, datetime) or not doc.get("uid"):
                continue  # not written by programme.start: nothing to go by
            if doc.get("complete") or clock() - active < PROGRAMME_IDLE:
                continue
            tenant_ref = snapshot.reference.parent.parent
            assert tenant_ref is not None
            reminded += _remind_programme(TenantData(db, tenant_ref.id), doc, clock())
        last = page[-1]
    return JobResult(name=name, processed=reminded, finished=False)


def _remind_programme(data: TenantData, doc: dict[str, object], now: datetime) -> int:
    uid = str(doc["uid"])
    member = data.document(USERS, uid).get().to_dict() or {}
    if member.get("status") != "active" or not member.get("email"):
        return 0
    tenant = load(data)
    params = {"tenant_name": tenant.display_name, "title": str(doc.get("title", ""))}
    outbox.email(
        data,
        message_id=programme_message_id(uid, now),
        to=str(member["email"]),
        kind="wellbeing_programme_week",
        content=MAIL.render("wellbeing_programme_week", tenant.locale.value, params),
        locale=tenant.locale,
    )
    return 1


def own_message_id(uid: str, due: datetime) -> str:
    return f"wb-own-{uid}-{due.date().isoformat()}"


def remind_own_checks(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """A professional who measures their own well-being is reminded when the tenant's
    cadence has passed since their last own check: one e-mail per due day, none once a
    check is taken (it moves the due day on)."""
    name = "remind_own_checks"
    query = db.collection_group(OWN_DUE).limit(BATCH)
    cadences: dict[str, int] = {}
    reminded, last = 0, None
    while clock() < deadline:
        page = (query.start_after(last) if last is not None else query).get()
        if not page:
            return JobResult(name=name, processed=reminded, finished=True)
        for snapshot in page:
            tenant_ref = snapshot.reference.parent.parent
            assert tenant_ref is not None
            data = TenantData(db, tenant_ref.id)
            if data.tenant_id not in cadences:
                cadences[data.tenant_id] = cadence_days(data)
            doc = snapshot.to_dict() or {}
            taken = doc.get("last_taken_at")
            if not isinstance(taken, datetime) or not doc.get("uid"):
                continue  # not written by own.take: nothing to go by
            due = taken + timedelta(days=cadences[data.tenant_id])
            if due <= clock():
                reminded += _remind_own(data, str(doc["uid"]), due, cadences[data.tenant_id])
        last = page[-1]
    return JobResult(name=name, processed=reminded, finished=False)


def _remind_own(data: TenantData, uid: str, due: datetime, cadence: int) -> int:
    member = data.document(USERS, uid).get().to_dict() or {}
    if member.get("status") != "active" or not member.get("email"):
        return 0
    tenant = load(data)
    params = {"tenant_name": tenant.display_name, "cadence_days": str(cadence)}
    outbox.email(
        data,
        message_id=own_message_id(uid, due),
        to=str(member["email"]),
        kind="wellbeing_own_check_due",
        content=MAIL.render("wellbeing_own_check_due", tenant.locale.value, params),
        locale=tenant.locale,
    )
    return 1
