"""A client's courses and what is done with each exercise in them (SPEC C-5).

Each operation on one exercise of a course is a typed function of its own; all of
them run in one transaction with the client's status, so a client being erased
changes no more. A performed exercise is documentation: it is neither replaced
nor removed. The clients area offers these to professionals; remote tasks mark an
exercise as sent and perform it when a contact person answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Literal

from google.cloud import firestore

from shared import catalogue, errors
from shared.clients import CLIENTS, COURSES, load_document, load_for_change, touch
from shared.events import record_event
from shared.models import Model
from shared.tenancy import TenantData

CALENDAR = "calendar"  # tenants/{t}/calendar/{course_ref}-{item_id}: planned exercises


class ItemStatus(StrEnum):
    PENDING = "pending"
    SCHEDULED = "scheduled"
    PERFORMED = "performed"
    SENT = "sent"


class CourseItem(Model):
    id: str
    module_id: str
    exercise_id: str
    status: ItemStatus
    scheduled_for: date | None = None
    answers: dict[str, Any] | None = None
    performed_at: datetime | None = None
    sent_at: datetime | None = None


class ClientCourse(Model):
    id: str
    course_id: str
    title: str
    focus_area: str
    status: Literal["ongoing", "completed"]
    assigned_by: str
    assigned_at: datetime
    items: list[CourseItem]

    def item(self, item_id: str) -> CourseItem:
        found = next((i for i in self.items if i.id == item_id), None)
        if found is None:
            raise errors.NotFound("No such exercise in this course")
        return found


class AlreadyPerformed(errors.ApiError):
    status, code = 409, "already_performed"
    title = "The exercise is performed already; its answers are documentation and stay"


class AlreadyApplied(Exception):
    """The change's marker exists: an earlier run of the same offline record committed it."""


# A log entry to create in the change's transaction: (its reference, its data).
Marker = tuple[Any, dict[str, Any]]


@dataclass(frozen=True)
class ItemRef:
    """One exercise of one of a client's courses."""

    client_id: str
    course_ref: str
    item_id: str


def course_reference(tenant: TenantData, client_id: str, course_ref: str) -> Any:
    return tenant.document(CLIENTS, client_id, COURSES, course_ref)


def get_course(tenant: TenantData, client_id: str, course_ref: str) -> ClientCourse:
    load_document(tenant, client_id)
    snapshot = course_reference(tenant, client_id, course_ref).get()
    if not snapshot.exists:
        raise errors.NotFound("No such course for this client")
    return ClientCourse.model_validate({"id": snapshot.id, **(snapshot.to_dict() or {})})


# One change of one stored item: (transaction, the item, all items, its calendar entry).
Change = Callable[[firestore.Transaction, dict[str, Any], list[dict[str, Any]], Any], None]


def _change(
    actor: str,
    tenant: TenantData,
    ref: ItemRef,
    action: str,
    change: Change,
    *,
    documentation_stays: bool = False,
    expected_exercise: str | None = None,
    marker: Marker | None = None,
) -> ClientCourse:
    """`marker`: the change's log entry, created in the same transaction (offline sync:
    it is the record's "applied" marker, so a resent record finds it and changes nothing
    twice); without one the entry is recorded after the commit, as online."""
    course_ref = course_reference(tenant, ref.client_id, ref.course_ref)
    planned = tenant.document(CALENDAR, f"{ref.course_ref}-{ref.item_id}")
    before: list[str] = []  # the exercise the item named, for the log of a removal

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> ClientCourse:
        if marker is not None and marker[0].get(transaction=transaction).exists:
            raise AlreadyApplied()
        # A client being erased is gone; a restricted one is not changed.
        load_for_change(tenant, ref.client_id, transaction)
        snapshot = course_ref.get(transaction=transaction)
        if not snapshot.exists:
            raise errors.NotFound("No such course for this client")
        course = snapshot.to_dict() or {}
        items: list[dict[str, Any]] = course["items"]
        item = next((i for i in items if i["id"] == ref.item_id), None)
        if item is None:
            raise errors.NotFound("No such exercise in this course")
        if documentation_stays and item["status"] == ItemStatus.PERFORMED:
            raise errors.InvalidTransition("A performed exercise stays in the course")
        if expected_exercise is not None and item["exercise_id"] != expected_exercise:
            raise errors.Conflict("The exercise was replaced meanwhile; answer the new one")
        before[:] = [item["exercise_id"]]
        change(transaction, item, items, planned)
        # Completed when every exercise is performed; a sent task counts once answered.
        finished = bool(items) and all(i["status"] == ItemStatus.PERFORMED for i in items)
        course["status"] = "completed" if finished else "ongoing"
        transaction.update(course_ref, {"items": items, "status": course["status"]})
        if marker is not None:
            transaction.create(*marker)
        touch(transaction, tenant, ref.client_id, datetime.now(UTC))
        return ClientCourse.model_validate({"id": ref.course_ref, **course})

    course: ClientCourse = apply(tenant.db.transaction())
    if marker is not None:
        return course
    exercise = next((i.exercise_id for i in course.items if i.id == ref.item_id), before[0])
    record_event(
        tenant,
        actor=actor,
        action=f"exercise.{action}",
        subject=f"{COURSES}/{ref.course_ref}/{ref.item_id}",
        client_id=ref.client_id,
        exercise_id=expected_exercise or exercise,
    )
    return course


