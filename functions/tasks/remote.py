"""Remote tasks: an exercise sent to a client's contact persons by e-mail link
(SPEC R-1, R-2, R-4).

One remote task per contact person. Its link is a signed token (links.py) naming the
task and a link version; resending raises the version, cancelling or answering ends
the task. A Cloud Task reminds the contact after the tenant's reminder delay when the
task is still unanswered. The answer is saved exactly once, in a transaction, and is
also performed on the client's course so the professional sees it there.
"""

from __future__ import annotations

import contextlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Self
from zoneinfo import ZoneInfo

from google.cloud import firestore
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from functions.clients import catalogue, clients, courses
from functions.clients.catalogue import Kind
from functions.clients.models import ContactPerson
from functions.tasks import links
from shared import crypto, errors
from shared.events import record_event
from shared.gcp import firestore_client, schedule_call
from shared.maintenance import RATE_LIMITS
from shared.messaging.models import MESSAGES, Channel, Locale, MessageState
from shared.messaging.outbox import request_message
from shared.principal import Principal, TenantStatus
from shared.settings import get_settings
from shared.tenancy import TenantData

REMOTE_TASKS = "remote_tasks"
PAGE_FUNCTION = "remote_task_page"
REMIND_FUNCTION = "remind_remote_task"
# Opening a link: per token and per address, per hour.
TOKEN_LIMIT, ADDRESS_LIMIT = 30, 300
MAX_DELAY = timedelta(days=25)
ZONE = ZoneInfo("Europe/Copenhagen")
MONTHS = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)


