"""Where a VR session lives in Firestore (README "VR sessions"), and its small helpers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore

from functions.vr.models import MAX_HEADSETS, SessionEnded
from shared import errors
from shared.tenancy import TenantData
from shared.vr_retention import (
    COMMANDS,
    EVENTS,
    HEADSET_CANDIDATES,
    HEADSETS,
    PAIRING_CODES,
    PRESENCE,
    PURGE_AFTER,
    SESSIONS,
    SIGNALS,
    SLOTS,
    SUMMARIES,
    TABLET_CANDIDATES,
)

__all__ = [
    "COMMANDS",
    "EVENTS",
    "HEADSETS",
    "HEADSET_CANDIDATES",
    "PAIRING_CODES",
    "PRESENCE",
    "PURGE_AFTER",
    "SESSIONS",
    "SIGNALS",
    "SLOTS",
    "SUMMARIES",
    "TABLET_CANDIDATES",
]

PAIRING_VALIDITY = timedelta(minutes=10)
# A headset's pairing holds for a long session; the rules refuse it after this.
HEADSET_VALIDITY = timedelta(hours=4)
# Headsets beat every 4 s; three missed beats and the headset is gone (well within 15 s).
ALIVE_WITHIN = timedelta(seconds=12)
COMMAND_VALIDITY = timedelta(seconds=60)
# Everything of a session is purged by the nightly maintenance this long after it was written
# (a session left open is over long before).
KEPT = timedelta(days=2)


def session_ref(tenant: TenantData, session_id: str) -> firestore.DocumentReference:
    return tenant.document(SESSIONS, session_id)


def headset_ref(
    tenant: TenantData, session_id: str, headset_id: str
) -> firestore.DocumentReference:
    return tenant.document(SESSIONS, session_id, HEADSETS, headset_id)


def slot_refs(tenant: TenantData, session_id: str) -> list[firestore.DocumentReference]:
    """The session's places, `00` ... `49`: a headset holds one while it is paired."""
    slots = session_ref(tenant, session_id).collection(SLOTS)
    return [slots.document(f"{n:02d}") for n in range(MAX_HEADSETS)]


def code_ref(db: firestore.Client, code: str) -> firestore.DocumentReference:
    return db.collection(PAIRING_CODES).document(code)


def purge_after(now: datetime) -> dict[str, Any]:
    return {PURGE_AFTER: now + KEPT}


def own_session(
    snapshot: firestore.DocumentSnapshot[Any], uid: str, *, open_only: bool = True
) -> dict[str, Any]:
    """The session, if the caller opened it (a colleague's session is not found)."""
    data = snapshot.to_dict() if snapshot.exists else None
    if data is None or data.get("opened_by") != uid:
        raise errors.NotFound("No such VR session")
    if open_only and data.get("status") != "open":
        raise SessionEnded()
    return data
