"""A professional's own programme (VoksenRo, issue 17): a catalogue course taken for
themselves, its exercises ticked off as they go, a weekly reminder (the nightly
maintenance). It is theirs alone: the document is keyed by their uid, no route reads
another's, and the administrator gets counts (how many follow one, how many were active
this week), never which course, nor anyone's progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel, Field

from functions.clients.wellbeing.models import Strict
from shared import catalogue, errors
from shared.principal import Principal
from shared.tenancy import TenantData
from shared.wellbeing import PROGRAMMES

ACTIVE_WITHIN = timedelta(days=7)


class NotInCourse(errors.ApiError):
    status, code = 422, "not_in_course"
    title = "The exercise is not part of the programme's course"


class NewProgramme(Strict):
    course_id: str = Field(min_length=1, max_length=128)


class ProgrammeItem(BaseModel):
    exercise_id: str
    module_title: str
    done: bool


class Programme(BaseModel):
    course_id: str
    title: str
    started_at: datetime
    items: list[ProgrammeItem]
    done: int
    total: int


class Participation(BaseModel):
    """What the administrator sees: counts only."""

    following: int
    active_last_7_days: int


def _ref(data: TenantData, uid: str) -> firestore.DocumentReference:
    return data.document(PROGRAMMES, uid)


def _shown(data: TenantData, doc: dict[str, Any]) -> Programme:
    course = catalogue.licensed_course(data, str(doc["course_id"]))
    done = set(doc.get("done") or [])
    items = [
        ProgrammeItem(exercise_id=e, module_title=m.title, done=e in done)
        for m in course.modules
        for e in m.exercise_ids
    ]
    return Programme(
        course_id=course.id,
        title=course.title,
        started_at=doc["started_at"],
        items=items,
        done=sum(i.done for i in items),
        total=len(items),
    )


def start(me: Principal, data: TenantData, body: NewProgramme) -> Programme:
    """Take a licensed course for oneself; starting another replaces the one before."""
    course = catalogue.licensed_course(data, body.course_id)  # not_found / not_licensed first
    now = datetime.now(UTC)
    doc = {"uid": me.uid, "course_id": body.course_id, "started_at": now, "done": []}
    # The title and completeness are kept for the weekly reminder (support's job reads
    # this document alone).
    kept = {"title": course.title, "complete": False, "last_activity": now}
    _ref(data, me.uid).set(doc | kept)
    return _shown(data, doc)


def mine(me: Principal, data: TenantData) -> Programme:
    snap = _ref(data, me.uid).get()
    if not snap.exists:
        raise errors.NotFound("You follow no programme")
    return _shown(data, snap.to_dict() or {})


def tick(me: Principal, data: TenantData, exercise_id: str) -> Programme:
    """Mark one exercise of the course done (again: no change)."""
    ref = _ref(data, me.uid)
    snap = ref.get()
    if not snap.exists:
        raise errors.NotFound("You follow no programme")
    doc = snap.to_dict() or {}
    course = catalogue.licensed_course(data, str(doc["course_id"]))
    every = {e for m in course.modules for e in m.exercise_ids}
    if exercise_id not in every:
        raise NotInCourse()
    done = {*doc.get("done", []), exercise_id}
    ref.update(
        {
            "done": firestore.ArrayUnion([exercise_id]),
            "complete": every <= done,
            "last_activity": datetime.now(UTC),
        }
    )
    return _shown(data, doc | {"done": sorted(done)})


def leave(me: Principal, data: TenantData) -> None:
    _ref(data, me.uid).delete()


def participation(data: TenantData, now: datetime | None = None) -> Participation:
    """Two counts by aggregation queries: nothing of any one person leaves Firestore."""
    since = (now or datetime.now(UTC)) - ACTIVE_WITHIN
    programmes = data.collection(PROGRAMMES)
    active = programmes.where(filter=FieldFilter("last_activity", ">=", since))
    return Participation(following=_count(programmes), active_last_7_days=_count(active))


def _count(query: Any) -> int:
    [[result]] = query.count().get()
    return int(result.value)