class Status(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    OPENED = "opened"
    ANSWERED = "answered"
    CANCELLED = "cancelled"


OPEN = (Status.SCHEDULED, Status.SENT, Status.OPENED)


class RemoteTaskSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    link_days: int = Field(default=14, ge=1, le=60)
    reminder_days: int | None = Field(default=3, ge=1, le=30)  # None: no reminders

    @model_validator(mode="after")
    def _remind_while_the_link_works(self) -> Self:
        if self.reminder_days is not None and self.reminder_days >= self.link_days:
            raise ValueError("reminder_days must be fewer than link_days")
        return self


class SendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contacts: list[int] | None = Field(default=None, description="indexes; default: all")
    send_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _within_reach(self) -> Self:
        # Cloud Tasks schedules at most 30 days ahead.
        if self.send_at is not None and self.send_at > datetime.now(UTC) + MAX_DELAY:
            raise ValueError(f"send_at is more than {MAX_DELAY.days} days ahead")
        return self


class RemoteTask(BaseModel):
    id: str
    client_id: str
    course_ref: str
    item_id: str
    exercise_id: str
    exercise_title: str
    contact_name: str
    contact_email: str  # "" for a pseudonymised client: the address is sealed instead
    contact_sealed: str | None = None
    status: Status
    locale: Locale = Locale.DA  # the language of the e-mail and of the page behind it
    link_version: int
    link_expires_at: datetime
    created_by: str
    created_at: datetime
    send_at: datetime | None = None
    opened_at: datetime | None = None
    answered_at: datetime | None = None
    cancelled_at: datetime | None = None
    reminded_at: datetime | None = None
    answer: dict[str, Any] | None = None


class NotRemote(errors.ApiError):
    status, code = 422, "not_remote"
    title = "This exercise cannot be sent as a remote task"


class LinkRefused(Exception):
    """Why a link does not open: one of the pages in page.py."""

    def __init__(self, page: str, locale: Locale = Locale.DA) -> None:
        super().__init__(page)
        self.page = page
        self.locale = locale


def settings_for(data: TenantData) -> RemoteTaskSettings:
    return _sender(data)[1]


def _sender(data: TenantData) -> tuple[str, RemoteTaskSettings]:
    """The tenant's name (signs the e-mails) and remote-task settings, in one read."""
    tenant = data.root.get().to_dict() or {}
    settings = RemoteTaskSettings.model_validate(tenant.get("remote_tasks") or {})
    return str(tenant.get("display_name", "")), settings


def change_settings(me: Principal, data: TenantData, body: RemoteTaskSettings) -> None:
    data.root.update({"remote_tasks": body.model_dump()})
    record_event(
        data,
        actor=me.uid,
        action="tenant.remote_task_settings_changed",
        subject="tenant",
        details=body.model_dump(),
    )


def _danish_date(moment: datetime) -> str:
    local = moment.astimezone(ZONE)
    return f"{local.day}. {MONTHS[local.month - 1]} {local.year}"


def get(data: TenantData, task_id: str) -> RemoteTask:
    snapshot = data.document(REMOTE_TASKS, task_id).get()
    if not snapshot.exists:
        raise errors.NotFound("No such remote task")
    return RemoteTask.model_validate({**(snapshot.to_dict() or {}), "id": task_id})


def _link_url(token: str) -> str:
    return get_settings().function_url(PAGE_FUNCTION) + token


def _contact_context(data: TenantData, task_id: str) -> str:
    return f"{data.tenant_id}/{REMOTE_TASKS}/{task_id}"


def _recipient(data: TenantData, task: RemoteTask) -> tuple[str, str]:
    """Name and address; sealed for a pseudonymised client, opened only to send."""
    if task.contact_sealed is None:
        return task.contact_name, task.contact_email
    contact = json.loads(
        crypto.open_sealed(data, task.contact_sealed, _contact_context(data, task.id))
    )
    return str(contact["name"]), str(contact["email"])


def _end_of_day(moment: datetime) -> datetime:
    """The link works through the date the e-mail names, in Copenhagen time."""
    local = moment.astimezone(ZONE)
    return datetime.combine(local.date(), time(23, 59, 59), ZONE).astimezone(UTC)


def _email(
    data: TenantData,
    task: RemoteTask,
    template: str,
    message_id: str,
    tenant_name: str,
    send_at: datetime | None = None,
) -> None:
    name, email = _recipient(data, task)
    token = links.sign(
        links.Link(
            data.tenant_id, task.id, task.link_version, int(task.link_expires_at.timestamp())
        )
    )
    request_message(
        data,
        message_id=message_id,
        channel=Channel.EMAIL,
        to=email,
        template=template,
        send_at=send_at,
        requested_by=task.created_by,
        locale=task.locale,
        params={
            "name": name,
            "tenant_name": tenant_name,
            "exercise_title": task.exercise_title,
            "link": _link_url(token),
            "expires": _danish_date(task.link_expires_at),
        },
    )


def _schedule_reminder(
    data: TenantData, task: RemoteTask, start: datetime, delay_days: int | None
) -> None:
    if delay_days is None:
        return
    body = Reminder(tenant_id=data.tenant_id, task_id=task.id, version=task.link_version)
    schedule_call(
        get_settings().remote_task_queue,
        REMIND_FUNCTION,
        body.model_dump_json().encode(),
        start + timedelta(days=delay_days),
        f"remind-{task.id}-v{task.link_version}",
    )


# -- the professional's side --------------------------------------------------------------------


def send(
    me: Principal,
    data: TenantData,
    client_id: str,
    course_ref: str,
    item_id: str,
    body: SendRequest,
) -> list[RemoteTask]:
    """One remote task per chosen contact person, each with its own link and e-mail."""
    course = courses.get(data, client_id, course_ref)
    item = next((i for i in course["items"] if i["id"] == item_id), None)
    if item is None:
        raise errors.NotFound("No such exercise in this course")
    exercise = catalogue.get_item(data, Kind.EXERCISES, item["exercise_id"])
    if exercise["content"]["kind"] == "vr_film":
        raise NotRemote("A VR film is shown with a headset, not sent by e-mail")
    contacts = clients.contacts_of(data, client_id)
    chosen = body.contacts if body.contacts is not None else list(range(len(contacts)))
    if any(index < 0 or index >= len(contacts) for index in chosen):
        raise errors.ValidationFailed(
            "No such contact person", errors=[{"field": "contacts", "message": "unknown index"}]
        )
    recipients = [contacts[i] for i in dict.fromkeys(chosen) if contacts[i].email]
    if not recipients:
        raise errors.ValidationFailed(
            "None of the chosen contact persons has an e-mail address",
            errors=[{"field": "contacts", "message": "no e-mail"}],
        )
    now = datetime.now(UTC)
    later = body.send_at if body.send_at is not None and body.send_at > now else None
    start = later or now
    tenant_name, settings = _sender(data)  # once for the whole fan-out
    expires = _end_of_day(start + timedelta(days=settings.link_days))
    hidden = bool(clients.load_document(data, client_id).get("pseudonymised"))

    def one(contact: ContactPerson) -> RemoteTask:
        ref = data.collection(REMOTE_TASKS).document()
        sealed = None
        if hidden:  # the contact person identifies the client: keep them sealed too
            plain = json.dumps({"name": contact.name, "email": str(contact.email)}).encode()
            sealed = crypto.seal(data, plain, _contact_context(data, ref.id))
        task = RemoteTask(
            id=ref.id,
            client_id=client_id,
            course_ref=course_ref,
            item_id=item_id,
            exercise_id=item["exercise_id"],
            exercise_title=exercise["title"],
            contact_name=clients.HIDDEN if hidden else contact.name,
            contact_email="" if hidden else str(contact.email),
            contact_sealed=sealed,
            status=Status.SCHEDULED if later else Status.SENT,
            link_version=1,
            link_expires_at=expires,
            created_by=me.uid,
            created_at=now,
            send_at=later,
        )
        ref.create(task.model_dump(exclude={"id"}))
        _email(data, task, "remote_task", f"rt-{task.id}-v1", tenant_name, send_at=later)
        _schedule_reminder(data, task, start, settings.reminder_days)
        record_event(
            data,
            actor=me.uid,
            action="remote_task.sent",
            subject=f"{REMOTE_TASKS}/{task.id}",
            client_id=client_id,
            exercise_id=task.exercise_id,
            details={"scheduled": later is not None},
        )
        return task

    # Each contact person is independent: a class's worth of parents goes out in parallel.
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(one, recipients))
    courses.change_item(me.uid, data, client_id, course_ref, item_id, "mark_sent")
    return created


