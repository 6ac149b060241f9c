"""Ending a session with the tablet's summary (SPEC V-2): stored on the client.

The summary goes to `vr_summaries/{session}` with the client's id (exported and erased
with the client, shared/client_data.py), a `vr.session` event in the client log, and the
course item of each film that was on the client's course is performed. Ending closes the
session: its code opens nothing, every headset token stops working.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from functions.vr import store
from functions.vr.models import Ended, SessionStatus, Summary
from shared import courses
from shared.clients import load_for_change
from shared.courses import ItemRef
from shared.events import record_event
from shared.principal import Principal
from shared.tenancy import TenantData


def end(caller: Principal, tenant: TenantData, session_id: str, body: Summary) -> Ended:
    ref = store.session_ref(tenant, session_id)
    data = store.own_session(ref.get(), caller.uid)
    client_id = str(data["client_id"])
    load_for_change(tenant, client_id)  # a restricted client's data is not processed
    now = datetime.now(UTC)
    summary: dict[str, Any] = {
        "client_id": client_id,
        "session_id": session_id,
        "opened_at": data.get("opened_at"),
        "ended_at": now,
        "recorded_by": caller.uid,
        "films": [f.model_dump(exclude={"course_item"}) for f in body.films],
    }
    tenant.document(store.SUMMARIES, session_id).set(summary)
    performed = []
    for film in body.films:
        if film.course_item is None:
            continue
        item = ItemRef(client_id, film.course_item.course_ref, film.course_item.item_id)
        answers = {"watched_seconds": film.watched_seconds, "stopped_early": film.stops > 0}
        courses.perform(caller.uid, tenant, item, answers)
        performed.append(film.course_item.item_id)
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
    batch = tenant.db.batch()
    batch.update(ref, {"status": SessionStatus.ENDED.value, "ended_at": now, "pairing_code": None})
    if data.get("pairing_code"):
        batch.delete(store.code_ref(tenant.db, data["pairing_code"]))
    batch.commit()
    return Ended(id=session_id, performed_items=performed)
