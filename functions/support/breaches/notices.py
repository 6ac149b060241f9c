"""The two clocks of a breach, per affected tenant.

The supplier's: the owner sends the Danish notice to the controller's contacts (the DPA
contacts and the administrators, `notice_recipients(..., DATA_PROTECTION)`) as soon as it
can say what it must; the DPA's hours (default 24) from the supplier's awareness are its
deadline, and the owners are reminded at half time and two hours before while no notice
is delivered. Delivered means
the messaging outbox recorded one of the notice e-mails `sent`; its `sent_at` is when the
controller became aware, and is recorded on the breach and in the chain.

The controller's: its own 72 hours to Datatilsynet run from that moment, with reminders to
the same contacts at 24, 48 and 66 hours. Every reminder is a named Cloud Task, recorded
on the breach in a transaction before it is sent, so a duplicate or late delivery sends
nothing twice."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from google.cloud import firestore

from functions.support.breaches import chain
from functions.support.breaches.models import (
    BREACHES,
    CONTROLLER_HOURS,
    CONTROLLER_REMINDERS,
    Breach,
    TenantPart,
)
from functions.support.incidents.models import SupportTask, TaskOutcome
from shared import contracts, errors
from shared.gcp import schedule_call
from shared.messaging import outbox
from shared.messaging.models import MESSAGES, MessageState
from shared.settings import get_settings
from shared.subscriptions import COPENHAGEN
from shared.templating import MailTemplates
from shared.tenancy import TenantData

MAIL = MailTemplates(Path(__file__).parent.parent / "templates")
CHECK_AFTER = timedelta(minutes=2)  # step 0: look for the delivered notice
FINAL_WARNING = timedelta(hours=2)


def _local(moment: datetime) -> str:
    return moment.astimezone(COPENHAGEN).strftime("%d-%m-%Y %H:%M")


def _part(breach: Breach, tenant_id: str) -> TenantPart:
    return next(p for p in breach.tenants if p.tenant_id == tenant_id)


def _name(tenant: TenantData) -> str:
    return str((tenant.root.get().to_dict() or {}).get("display_name") or tenant.tenant_id)


def notice_reminder_times(breach: Breach, part: TenantPart) -> dict[int, datetime]:
    """Step 0 checks delivery; 1 at half time; 2 two hours before the deadline."""
    half = breach.aware_at + (part.notice_due_at - breach.aware_at) / 2
    times = {0: breach.aware_at + CHECK_AFTER, 1: half}
    if part.notice_due_at - FINAL_WARNING > half:
        times[2] = part.notice_due_at - FINAL_WARNING
    return times


def _schedule(task: SupportTask, at: datetime, name: str) -> None:
    queue = get_settings().queue("incident_queue")
    schedule_call(queue, task.model_dump_json().encode(), at, name)


def schedule_reminders(breach: Breach, part: TenantPart) -> None:
    """The owners' reminders before the DPA's deadline (each does nothing once delivered)."""
    for step, at in notice_reminder_times(breach, part).items():
        if step == 0:
            continue
        task = SupportTask(
            kind="notice_reminder", breach_id=breach.id, tenant_id=part.tenant_id, step=step
        )
        _schedule(task, at, f"breach-{breach.id}-{part.tenant_id}-notice-{step}")


def send_notice(db: firestore.Client, breach: Breach, tenant_id: str, now: datetime) -> Breach:
    """E-mail the controller's contacts the Danish notice (again: nothing more is sent, the
    message ids are the notice's), then look for its delivery shortly after."""
    tenant = TenantData(db, tenant_id)
    part = _part(breach, tenant_id)
    if not part.notify:
        raise errors.InvalidTransition("This tenant is recorded as not to be notified")
    ids = []
    recipients = contracts.notice_recipients(tenant, contracts.NoticeTopic.DATA_PROTECTION)
    for index, person in enumerate(recipients):
        params = {
            "tenant_name": _name(tenant),
            "detected": _local(breach.detected_at),
            "aware": _local(breach.aware_at),
            "nature": breach.nature,
            "consequences": breach.likely_consequences,
            "measures": breach.measures,
            "subjects": f"{part.approx_subjects} ({', '.join(part.subject_categories)})",
            "records": f"{part.approx_records} ({', '.join(part.data_categories)})",
            "breach_id": breach.id,
        }
        message_id = f"breach-{breach.id}-{tenant_id}-notice-{index}"
        outbox.email(
            tenant,
            message_id=message_id,
            to=person.email,
            kind="breach_notice",
            content=MAIL.render("breach_notice", person.locale.value, params),
            locale=person.locale,
        )
        ids.append(message_id)
    if not part.notice_messages:
        _update_part(db, breach.id, tenant_id, notice_messages=ids, notice_sent_at=now)
        chain.append(
            db,
            breach_id=breach.id,
            tenant_ids=[tenant_id],
            kind="notice_sent",
            data={"tenant_id": tenant_id, "recipients": len(ids)},
            by="system",
            at=now,
        )
    check = SupportTask(kind="notice_reminder", breach_id=breach.id, tenant_id=tenant_id, step=0)
    _schedule(check, now + CHECK_AFTER, f"breach-{breach.id}-{tenant_id}-notice-0")
    part.notice_messages = part.notice_messages or ids
    return breach