def for_client(data: TenantData, client_id: str) -> list[RemoteTask]:
    clients.load_document(data, client_id)
    query = data.collection(REMOTE_TASKS).where("client_id", "==", client_id)
    return sorted(
        (RemoteTask.model_validate({**(s.to_dict() or {}), "id": s.id}) for s in query.get()),
        key=lambda t: t.created_at,
    )


def resend(me: Principal, data: TenantData, task_id: str) -> RemoteTask:
    """A new e-mail with a new link; the old link stops working."""
    ref = data.document(REMOTE_TASKS, task_id)
    tenant_name, settings = _sender(data)
    expires = _end_of_day(datetime.now(UTC) + timedelta(days=settings.link_days))

    @firestore.transactional
    def bump(transaction: firestore.Transaction) -> RemoteTask:
        task = RemoteTask.model_validate(
            {**(ref.get(transaction=transaction).to_dict() or {}), "id": task_id}
        )
        if task.status not in OPEN:
            raise errors.InvalidTransition(f"The task is {task.status}")
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

    get(data, task_id)
    task: RemoteTask = bump(data.db.transaction())
    _withdraw(data, f"rt-{task.id}-v{task.link_version - 1}", "a newer link was sent")
    _email(data, task, "remote_task", f"rt-{task.id}-v{task.link_version}", tenant_name)
    _schedule_reminder(data, task, datetime.now(UTC), settings.reminder_days)
    record_event(
        data,
        actor=me.uid,
        action="remote_task.resent",
        subject=f"{REMOTE_TASKS}/{task_id}",
        client_id=task.client_id,
        exercise_id=task.exercise_id,
    )
    return task


