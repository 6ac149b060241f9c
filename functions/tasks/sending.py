"""The professional's side of remote tasks: send, resend, cancel, list (SPEC R-1, R-4).

One remote task per contact person, each with its own link and e-mail. Sending
schedules a reminder (a Cloud Task named by task and link version); resending raises
the link version, so older links stop working; cancelling or resending withdraws an
e-mail that is not sent yet.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from google.cloud import firestore

from functions.tasks import links, presenting
from functions.tasks.log import log_task, task_event
from functions.tasks.models import (
    OPEN,
    NotRemote,
    PrivacyPolicyMissing,
    Reminder,
    RemoteTask,
    Sender,
    Status,
    TaskVersion,
    message_id,
)
from shared import errors
from shared.catalogue import VrFilm, licensed_exercise
from shared.client_data import BATCH_WRITES, REMOTE_TASKS
from shared.clients import (
    HIDDEN,
    ContactPerson,
    contacts_of,
    load_document,
    load_for_change,
    open_contact,
    seal_contact,
)
from shared.courses import ItemRef, get_course, mark_sent
from shared.faults import crash_point
from shared.gcp import schedule_call
from shared.ids import new_id
from shared.members import USERS
from shared.messaging import outbox
from shared.messaging.models import MESSAGES, Channel, Locale, MessageRequest, MessageState
from shared.principal import Principal
from shared.settings import get_settings
from shared.templating import MailTemplates, long_date
from shared.tenancy import TenantData
from shared.tenants import (
    PrivacyNotice,
    RemoteTaskPreferences,
    TenantDocument,
    change_setting,
    load,
)

ZONE = ZoneInfo("Europe/Copenhagen")
MAIL = MailTemplates(Path(__file__).with_name("templates"))


def preferences(data: TenantData) -> RemoteTaskPreferences:
    return load(data).remote_tasks


def change_preferences(me: Principal, data: TenantData, body: RemoteTaskPreferences) -> None:
    change_setting(me.uid, data, "remote_tasks", body, "tenant.remote_task_settings_changed")


def privacy(data: TenantData) -> PrivacyNotice:
    notice = load(data).privacy
    if notice is None:
        raise errors.NotFound("No privacy notice is set yet")
    return notice


def change_privacy(me: Principal, data: TenantData, body: PrivacyNotice) -> None:
    change_setting(me.uid, data, "privacy", body, "tenant.privacy_notice_changed")


def require_privacy_notice(tenant: TenantDocument) -> None:
    """A contact person is told who collects their answer and why (GDPR Art. 13) on the page
    behind the link: without the tenant's notice, nothing is sent."""
    if tenant.privacy is None:
        raise PrivacyPolicyMissing()


def _sender(me: Principal, data: TenantData) -> Sender:
    member = data.read(data.document(USERS, me.uid))
    record = (member.to_dict() or {}) if member.exists else {}
    return presenting.sender(
        str(record.get("display_name") or ""), me.role.value, str(record.get("email") or "")
    )


def get(data: TenantData, task_id: str) -> RemoteTask:
    snapshot = data.document(REMOTE_TASKS, task_id).get()
    if not snapshot.exists:
        raise errors.NotFound("No such remote task")
    return RemoteTask.model_validate({**(snapshot.to_dict() or {}), "id": task_id})


def _recipient(data: TenantData, task: RemoteTask) -> tuple[str, str]:
    """Name and address; sealed for a pseudonymised client, opened only to send."""
    if task.contact_sealed is None:
        return task.contact_name, task.contact_email
    return open_contact(data, f"{REMOTE_TASKS}/{task.id}", task.contact_sealed)


def end_of_day(moment: datetime) -> datetime:
    """The link works through the date the e-mail names, in Copenhagen time."""
    local = moment.astimezone(ZONE)
    return datetime.combine(local.date(), time(23, 59, 59), ZONE).astimezone(UTC)


BUTTON = {Locale.DA: "Åbn opgaven", Locale.EN: "Open the task"}


def message(
    data: TenantData, task: RemoteTask, tenant: TenantDocument, *, reminder: bool = False
) -> MessageRequest:
    """The task's e-mail (or its reminder) with the link of its current version, rendered:
    who asks and why, a button to the link (the URL below it), the expiry and the help."""
    name, address = _recipient(data, task)
    expires = int(task.link_expires_at.timestamp())
    token = links.sign(links.Link(data.tenant_id, task.id, task.link_version, expires))
    template = "remote_task_reminder" if reminder else "remote_task"
    content = MAIL.render(
        template,
        task.locale,
        {
            "name": name,
            "tenant_name": tenant.display_name,
            "who": presenting.who(task, task.locale),
            "exercise_title": task.exercise_title,
            "purpose": task.exercise_purpose,
            "button": BUTTON[task.locale],
            "link": get_settings().remote_task_page_url + token,
            "expires": long_date(task.link_expires_at, task.locale),
            "help": presenting.help_address(tenant.privacy, task),
        },
    )
    return outbox.email_request(
        data,
        message_id=message_id(task.id, task.link_version, reminder=reminder),
        to=address,
        kind=template,
        content=content,
        locale=task.locale,
        requested_by=task.created_by,
        client_id=task.client_id,
    )


