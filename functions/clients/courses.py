"""Assigning courses and reading the calendar (SPEC C-5); what is done with each exercise
of a course lives in shared/courses.py, where remote tasks use it too."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.catalogue import licensed_course
from shared.clients import CLIENTS, COURSES, load_for_change, touch
from shared.courses import CALENDAR, ClientCourse, ItemStatus, get_course
from shared.events import new_event
from shared.faults import crash_point
from shared.ids import new_id
from shared.principal import Principal
from shared.tenancy import TenantData


def assign(me: Principal, data: TenantData, client_id: str, course_id: str) -> ClientCourse:
    load_for_change(data, client_id)
    course = licensed_course(data, course_id)
    exercises = [(m, e) for m in course.modules for e in m.exercise_ids]
    items = [
        {
            "id": f"i{n}",
            "module_id": module.id,
            "exercise_id": exercise,
            "status": ItemStatus.PENDING.value,
        }
        for n, (module, exercise) in enumerate(exercises)
    ]
    now = datetime.now(UTC)
    doc = {
        "course_id": course_id,
        "title": course.title,
        "focus_area": course.focus_area,
        "status": "ongoing",
        "assigned_by": me.uid,
        "assigned_at": now,
        "items": items,
    }
    ref = data.document(CLIENTS, client_id, COURSES, new_id("course"))
    batch = data.db.batch()  # the course with every item and its log entry: all or nothing
    batch.create(ref, doc)
    touch(batch, data, client_id, now)
    batch.create(
        *new_event(
            data,
            actor=me.uid,
            action="course.assigned",
            subject=f"{COURSES}/{ref.id}",
            client_id=client_id,
            details={"course_id": course_id},
            event_id=f"course-assigned-{client_id}-{ref.id}",
        )
    )
    crash_point("courses.assign.before_commit")
    try:
        batch.commit()
    except AlreadyExists:  # the first run of this request committed, then died
        return get_course(data, client_id, ref.id)
    crash_point("courses.assign.after_commit")
    return ClientCourse.model_validate({"id": ref.id, **doc})


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
