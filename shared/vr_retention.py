"""The VR area's collections, and their nightly purge (SPEC V-2, M-3).

A session and every pairing code carry `purge_after` (two days on); the nightly
maintenance deletes a session past it with everything under it (headsets, slots,
signalling, commands, presence, events), so what a session never ended left behind goes
too, and the codes past it. It lives in shared/
because the maintenance runner may not import an area. The summary stored on the client
(`vr_summaries`) is client data: it stays until the client is erased.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.jobs import BATCH, Clock, JobResult, delete_until_done

PAIRING_CODES = "vr_pairing_codes"  # top level: a headset knows no tenant before it pairs
SESSIONS = "vr_sessions"  # tenants/{t}/vr_sessions/{s}
HEADSETS = "vr_headsets"  # .../vr_sessions/{s}/vr_headsets/{h}
SLOTS = "vr_slots"  # .../vr_sessions/{s}/vr_slots/{00..49}: one per place, taken by create
SIGNALS = "vr_signals"  # .../vr_headsets/{h}/vr_signals/{offer|answer}
TABLET_CANDIDATES = "vr_tablet_candidates"  # .../vr_headsets/{h}/vr_tablet_candidates/{c}
HEADSET_CANDIDATES = "vr_headset_candidates"  # .../vr_headsets/{h}/vr_headset_candidates/{c}
COMMANDS = "vr_commands"  # .../vr_sessions/{s}/vr_commands/{seq}
PRESENCE = "vr_presence"  # .../vr_sessions/{s}/vr_presence/{h}
EVENTS = "vr_events"  # .../vr_sessions/{s}/vr_events/{e}
SUMMARIES = "vr_summaries"  # tenants/{t}/vr_summaries/{s}: client data (shared/client_data.py)
PURGE_AFTER = "purge_after"


def purge_vr_sessions(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """Stale sessions, pairing codes and signalling are of no use to anyone.

    A stale session goes with everything under it (`recursive_delete`): the signalling,
    presence and events the devices wrote carry no `purge_after` of their own (the rules
    let them write only their fields), so they are found through their session."""
    deleted = 0
    stale = (
        db.collection_group(SESSIONS)
        .where(filter=FieldFilter(PURGE_AFTER, "<", clock()))
        .order_by(PURGE_AFTER)
        .limit(BATCH)
    )
    while True:
        if clock() >= deadline:
            return JobResult(name="purge_vr_sessions", processed=deleted, finished=False)
        page = stale.get()
        if not page:
            break
        for snapshot in page:
            deleted += db.recursive_delete(snapshot.reference)
    codes = (
        db.collection(PAIRING_CODES)
        .where(filter=FieldFilter(PURGE_AFTER, "<", clock()))
        .order_by(PURGE_AFTER)
        .limit(BATCH)
    )
    result = delete_until_done(db, codes, "purge_vr_sessions", deadline, clock)
    return JobResult(
        name="purge_vr_sessions", processed=deleted + result.processed, finished=result.finished
    )


def retire_headset(writer: Any, headset: Any, at: datetime) -> None:
    """In `writer`'s commit (a batch or transaction): the headset's token stops working
    (the rules check `active`) and its place in the session (its slot) is free again.
    Removal by the tablet and containment both retire headsets through here."""
    writer.update(headset.reference, {"active": False, "removed_at": at})
    slot = (headset.to_dict() or {}).get("slot")
    if slot is not None:
        writer.delete(headset.reference.parent.parent.collection(SLOTS).document(str(slot)))


def disable_headsets(db: firestore.Client, tenant_id: str, at: datetime) -> int:
    """Containment of a breach (functions/support/incidents/containment.py): every headset
    of the tenant's open sessions stops working (the rules check `active`) and no code
    pairs more; the tablets go on and may pair again with a new code. Returns how many."""
    open_sessions = (
        db.collection("tenants")
        .document(tenant_id)
        .collection(SESSIONS)
        .where(filter=FieldFilter("status", "==", "open"))
        .get()
    )
    disabled = 0
    for session in open_sessions:
        batch = db.batch()  # at most 50 headsets and a code: one batch
        code = session.get("pairing_code")
        if code:
            batch.delete(db.collection(PAIRING_CODES).document(str(code)))
            batch.update(session.reference, {"pairing_code": None})
        active = session.reference.collection(HEADSETS).where(
            filter=FieldFilter("active", "==", True)
        )
        for headset in active.get():
            retire_headset(batch, headset, at)
            disabled += 1
        batch.commit()
    return disabled