def _withdraw(data: TenantData, message_id: str, reason: str) -> None:
    """A message not yet sent (e.g. a scheduled send) is not sent at all."""
    ref = data.document(MESSAGES, message_id)

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
        task = RemoteTask.model_validate(
            {**(ref.get(transaction=transaction).to_dict() or {}), "id": task_id}
        )
        if task.status not in OPEN:
            raise errors.InvalidTransition(f"The task is {task.status}")
        task.status, task.cancelled_at = Status.CANCELLED, datetime.now(UTC)
        transaction.update(ref, {"status": task.status.value, "cancelled_at": task.cancelled_at})
        return task

    get(data, task_id)
    task: RemoteTask = apply(data.db.transaction())
    _withdraw(data, f"rt-{task.id}-v{task.link_version}", "the remote task was cancelled")
    record_event(
        data,
        actor=me.uid,
        action="remote_task.cancelled",
        subject=f"{REMOTE_TASKS}/{task_id}",
        client_id=task.client_id,
        exercise_id=task.exercise_id,
    )
    return task


# -- the contact person's side (no sign-in: the link is the key) ---------------------------------


def _count(key: str, limit: int) -> bool:
    """Count one request against `key` in the current hour; False when over the limit."""
    hour = datetime.now(UTC).strftime("%Y%m%d%H")
    ref = firestore_client().collection(RATE_LIMITS).document(f"{key}-{hour}")

    @firestore.transactional
    def bump(transaction: firestore.Transaction) -> bool:
        count = int((ref.get(transaction=transaction).to_dict() or {}).get("count", 0))
        if count >= limit:
            return False
        transaction.set(
            ref, {"count": count + 1, "expires_at": datetime.now(UTC) + timedelta(hours=2)}
        )
        return True

    result: bool = bump(firestore_client().transaction())
    return result


def resolve(token: str, address: str) -> tuple[TenantData, RemoteTask, dict[str, Any]]:
    """The task and exercise a link opens, or LinkRefused naming the page to show."""
    if not _count(f"address-{links.fingerprint(address)}", ADDRESS_LIMIT):
        raise LinkRefused("rate_limited")
    try:
        link = links.verify(token)
    except links.BadLink as bad:
        raise LinkRefused(bad.reason) from None
    # Keyed on what the token names, not its spelling.
    if not _count(
        links.fingerprint(f"{link.tenant_id}/{link.task_id}/{link.version}"), TOKEN_LIMIT
    ):
        raise LinkRefused("rate_limited")
    data = TenantData(firestore_client(), link.tenant_id)
    tenant = data.root.get().to_dict() or {}
    if tenant.get("status") != TenantStatus.ACTIVE:
        raise LinkRefused("unavailable")  # suspended or ended: nothing opens, nothing lost
    snapshot = data.document(REMOTE_TASKS, link.task_id).get()
    if not snapshot.exists:
        raise LinkRefused("gone")
    task = RemoteTask.model_validate({**(snapshot.to_dict() or {}), "id": snapshot.id})
    if link.version != task.link_version:
        raise LinkRefused("replaced")
    if task.status is Status.CANCELLED:
        raise LinkRefused("cancelled")
    if task.status is Status.ANSWERED:
        raise LinkRefused("answered")
    exercise = catalogue_item(task.exercise_id)
    return data, task, exercise


def catalogue_item(exercise_id: str) -> dict[str, Any]:
    """The exercise itself (the link was licensed when it was sent)."""
    snapshot = (
        firestore_client()
        .collection(catalogue.collection_name(Kind.EXERCISES))
        .document(exercise_id)
        .get()
    )
    if not snapshot.exists:
        raise LinkRefused("gone")
    return {"id": exercise_id, **(snapshot.to_dict() or {})}


