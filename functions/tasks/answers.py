"""The contact person's side of a remote task: no sign-in, the link is the key (SPEC R-2).

A link opens only its own task's exercise, and only while the task waits for its
answer, and never while its client is restricted (`client_restricted` elsewhere; here
the "unavailable" page). Opening costs three round trips: one read of the tenant, the
task, the tenant's logo and both rate limits' counters; the exercise and the client's
document (for a restriction), read at the same time; and one commit of the counts, the "opened" mark
and its log entry. The answer is saved exactly once (a write that holds
only if nobody wrote in between: of a dozen at once the first wins), and is also
performed on the client's course, where the first answer stays.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.api_core.exceptions import FailedPrecondition
from google.api_core.exceptions import NotFound as GoogleNotFound

from functions.tasks import links, logo, presenting
from functions.tasks.log import contact_actor, task_event
from functions.tasks.models import LinkRefused, RemoteTask, Status
from shared import errors, ratelimit
from shared.catalogue import ExerciseItem, Kind, collection_name, validate_answers
from shared.client_data import REMOTE_TASKS
from shared.clients import CLIENTS, touch
from shared.courses import ItemRef, perform
from shared.gcp import firestore_client
from shared.tenancy import TenantData
from shared.tenants import TenantDocument, TenantStatus, from_snapshot

# Opening a link: per token and per address, per hour.
TOKEN_LIMIT, ADDRESS_LIMIT = 30, 300
# A save that loses to another write this often gives up (the page says: try again).
SAVE_ATTEMPTS = 5


@dataclass
class Opening:
    """A link that opens: what it names, as read, and the counts still to be written."""

    data: TenantData
    tenant: TenantDocument
    task: RemoteTask
    read_at: Any  # the task's update time when read
    logo: str  # the organisation's logo (a data: URI) or ""
    limits: list[str]  # rate-limit keys this request counts against
    _exercise: ExerciseItem | None = field(repr=False)

    @property
    def exercise(self) -> ExerciseItem:
        if self._exercise is None:  # removed from the catalogue since it was sent
            raise LinkRefused("gone")
        return self._exercise


def resolve(token: str, address: str) -> Opening:
    """The task and exercise a link opens, or LinkRefused naming the page to show."""
    by_address = f"address-{ratelimit.fingerprint(address)}"
    try:
        link = links.verify(token)
    except links.BadLink as bad:
        ratelimit.allow(by_address, ADDRESS_LIMIT)  # guesses count against the address too
        raise LinkRefused(bad.reason) from None
    # Keyed on what the token names, not its spelling.
    by_link = ratelimit.fingerprint(f"{link.tenant_id}/{link.task_id}/{link.version}")
    data = TenantData(firestore_client(), link.tenant_id)
    task_ref = data.document(REMOTE_TASKS, link.task_id)
    logo_ref = logo.logo_ref(data)  # read in the same batch: no round trip of its own
    address_shards, link_shards = ratelimit.shards(by_address), ratelimit.shards(by_link)
    found = {
        s.reference.path: s
        for s in data.db.get_all([data.root, task_ref, logo_ref, *address_shards, *link_shards])
    }
    shown_logo = logo.data_uri(found[logo_ref.path])
    if ratelimit.counted([found[r.path] for r in address_shards]) >= ADDRESS_LIMIT or (
        ratelimit.counted([found[r.path] for r in link_shards]) >= TOKEN_LIMIT
    ):
        raise LinkRefused("rate_limited")
    tenant_snapshot = found[data.root.path]
    tenant = from_snapshot(tenant_snapshot) if tenant_snapshot.exists else None
    if tenant is None or tenant.status != TenantStatus.ACTIVE:
        _count([by_address, by_link])
        raise LinkRefused("unavailable")  # suspended or ended: nothing opens, nothing lost
    snapshot = found[task_ref.path]
    refusal = _refusal(snapshot, link.version)
    if refusal is not None:
        _count([by_address, by_link])
        raise LinkRefused(refusal, _asker_of(tenant, snapshot, refusal, shown_logo))
    task = RemoteTask.model_validate({**(snapshot.to_dict() or {}), "id": snapshot.id})
    # The exercise (the link was licensed when it was sent) and the client, in one round
    # trip: a restricted client (GDPR Art. 18) is not processed, so the link neither opens
    # nor takes an answer until the restriction is lifted (then the same link works again).
    exercise_ref = data.db.collection(collection_name(Kind.EXERCISES)).document(task.exercise_id)
    client_ref = data.document(CLIENTS, task.client_id)
    read = {s.reference.path: s for s in data.db.get_all([exercise_ref, client_ref])}
    client, stored = read[client_ref.path], read[exercise_ref.path]
    if (client.to_dict() or {}).get("restriction"):
        _count([by_address, by_link])
        raise LinkRefused("unavailable")
    exercise = (
        ExerciseItem.model_validate({**(stored.to_dict() or {}), "id": stored.id})
        if stored.exists
        else None
    )
    limits = [by_address, by_link]
    return Opening(data, tenant, task, snapshot.update_time, shown_logo, limits, exercise)


def _asker_of(
    tenant: TenantDocument, snapshot: Any, refusal: str, shown_logo: str
) -> presenting.Asker | None:
    """Who sent the task a refused link named, so the page can say whom to ask; nobody for
    a task that is gone (voided or erased: as if it never was)."""
    if refusal == "gone":
        return None
    task = RemoteTask.model_validate({**(snapshot.to_dict() or {}), "id": snapshot.id})
    return presenting.asker(tenant, task, task.locale, shown_logo)


def _refusal(snapshot: Any, version: int) -> str | None:
    """Why a task's link does not open (as it is now), or None."""
    if not snapshot.exists:
        return "gone"
    current = snapshot.to_dict() or {}
    if current.get("voided_at"):  # voided by a breach's containment: as if it never was
        return "gone"
    if current.get("link_version") != version:
        return "replaced"
    if current.get("status") == Status.CANCELLED:
        return "cancelled"
    if current.get("status") == Status.ANSWERED:
        return "answered"
    return None