def _update_part(db: firestore.Client, breach_id: str, tenant_id: str, **changes: object) -> None:
    ref = db.document(BREACHES, breach_id)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> None:
        breach = Breach.model_validate(ref.get(transaction=transaction).to_dict())
        for part in breach.tenants:
            if part.tenant_id == tenant_id:
                for field, value in changes.items():
                    setattr(part, field, value)
        transaction.update(ref, {"tenants": [p.model_dump() for p in breach.tenants]})

    apply(db.transaction())


def delivered_at(db: firestore.Client, tenant_id: str, part: TenantPart) -> datetime | None:
    """When the first notice e-mail was sent (the outbox's `sent` state), or None."""
    tenant = TenantData(db, tenant_id)
    refs = [tenant.document(MESSAGES, m) for m in part.notice_messages]
    times = [
        s.get("sent_at")
        for s in db.get_all(refs)
        if s.exists and (s.to_dict() or {}).get("state") == MessageState.SENT and s.get("sent_at")
    ]
    return min(times) if times else None


def refresh(db: firestore.Client, breach: Breach, tenant_id: str, now: datetime) -> Breach:
    """Record the delivered notice once it is there: in the chain, on the breach, and the
    controller's reminders scheduled from it."""
    part = _part(breach, tenant_id)
    if part.delivered_at is not None or not part.notice_messages:
        return breach
    delivered = delivered_at(db, tenant_id, part)
    if delivered is None:
        return breach
    due = delivered + timedelta(hours=CONTROLLER_HOURS)
    ref = db.document(BREACHES, breach.id)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> bool:
        current = Breach.model_validate(ref.get(transaction=transaction).to_dict())
        mine = _part(current, tenant_id)
        if mine.delivered_at is not None:
            return False
        mine.delivered_at, mine.controller_due_at = delivered, due
        transaction.update(ref, {"tenants": [p.model_dump() for p in current.tenants]})
        return True

    if apply(db.transaction()):
        chain.append(
            db,
            breach_id=breach.id,
            tenant_ids=[tenant_id],
            kind="notice_delivered",
            data={"tenant_id": tenant_id, "delivered_at": delivered.isoformat()},
            by="system",
            at=now,
        )
        for hours in CONTROLLER_REMINDERS:
            task = SupportTask(
                kind="controller_reminder", breach_id=breach.id, tenant_id=tenant_id, step=hours
            )
            _schedule(
                task,
                delivered + timedelta(hours=hours),
                f"breach-{breach.id}-{tenant_id}-controller-{hours}",
            )
    part.delivered_at, part.controller_due_at = delivered, due
    return breach


