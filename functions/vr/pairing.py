"""A headset exchanges the pairing code for a custom token that confines it (SPEC V-1).

A headset has no user account. Its Firebase custom token carries the claims
{vr_headset: true, tenant_id, session_id, headset_id}; firestore.rules admit it only to
that session's documents, and only while its headset document is active and valid.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists, Conflict
from google.cloud import firestore

from functions.vr import store
from functions.vr.models import (
    Paired,
    PairingCodeExpired,
    PairingCodeInvalid,
    SessionFull,
    VrNotLicensed,
)
from functions.vr.sessions import normalised
from shared import errors, ratelimit
from shared.contracts import AddOn
from shared.gcp import firebase_app, firestore_client
from shared.ids import new_id
from shared.tenancy import TenantData
from shared.tenants import active_document

# Wrong codes per address and hour. A class's 50 headsets share one address, so only
# failures count: guessing one of 31^6 codes at 20 tries an hour gets nowhere.
WRONG_CODES_PER_HOUR = 20
# Rounds of reading the slots again after losing every race for the free ones seen.
PAIRING_ATTEMPTS = 10


def headset_uid(headset_id: str) -> str:
    return f"vr-headset-{headset_id}"


def _guess_key(address: str) -> str:
    return "vr-pair-" + ratelimit.fingerprint(address)


def pair(code: str, address: str) -> Paired:
    db = firestore_client()
    key = _guess_key(address)
    if ratelimit.counted(list(db.get_all(ratelimit.shards(key)))) >= WRONG_CODES_PER_HOUR:
        raise errors.RateLimited("Too many wrong pairing codes from this network; wait an hour")
    typed = normalised(code)
    if not typed.isalnum():
        _wrong(db, key)
    headset_id = new_id("vr-headset")
    now = datetime.now(UTC)
    try:
        tenant_id, session_id = _join(db, typed, headset_id, now)
    except PairingCodeInvalid:
        _wrong(db, key)
        raise
    from firebase_admin import auth

    claims = {
        "vr_headset": True,
        "tenant_id": tenant_id,
        "session_id": session_id,
        "headset_id": headset_id,
    }
    token = auth.create_custom_token(headset_uid(headset_id), claims, app=firebase_app())
    return Paired(
        custom_token=token.decode() if isinstance(token, bytes) else str(token),
        tenant_id=tenant_id,
        session_id=session_id,
        headset_id=headset_id,
        valid_until=now + store.HEADSET_VALIDITY,
    )


def _wrong(db: firestore.Client, key: str) -> None:
    batch = db.batch()
    ratelimit.add_one(batch, key)
    batch.commit()
    raise PairingCodeInvalid()


def _join(db: firestore.Client, code: str, headset_id: str, now: datetime) -> tuple[str, str]:
    """Take one of the session's 50 places without a transaction or a hot document.

    Each place is a slot document (`vr_slots/00` ... `49`). A headset reads the session and
    all 50 slots in one `get_all`, picks a free slot at random and commits one batch that
    `create`s the slot and its headset document: `create` fails if the slot exists, so two
    headsets never hold one place, and sixty at once give exactly fifty. A headset that
    lost a race tries another free slot; none left is `session_full`. (A transaction on
    one counter, as before, made sixty headsets queue on the emulator's locks.)
    """
    pairing = store.code_ref(db, code).get()
    found: dict[str, Any] | None = pairing.to_dict() if pairing.exists else None
    if found is None:
        raise PairingCodeInvalid()
    tenant = TenantData(db, str(found["tenant_id"]))
    session_id = str(found["session_id"])
    session_ref = store.session_ref(tenant, session_id)
    slots = store.slot_refs(tenant, session_id)
    for _ in range(PAIRING_ATTEMPTS):
        by_path = {s.reference.path: s for s in db.get_all([tenant.root, session_ref, *slots])}
        _check_session(by_path, tenant, session_ref, code, found, now)
        free = [r for r in slots if not by_path[r.path].exists]
        if not free:
            raise SessionFull()
        while free:
            slot = free.pop(secrets.randbelow(len(free)))
            try:
                _take(db, tenant, session_id, slot, headset_id, now)
                return tenant.tenant_id, session_id
            except (AlreadyExists, Conflict):
                pass  # another headset was quicker: try the next free one
        # Every slot seen free is taken now; read again (a removed headset frees its slot).
    raise SessionFull()


def _check_session(
    by_path: dict[str, firestore.DocumentSnapshot[Any]],
    tenant: TenantData,
    session_ref: firestore.DocumentReference,
    code: str,
    found: dict[str, Any],
    now: datetime,
) -> None:
    # A suspended or terminated tenant, or one without the VR add-on, pairs nothing.
    if not active_document(by_path[tenant.root.path]).has(AddOn.VR):
        raise VrNotLicensed()
    session = by_path[session_ref.path]
    data = session.to_dict() if session.exists else None
    # A code replaced by a newer one, or of a session that has ended, opens nothing.
    if data is None or data.get("status") != "open" or data.get("pairing_code") != code:
        raise PairingCodeInvalid()
    if found["expires_at"] < now:
        raise PairingCodeExpired()


def _take(
    db: firestore.Client,
    tenant: TenantData,
    session_id: str,
    slot: firestore.DocumentReference,
    headset_id: str,
    now: datetime,
) -> None:
    batch = db.batch()
    batch.create(slot, {"headset_id": headset_id, "taken_at": now, **store.purge_after(now)})
    batch.create(
        store.headset_ref(tenant, session_id, headset_id),
        {
            "active": True,
            "slot": slot.id,
            "paired_at": now,
            "valid_until": now + store.HEADSET_VALIDITY,
            **store.purge_after(now),
        },
    )
    batch.commit()
