"""Ending a session with the tablet's summary (SPEC V-2): stored on the client.

The summary goes to `vr_summaries/{session}` with the client's id (exported and erased
with the client, shared/client_data.py), a `vr.session` event in the client log, and the
course item of each film that was on the client's course is performed. Ending closes the
session: its code opens nothing, every headset token stops working.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from functions.vr import store
from functions.vr.models import Ended, FilmSummary, SessionStatus, Summary
from shared import catalogue, courses, errors
from shared.clients import load_for_change
from shared.courses import AlreadyPerformed, ItemRef, ItemStatus
from shared.events import record_event
from shared.principal import Principal
from shared.tenancy import TenantData

FILMS = "films"  # on the session: the films played in it (functions/vr/commands.py)


def end(caller: Principal, tenant: TenantData, session_id: str, body: Summary) -> Ended:
    """Every item is checked before anything is written, so an invalid one refuses the
    summary with the session still open; then the session is closed with its summary
    in one commit, then the course items are performed (one found performed meanwhile,
    by a colleague at the same moment, is passed over), so no item leaves the session
    open half-ended."""
    ref = store.session_ref(tenant, session_id)
    data = store.own_session(ref.get(), caller.uid)
    client_id = str(data["client_id"])
    load_for_change(tenant, client_id)  # a restricted client's data is not processed
    planned = [_checked(tenant, client_id, set(data.get(FILMS) or []), f) for f in body.films]
    now = datetime.now(UTC)
    summary: dict[str, Any] = {
        "client_id": client_id,
        "session_id": session_id,
        "opened_at": data.get("opened_at"),
        "ended_at": now,
        "recorded_by": caller.uid,
        "films": [f.model_dump(exclude={"course_item"}) for f in body.films],
    }
    batch = tenant.db.batch()
    batch.set(tenant.document(store.SUMMARIES, session_id), summary)
    batch.update(ref, {"status": SessionStatus.ENDED.value, "ended_at": now, "pairing_code": None})
    if data.get("pairing_code"):
        batch.delete(store.code_ref(tenant.db, data["pairing_code"]))
    batch.commit()
    performed = []
    for item, answers, exercise in (p for p in planned if p is not None):
        # Performed at the same moment by a colleague: theirs stays, the session is ended.
        with contextlib.suppress(AlreadyPerformed):
            courses.perform(caller.uid, tenant, item, answers, exercise=exercise)
        performed.append(item.item_id)
    record_event(
        tenant,
        actor=caller.uid,
        action="vr.session",
        subject=f"vr_summaries/{session_id}",
        client_id=client_id,
        event_id=f"vr-session-{session_id}",
        details={
            "films": len(body.films),
            "watched_seconds": sum(f.watched_seconds for f in body.films),
            "stops": sum(f.stops for f in body.films),
        },
    )
    return Ended(id=session_id, performed_items=performed)


def _checked(
    tenant: TenantData, client_id: str, played: set[str], film: FilmSummary
) -> tuple[ItemRef, dict[str, Any], catalogue.ExerciseItem] | None:
    """What performing the film's course item takes, refused now if it cannot be done."""
    if film.film_id not in played:
        raise FilmNotInSession(f"The film {film.film_id} was not played in this session")
    if film.course_item is None:
        return None
    item = ItemRef(client_id, film.course_item.course_ref, film.course_item.item_id)
    current = courses.get_course(tenant, client_id, item.course_ref).item(item.item_id)
    if current.status == ItemStatus.PERFORMED:
        raise AlreadyPerformed()
    exercise = catalogue.licensed_exercise(tenant, current.exercise_id)
    answers = {"watched_seconds": film.watched_seconds, "stopped_early": film.stops > 0}
    catalogue.validate_answers(exercise, answers)
    return item, answers, exercise


class FilmNotInSession(errors.ApiError):
    status, code = 422, "film_not_in_session"
    title = "The summary names a film that was not played in the session"