def replace_exercise(
    actor: str, tenant: TenantData, ref: ItemRef, exercise_id: str
) -> ClientCourse:
    catalogue.licensed_exercise(tenant, exercise_id)  # exists and is licensed

    def replace(transaction: firestore.Transaction, item: Any, items: Any, planned: Any) -> None:
        item.update({"exercise_id": exercise_id, "answers": None})
        if item.get("scheduled_for"):
            transaction.update(planned, {"exercise_id": exercise_id})

    return _change(actor, tenant, ref, "replace", replace, documentation_stays=True)


def remove_item(actor: str, tenant: TenantData, ref: ItemRef) -> ClientCourse:
    def remove(transaction: firestore.Transaction, item: Any, items: Any, planned: Any) -> None:
        items.remove(item)
        transaction.delete(planned)

    return _change(actor, tenant, ref, "remove", remove, documentation_stays=True)


def perform(
    actor: str,
    tenant: TenantData,
    ref: ItemRef,
    answers: Any,
    exercise: catalogue.ExerciseItem | None = None,
    marker: Marker | None = None,
) -> ClientCourse:
    """Perform an exercise with answers checked against its kind, atomically.

    The answers are checked against `exercise` (a remote task's, answered by a link) or
    else the one the item names now; if the item names another exercise at the write,
    the write is refused rather than saving answers to another exercise.
    """
    if exercise is None:
        item = get_course(tenant, ref.client_id, ref.course_ref).item(ref.item_id)
        exercise = catalogue.licensed_exercise(tenant, item.exercise_id)
    checked = catalogue.validate_answers(exercise, answers)
    now = datetime.now(UTC)

    def done(transaction: firestore.Transaction, item: Any, items: Any, planned: Any) -> None:
        # Decided in the transaction: of two answers at once, the first one stays.
        if item["status"] == ItemStatus.PERFORMED:
            raise AlreadyPerformed()
        item.update(
            {
                "status": ItemStatus.PERFORMED.value,
                "answers": checked,
                "performed_by": actor,
                "performed_at": now,
            }
        )

    return _change(
        actor, tenant, ref, "perform", done, expected_exercise=exercise.id, marker=marker
    )


def schedule(
    actor: str, tenant: TenantData, ref: ItemRef, day: date, marker: Marker | None = None
) -> ClientCourse:
    def plan(transaction: firestore.Transaction, item: Any, items: Any, planned: Any) -> None:
        pending = item["status"] == ItemStatus.PENDING
        item.update(
            {
                "status": ItemStatus.SCHEDULED.value if pending else item["status"],
                "scheduled_for": day.isoformat(),
                "scheduled_by": actor,
            }
        )
        transaction.set(
            planned,
            {
                "professional": actor,
                "date": day.isoformat(),
                "client_id": ref.client_id,
                "course_ref": ref.course_ref,
                "item_id": ref.item_id,
                "exercise_id": item["exercise_id"],
            },
        )

    return _change(actor, tenant, ref, "schedule", plan, marker=marker)


def mark_sent(actor: str, tenant: TenantData, ref: ItemRef) -> ClientCourse:
    now = datetime.now(UTC)

    def sent(transaction: firestore.Transaction, item: Any, items: Any, planned: Any) -> None:
        performed = item["status"] == ItemStatus.PERFORMED  # a performed exercise stays so
        item.update(
            {
                "status": item["status"] if performed else ItemStatus.SENT.value,
                "sent_at": now,
                "sent_by": actor,
            }
        )

    return _change(actor, tenant, ref, "mark_sent", sent)