def schedule_reminder(
    data: TenantData, tasks: list[RemoteTask], start: datetime, delay_days: int | None
) -> None:
    """One Cloud Task reminds every contact person of a send (named by its first task)."""
    if delay_days is None or not tasks:
        return
    body = Reminder(
        tenant_id=data.tenant_id,
        tasks=[TaskVersion(task_id=t.id, version=t.link_version) for t in tasks],
    )
    first = tasks[0]
    schedule_call(
        get_settings().queue("reminder_queue"),
        body.model_dump_json().encode(),
        start + timedelta(days=delay_days),
        f"remind-{first.id}-v{first.link_version}",
    )


def send(
    me: Principal,
    data: TenantData,
    ref: ItemRef,
    chosen: list[int] | None,
    send_at: datetime | None,
) -> list[RemoteTask]:
    """One remote task per chosen contact person, each with its own link and e-mail.

    The tasks, their e-mails' records and their log entries are written in batched
    commits, then every e-mail is published at once (or released together at `send_at`)
    and one reminder is scheduled for them all: a class's worth of parents costs a few
    round trips, not a few per parent.
    """
    outbox.require_approved(data, Channel.EMAIL)  # before anything is written
    item = get_course(data, ref.client_id, ref.course_ref).item(ref.item_id)
    tenant = load(data)  # once for the whole fan-out
    require_privacy_notice(tenant)
    exercise = licensed_exercise(data, item.exercise_id, tenant.focus_areas)
    if isinstance(exercise.content, VrFilm):
        raise NotRemote("A VR film is shown with a headset, not sent by e-mail")
    client = load_for_change(data, ref.client_id)
    contacts = contacts_of(data, ref.client_id, client)
    indexes = chosen if chosen is not None else list(range(len(contacts)))
    if any(index < 0 or index >= len(contacts) for index in indexes):
        raise errors.ValidationFailed(
            "No such contact person", errors=[{"field": "contacts", "message": "unknown index"}]
        )
    recipients = [contacts[i] for i in dict.fromkeys(indexes) if contacts[i].email]
    if not recipients:
        raise errors.ValidationFailed(
            "None of the chosen contact persons has an e-mail address",
            errors=[{"field": "contacts", "message": "no e-mail"}],
        )
    now = datetime.now(UTC)
    later = send_at if send_at is not None and send_at > now else None
    start = later or now
    prefs = tenant.remote_tasks
    expires = end_of_day(start + timedelta(days=prefs.link_days))
    hidden = bool(client.get("pseudonymised"))
    asking = _sender(me, data)  # a pseudonymised client's professional is still named

    def task_for(index: int, contact: ContactPerson) -> RemoteTask:
        task_id = new_id(f"remote-task-{index}")  # the same in a retry's re-run
        sealed = None
        if hidden:  # the contact person identifies the client: keep them sealed too
            context = f"{REMOTE_TASKS}/{task_id}"
            sealed = seal_contact(data, context, contact.name, str(contact.email))
        return RemoteTask(
            id=task_id,
            client_id=ref.client_id,
            course_ref=ref.course_ref,
            item_id=ref.item_id,
            exercise_id=item.exercise_id,
            exercise_title=exercise.title,
            exercise_purpose=exercise.purpose,
            contact_name=HIDDEN if hidden else contact.name,
            contact_email="" if hidden else str(contact.email),
            contact_sealed=sealed,
            status=Status.SCHEDULED if later else Status.SENT,
            locale=contact.language or tenant.locale,
            link_version=1,
            link_expires_at=expires,
            created_by=me.uid,
            created_at=now,
            sender=asking,
            send_at=later,
        )

    planned = [task_for(n, contact) for n, contact in enumerate(recipients)]
    # A re-run after a crash (same Idempotency-Key, so the same ids) keeps what the first
    # run committed: those recipients' tasks, e-mails and log entries are not written again.
    stored = {
        s.id: RemoteTask.model_validate({**(s.to_dict() or {}), "id": s.id})
        for s in data.db.get_all([data.document(REMOTE_TASKS, t.id) for t in planned])
        if s.exists
    }
    tasks = [stored.get(task.id, task) for task in planned]
    mails = [message(data, task, tenant) for task in tasks]
    # A recipient's three writes never straddle two commits, and each commit's e-mails are
    # handed on as soon as it holds: a failure later leaves no task without its e-mail.
    # Delivery is keyed on the message id, so handing on again an e-mail that a dead first
    # run had handed on already sends it once.
    per_batch = BATCH_WRITES // 3
    for first in range(0, len(tasks), per_batch):
        batch, fresh = data.db.batch(), []
        for task, mail in zip(
            tasks[first : first + per_batch], mails[first : first + per_batch], strict=True
        ):
            if task.id in stored:
                continue
            fresh.append(mail)
            batch.create(data.document(REMOTE_TASKS, task.id), task.model_dump(exclude={"id"}))
            batch.create(data.document(MESSAGES, mail.id), outbox.queued(mail, later))
            batch.create(
                *task_event(data, task, "sent", me.uid, details={"scheduled": later is not None})
            )
        crash_point("sending.before_commit")
        queued_at = {}
        if fresh:
            results = batch.commit()
            outbox.recorded(fresh)
            # Each fresh mail's record is the second of its recipient's three writes.
            queued_at = {m.id: results[3 * n + 1].update_time for n, m in enumerate(fresh)}
        crash_point("sending.after_commit")
        outbox.dispatch(mails[first : first + per_batch], later, queued_at)
        crash_point("sending.after_dispatch")
    schedule_reminder(data, tasks, start, prefs.reminder_days)
    crash_point("sending.after_reminder")
    mark_sent(me.uid, data, ref)
    crash_point("sending.after_mark_sent")
    return tasks