def _count(keys: list[str]) -> None:
    batch = firestore_client().batch()
    for key in keys:
        ratelimit.add_one(batch, key)
    batch.commit()


def opened(opening: Opening) -> None:
    """Count the opening and, the first time, mark the task opened and log it (SPEC R-2),
    in one commit; the mark holds only if nobody wrote the task since it was read."""
    data, task = opening.data, opening.task
    batch = data.db.batch()
    for key in opening.limits:
        ratelimit.add_one(batch, key)
    if task.status in (Status.SCHEDULED, Status.SENT):
        batch.update(
            data.document(REMOTE_TASKS, task.id),
            {"opened_at": datetime.now(UTC), "status": Status.OPENED.value},
            option=data.db.write_option(last_update_time=opening.read_at),
        )
        batch.create(*task_event(data, task, "opened", contact_actor(task)))
    try:
        batch.commit()
    except FailedPrecondition:  # opened (or answered) by another request meanwhile
        _count(opening.limits)
    except GoogleNotFound:  # erased with its client since it was read
        _count(opening.limits)
        raise LinkRefused("gone") from None


def answer(opening: Opening, answers: dict[str, Any]) -> RemoteTask:
    """Save the answer exactly once; a second answer changes nothing."""
    data, task, exercise = opening.data, opening.task, opening.exercise
    try:
        checked = validate_answers(exercise, answers)
    except errors.ValidationFailed:
        _count(opening.limits)  # a refused answer still counts against the link
        raise
    ref = data.document(REMOTE_TASKS, task.id)
    now = datetime.now(UTC)
    answered = {"status": Status.ANSWERED.value, "answer": checked, "answered_at": now}
    actor = contact_actor(task)
    read_at, uncounted = opening.read_at, opening.limits
    # Write only if nobody wrote in between (no transaction: a dozen answers at once must
    # not queue on a lock): the first write wins, every other reads again and is told.
    for _ in range(SAVE_ATTEMPTS):
        batch = data.db.batch()
        for key in uncounted:
            ratelimit.add_one(batch, key)
        batch.update(ref, answered, option=data.db.write_option(last_update_time=read_at))
        batch.create(*task_event(data, task, "answered", actor))
        touch(batch, data, task.client_id, now)
        try:
            batch.commit()
            break
        except GoogleNotFound:  # erased with its client since it was read
            raise LinkRefused("gone") from None
        except FailedPrecondition:
            if uncounted:
                _count(uncounted)
                uncounted = []
            snapshot = ref.get()
            refusal = _refusal(snapshot, task.link_version)
            if refusal is not None:
                raise LinkRefused(refusal) from None
            read_at = snapshot.update_time
    else:
        raise LinkRefused("failed")  # kept changing under us: nothing saved, try again
    # The first answer stays on the course (AlreadyPerformed); the course may also have
    # changed meanwhile (the exercise replaced or removed): the task keeps its answer.
    item_ref = ItemRef(task.client_id, task.course_ref, task.item_id)
    with contextlib.suppress(errors.ApiError):
        perform(actor, data, item_ref, checked, exercise)
    return task.model_copy(
        update={"status": Status.ANSWERED, "answer": checked, "answered_at": now}
    )
