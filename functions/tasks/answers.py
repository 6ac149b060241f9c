"""The contact person's side of a remote task: no sign-in, the link is the key (SPEC R-2).

A link opens only its own task's exercise, and only while the task waits for its
answer. The answer is saved exactly once, in a transaction, and is also performed
on the client's course, where the first answer stays.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from google.api_core.exceptions import FailedPrecondition

from functions.tasks import links
from functions.tasks.log import contact_actor, log_task
from functions.tasks.models import LinkRefused, RemoteTask, Status
from shared import errors, ratelimit
from shared.catalogue import ExerciseItem, Kind, read, validate_answers
from shared.client_data import REMOTE_TASKS
from shared.courses import ItemRef, perform
from shared.gcp import firestore_client
from shared.tenancy import TenantData
from shared.tenants import active_or_none

# Opening a link: per token and per address, per hour.
TOKEN_LIMIT, ADDRESS_LIMIT = 30, 300
# A save that loses to another write this often gives up (the page says: try again).
SAVE_ATTEMPTS = 5


def resolve(token: str, address: str) -> tuple[TenantData, RemoteTask, ExerciseItem]:
    """The task and exercise a link opens, or LinkRefused naming the page to show."""
    if not ratelimit.allow(f"address-{links.fingerprint(address)}", ADDRESS_LIMIT):
        raise LinkRefused("rate_limited")
    try:
        link = links.verify(token)
    except links.BadLink as bad:
        raise LinkRefused(bad.reason) from None
    # Keyed on what the token names, not its spelling.
    named = links.fingerprint(f"{link.tenant_id}/{link.task_id}/{link.version}")
    if not ratelimit.allow(named, TOKEN_LIMIT):
        raise LinkRefused("rate_limited")
    data = TenantData(firestore_client(), link.tenant_id)
    if active_or_none(data) is None:
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
    # The exercise itself: the link was licensed when it was sent.
    exercise = read(Kind.EXERCISES, task.exercise_id, ExerciseItem)
    if exercise is None:
        raise LinkRefused("gone")
    return data, task, exercise


def opened(data: TenantData, task: RemoteTask) -> None:
    """The first opening is logged (sent, opened, answered: SPEC R-2)."""
    ref = data.document(REMOTE_TASKS, task.id)

    snapshot = ref.get()
    current = snapshot.to_dict() or {}
    # Only a task still waiting for its answer becomes "opened", never one that a cancel
    # or an answer changed a moment ago (the write holds only if nobody wrote since).
    waiting = current.get("status") in (Status.SCHEDULED, Status.SENT)
    if not waiting or current.get("link_version") != task.link_version:
        return
    try:
        ref.update(
            {"opened_at": datetime.now(UTC), "status": Status.OPENED.value},
            option=data.db.write_option(last_update_time=snapshot.update_time),
        )
    except FailedPrecondition:  # opened (or answered) by another request meanwhile
        return
    log_task(data, task, "opened", contact_actor(task))


def answer(
    data: TenantData, task: RemoteTask, exercise: ExerciseItem, answers: dict[str, Any]
) -> RemoteTask:
    """Save the answer exactly once; a second answer changes nothing."""
    checked = validate_answers(exercise, answers)
    ref = data.document(REMOTE_TASKS, task.id)
    now = datetime.now(UTC)

    answered = {"status": Status.ANSWERED.value, "answer": checked, "answered_at": now}
    # Read, decide, then write only if nobody wrote in between (no transaction: a dozen
    # answers at once must not queue on a lock): the first write wins, every other one
    # reads again and finds the task answered.
    for _ in range(SAVE_ATTEMPTS):
        snapshot = ref.get()
        current = snapshot.to_dict() or {}
        if current.get("status") == Status.ANSWERED:
            raise LinkRefused("answered")
        if current.get("status") == Status.CANCELLED:
            raise LinkRefused("cancelled")
        if current.get("link_version") != task.link_version:
            raise LinkRefused("replaced")
        try:
            ref.update(answered, option=data.db.write_option(last_update_time=snapshot.update_time))
            break
        except FailedPrecondition:
            continue
    else:
        raise LinkRefused("failed")  # kept changing under us: nothing saved, try again
    actor = contact_actor(task)
    log_task(data, task, "answered", actor)
    item_ref = ItemRef(task.client_id, task.course_ref, task.item_id)
    # The first answer stays on the course (AlreadyPerformed); the course may also have
    # changed meanwhile (the exercise replaced or removed): the task keeps its answer.
    with contextlib.suppress(errors.ApiError):
        perform(actor, data, item_ref, checked, exercise)
    return task.model_copy(
        update={"status": Status.ANSWERED, "answer": checked, "answered_at": now}
    )