def for_client(data: TenantData, client_id: str) -> list[RemoteTask]:
    load_document(data, client_id)
    query = data.collection(REMOTE_TASKS).where("client_id", "==", client_id)
    return sorted(
        (RemoteTask.model_validate({**(s.to_dict() or {}), "id": s.id}) for s in query.get()),
        key=lambda t: t.created_at,
    )


def _open_task(ref: Any, transaction: firestore.Transaction) -> RemoteTask:
    """The task, read in the transaction, if it still waits for its answer."""
    snapshot = ref.get(transaction=transaction)
    if not snapshot.exists:
        raise errors.NotFound("No such remote task")
    task = RemoteTask.model_validate({**(snapshot.to_dict() or {}), "id": snapshot.id})
    if task.status not in OPEN:
        raise errors.InvalidTransition(f"The task is {task.status}")
    return task


def resend(me: Principal, data: TenantData, task_id: str) -> RemoteTask:
    """A new e-mail with a new link; the old link stops working."""
    outbox.require_approved(data, Channel.EMAIL)  # before anything is written
    ref = data.document(REMOTE_TASKS, task_id)
    tenant = load(data)
    require_privacy_notice(tenant)
    expires = end_of_day(datetime.now(UTC) + timedelta(days=tenant.remote_tasks.link_days))

    @firestore.transactional
    def bump(transaction: firestore.Transaction) -> RemoteTask:
        task = _open_task(ref, transaction)
        load_for_change(data, task.client_id, transaction)  # no new e-mail while restricted
        task.link_version += 1
        task.link_expires_at = expires
        task.status = Status.SENT if task.status is Status.SCHEDULED else task.status
        transaction.update(
            ref,
            {
                "link_version": task.link_version,
                "link_expires_at": expires,
                "status": task.status.value,
            },
        )
        return task

    task: RemoteTask = bump(data.db.transaction())
    withdraw(data, message_id(task.id, task.link_version - 1), "a newer link was sent")
    outbox.request_message(data, message(data, task, tenant))
    schedule_reminder(data, [task], datetime.now(UTC), tenant.remote_tasks.reminder_days)
    log_task(data, task, "resent", me.uid)
    return task


def withdraw(data: TenantData, message: str, reason: str) -> None:
    """A message not yet sent (e.g. a scheduled send) is not sent at all."""
    ref = data.document(MESSAGES, message)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> None:
        snapshot = ref.get(transaction=transaction)
        if snapshot.exists and (snapshot.to_dict() or {}).get("state") == MessageState.QUEUED:
            transaction.update(
                ref,
                {
                    "state": MessageState.FAILED.value,
                    "failure_reason": f"withdrawn: {reason}",
                    "updated_at": datetime.now(UTC),
                },
            )

    apply(data.db.transaction())


def cancel(me: Principal, data: TenantData, task_id: str) -> RemoteTask:
    ref = data.document(REMOTE_TASKS, task_id)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> RemoteTask:
        task = _open_task(ref, transaction)
        task.status, task.cancelled_at = Status.CANCELLED, datetime.now(UTC)
        transaction.update(ref, {"status": task.status.value, "cancelled_at": task.cancelled_at})
        return task

    task: RemoteTask = apply(data.db.transaction())
    withdraw(data, message_id(task.id, task.link_version), "the remote task was cancelled")
    log_task(data, task, "cancelled", me.uid)
    return task