def opened(data: TenantData, task: RemoteTask) -> None:
    """The first opening is logged (sent, opened, answered: SPEC R-2)."""
    ref = data.document(REMOTE_TASKS, task.id)

    @firestore.transactional
    def mark(transaction: firestore.Transaction) -> bool:
        current = ref.get(transaction=transaction).to_dict() or {}
        # Only a task still waiting for its answer becomes "opened", never one that a
        # cancel or an answer changed a moment ago.
        waiting = current.get("status") in (Status.SCHEDULED, Status.SENT)
        if not waiting or current.get("link_version") != task.link_version:
            return False
        transaction.update(ref, {"opened_at": datetime.now(UTC), "status": Status.OPENED.value})
        return True

    if mark(data.db.transaction()):
        record_event(
            data,
            actor=f"contact:{task.id}",
            action="remote_task.opened",
            subject=f"{REMOTE_TASKS}/{task.id}",
            client_id=task.client_id,
            exercise_id=task.exercise_id,
        )


def answer(
    data: TenantData, task: RemoteTask, exercise: dict[str, Any], answers: dict[str, Any]
) -> RemoteTask:
    """Save the answer exactly once; a second answer changes nothing."""
    checked = catalogue.validate_answers(exercise, answers)
    ref = data.document(REMOTE_TASKS, task.id)
    now = datetime.now(UTC)

    @firestore.transactional
    def save(transaction: firestore.Transaction) -> None:
        current = ref.get(transaction=transaction).to_dict() or {}
        if current.get("status") == Status.ANSWERED:
            raise LinkRefused("answered")
        if current.get("status") == Status.CANCELLED:
            raise LinkRefused("cancelled")
        if current.get("link_version") != task.link_version:
            raise LinkRefused("replaced")
        transaction.update(
            ref, {"status": Status.ANSWERED.value, "answer": checked, "answered_at": now}
        )

    save(data.db.transaction())
    actor = f"contact:{task.id}"
    record_event(
        data,
        actor=actor,
        action="remote_task.answered",
        subject=f"{REMOTE_TASKS}/{task.id}",
        client_id=task.client_id,
        exercise_id=task.exercise_id,
    )
    with contextlib.suppress(errors.ApiError):  # the course may have changed meanwhile
        course = courses.get(data, task.client_id, task.course_ref)
        item = next((i for i in course["items"] if i["id"] == task.item_id), None)
        if item is None or item["status"] == courses.PERFORMED:
            return answered_task(task, checked, now)  # the first answer stays on the course
        courses.change_item(
            actor,
            data,
            task.client_id,
            task.course_ref,
            task.item_id,
            "perform",
            checked,
            expected_exercise=task.exercise_id,
        )
    return answered_task(task, checked, now)


def answered_task(task: RemoteTask, answer: dict[str, Any], at: datetime) -> RemoteTask:
    return task.model_copy(update={"status": Status.ANSWERED, "answer": answer, "answered_at": at})


# -- reminders (R-4) ---------------------------------------------------------------------------


class Reminder(BaseModel):
    tenant_id: str = Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
    task_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,128}$")
    version: int = Field(ge=1)


def remind(reminder: Reminder) -> bool:
    """Remind once if the task is still unanswered; True if an e-mail was requested."""
    data = TenantData(firestore_client(), reminder.tenant_id)
    snapshot = data.document(REMOTE_TASKS, reminder.task_id).get()
    if not snapshot.exists:
        return False
    task = RemoteTask.model_validate({**(snapshot.to_dict() or {}), "id": snapshot.id})
    if task.status not in OPEN or task.link_version != reminder.version:
        return False  # answered, cancelled or resent since: nothing to remind of
    tenant = data.root.get().to_dict() or {}
    if tenant.get("status") != TenantStatus.ACTIVE:  # also a tenant that no longer exists
        return False
    # The message id makes a reminder delivered twice send one e-mail.
    _email(
        data,
        task,
        "remote_task_reminder",
        f"rt-{task.id}-v{task.link_version}-reminder",
        str(tenant.get("display_name", "")),
    )
    data.document(REMOTE_TASKS, task.id).update({"reminded_at": datetime.now(UTC)})
    record_event(
        data,
        actor="system",
        action="remote_task.reminded",
        subject=f"{REMOTE_TASKS}/{task.id}",
        client_id=task.client_id,
        exercise_id=task.exercise_id,
        event_id=f"rt-{task.id}-v{task.link_version}-reminded",  # once, however delivered
    )
    return True
