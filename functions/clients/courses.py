"""A client's courses and what is done with each exercise in them (SPEC C-5)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.clients import catalogue
from functions.clients.catalogue import Kind
from functions.clients.clients import CLIENTS, COURSES, load_document
from shared import errors
from shared.events import record_event
from shared.principal import Principal
from shared.tenancy import TenantData

CALENDAR = "calendar"
PENDING, SCHEDULED, PERFORMED, SENT = "pending", "scheduled", "performed", "sent"


def assign(me: Principal, data: TenantData, client_id: str, course_id: str) -> dict[str, Any]:
    load_document(data, client_id)
    course = catalogue.get_item(data, Kind.COURSES, course_id)
    items = [
        {"id": f"i{n}", "module_id": module["id"], "exercise_id": exercise_id, "status": PENDING}
        for n, (module, exercise_id) in enumerate(
            (m, e) for m in course["modules"] for e in m["exercise_ids"]
        )
    ]
    doc = {
        "course_id": course_id,
        "title": course["title"],
        "focus_area": course["focus_area"],
        "status": "ongoing",
        "assigned_by": me.uid,
        "assigned_at": datetime.now(UTC),
        "items": items,
    }
    ref = data.collection(CLIENTS, client_id, COURSES).document()
    ref.create(doc)
    record_event(
        data,
        actor=me.uid,
        action="course.assigned",
        subject=f"{COURSES}/{ref.id}",
        client_id=client_id,
        details={"course_id": course_id},
    )
    return {"id": ref.id, **doc}


def get(data: TenantData, client_id: str, course_ref: str) -> dict[str, Any]:
    load_document(data, client_id)
    snapshot = data.document(CLIENTS, client_id, COURSES, course_ref).get()
    if not snapshot.exists:
        raise errors.NotFound("No such course for this client")
    return {"id": snapshot.id, **(snapshot.to_dict() or {})}


def change_item(
    actor: str,
    data: TenantData,
    client_id: str,
    course_ref: str,
    item_id: str,
    operation: str,
    argument: Any = None,
    expected_exercise: str | None = None,
) -> dict[str, Any]:
    """Replace, remove, perform, schedule or mark as sent one exercise, atomically.

    A performed exercise is documentation: it is neither replaced nor removed.
    """
    ref = data.document(CLIENTS, client_id, COURSES, course_ref)
    planned = data.document(CALENDAR, f"{course_ref}-{item_id}")
    if operation == "replace":
        catalogue.get_item(data, Kind.EXERCISES, str(argument))  # exists and is licensed

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> dict[str, Any]:
        load_document(data, client_id, transaction)  # a client being erased is gone
        snapshot = ref.get(transaction=transaction)
        if not snapshot.exists:
            raise errors.NotFound("No such course for this client")
        course = snapshot.to_dict() or {}
        items: list[dict[str, Any]] = course["items"]
        item = next((i for i in items if i["id"] == item_id), None)
        if item is None:
            raise errors.NotFound("No such exercise in this course")
        if operation in ("remove", "replace") and item["status"] == PERFORMED:
            raise errors.InvalidTransition("A performed exercise stays in the course")
        if expected_exercise is not None and item["exercise_id"] != expected_exercise:
            raise errors.Conflict("The exercise was replaced meanwhile; answer the new one")
        now = datetime.now(UTC)
        if operation == "remove":
            items.remove(item)
            transaction.delete(planned)
        elif operation == "replace":
            item.update({"exercise_id": argument, "answers": None})
            if item.get("scheduled_for"):
                transaction.update(planned, {"exercise_id": argument})
        elif operation == "perform":
            item.update(
                {
                    "status": PERFORMED,
                    "answers": argument,
                    "performed_by": actor,
                    "performed_at": now,
                }
            )
        elif operation == "schedule":
            item.update(
                {
                    "status": SCHEDULED if item["status"] == PENDING else item["status"],
                    "scheduled_for": argument.isoformat(),
                    "scheduled_by": actor,
                }
            )
            transaction.set(
                planned,
                {
                    "professional": actor,
                    "date": argument.isoformat(),
                    "client_id": client_id,
                    "course_ref": course_ref,
                    "item_id": item_id,
                    "exercise_id": item["exercise_id"],
                },
            )
        elif operation == "mark_sent":  # a performed exercise stays performed
            status = item["status"] if item["status"] == PERFORMED else SENT
            item.update({"status": status, "sent_at": now, "sent_by": actor})
        # Completed when every exercise is performed; a sent task counts once answered.
        finished = bool(items) and all(i["status"] == PERFORMED for i in items)
        course["status"] = "completed" if finished else "ongoing"
        transaction.update(ref, {"items": items, "status": course["status"]})
        return {"id": course_ref, **course}

    course: dict[str, Any] = apply(data.db.transaction())
    exercise_id = (
        str(argument)
        if operation == "replace"
        else expected_exercise
        or next((i["exercise_id"] for i in course["items"] if i["id"] == item_id), None)
    )
    record_event(
        data,
        actor=actor,
        action=f"exercise.{operation}",
        subject=f"{COURSES}/{course_ref}/{item_id}",
        client_id=client_id,
        exercise_id=exercise_id,
    )
    return course


def perform(
    actor: str, data: TenantData, client_id: str, course_ref: str, item_id: str, answers: Any
) -> dict[str, Any]:
    course = get(data, client_id, course_ref)
    item = next((i for i in course["items"] if i["id"] == item_id), None)
    if item is None:
        raise errors.NotFound("No such exercise in this course")
    exercise = catalogue.get_item(data, Kind.EXERCISES, item["exercise_id"])
    checked = catalogue.validate_answers(exercise, answers)
    return change_item(
        actor,
        data,
        client_id,
        course_ref,
        item_id,
        "perform",
        checked,
        expected_exercise=item["exercise_id"],
    )


def calendar(me: Principal, data: TenantData, start: date, end: date) -> list[dict[str, Any]]:
    """What the professional has planned from `start` to `end`, both included."""
    query = (
        data.collection(CALENDAR)
        .where(filter=FieldFilter("professional", "==", me.uid))
        .where(filter=FieldFilter("date", ">=", start.isoformat()))
        .where(filter=FieldFilter("date", "<=", end.isoformat()))
        .order_by("date")
    )
    return [{"id": s.id, **(s.to_dict() or {})} for s in query.get()]