def _claim(db: firestore.Client, breach_id: str, tenant_id: str, field: str, step: int) -> bool:
    """Record reminder `step` in `field` of the tenant's part; False if it already was."""
    ref = db.document(BREACHES, breach_id)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> bool:
        current = Breach.model_validate(ref.get(transaction=transaction).to_dict())
        mine = _part(current, tenant_id)
        if step in getattr(mine, field):
            return False
        setattr(mine, field, [*getattr(mine, field), step])
        transaction.update(ref, {"tenants": [p.model_dump() for p in current.tenants]})
        return True

    done: bool = apply(db.transaction())
    return done


def handle(db: firestore.Client, task: SupportTask, now: datetime) -> TaskOutcome:
    assert task.breach_id is not None
    assert task.tenant_id is not None
    snapshot = db.document(BREACHES, task.breach_id).get()
    if not snapshot.exists:
        return TaskOutcome(done="no_breach")
    breach = refresh(db, Breach.model_validate(snapshot.to_dict()), task.tenant_id, now)
    if task.tenant_id not in breach.tenant_ids:
        return TaskOutcome(done="not_affected")
    part = _part(breach, task.tenant_id)
    if task.kind == "notice_reminder":
        return _notice_reminder(db, breach, part, task.step, now)
    return _controller_reminder(db, breach, part, task.step, now)


def _notice_reminder(
    db: firestore.Client, breach: Breach, part: TenantPart, step: int, now: datetime
) -> TaskOutcome:
    if part.delivered_at is not None:
        return TaskOutcome(done="delivered")
    at = notice_reminder_times(breach, part).get(step)
    if at is None or step == 0:
        return TaskOutcome(done="checked")
    if now < at:
        return TaskOutcome(done="not_due")
    if not _claim(db, breach.id, part.tenant_id, "notice_reminders", step):
        return TaskOutcome(done="already_sent")
    tenant = TenantData(db, part.tenant_id)
    for index, owner in enumerate(contracts.owner_recipients(db, now)):
        params = {
            "tenant_name": _name(tenant),
            "due": _local(part.notice_due_at),
            "breach_id": breach.id,
        }
        outbox.email(
            tenant,
            message_id=f"breach-{breach.id}-{part.tenant_id}-notice-reminder-{step}-{index}",
            to=owner.email,
            kind="breach_notice_reminder",
            content=MAIL.render("breach_notice_reminder", owner.locale.value, params),
            locale=owner.locale,
        )
    return TaskOutcome(done="reminded")


def _controller_reminder(
    db: firestore.Client, breach: Breach, part: TenantPart, hours: int, now: datetime
) -> TaskOutcome:
    if part.delivered_at is None or part.controller_due_at is None:
        return TaskOutcome(done="not_delivered")
    if hours not in CONTROLLER_REMINDERS:
        return TaskOutcome(done="unknown_reminder")
    if now < part.delivered_at + timedelta(hours=hours):
        return TaskOutcome(done="not_due")
    if not _claim(db, breach.id, part.tenant_id, "controller_reminders", hours):
        return TaskOutcome(done="already_sent")
    tenant = TenantData(db, part.tenant_id)
    recipients = contracts.notice_recipients(tenant, contracts.NoticeTopic.DATA_PROTECTION)
    for index, person in enumerate(recipients):
        params = {
            "tenant_name": _name(tenant),
            "aware": _local(part.delivered_at),
            "due": _local(part.controller_due_at),
            "hours_left": str(CONTROLLER_HOURS - hours),
            "breach_id": breach.id,
        }
        outbox.email(
            tenant,
            message_id=f"breach-{breach.id}-{part.tenant_id}-controller-{hours}-{index}",
            to=person.email,
            kind="breach_controller_reminder",
            content=MAIL.render("breach_controller_reminder", person.locale.value, params),
            locale=person.locale,
        )
    return TaskOutcome(done="reminded")
