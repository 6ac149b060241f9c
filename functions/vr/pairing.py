"""A headset exchanges the pairing code for a custom token that confines it (SPEC V-1).

A headset has no user account. Its Firebase custom token carries the claims
{vr_headset: true, tenant_id, session_id, headset_id}; firestore.rules admit it only to
that session's documents, and only while its headset document is active and valid.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore

from functions.vr import store
from functions.vr.models import (
    MAX_HEADSETS,
    Paired,
    PairingCodeExpired,
    PairingCodeInvalid,
    SessionFull,
)
from functions.vr.sessions import normalised
from shared import errors, ratelimit
from shared.gcp import firebase_app, firestore_client
from shared.ids import new_id
from shared.tenancy import TenantData

# Wrong codes per address and hour. A class's 50 headsets share one address, so only
# failures count: guessing one of 31^6 codes at 20 tries an hour gets nowhere.
WRONG_CODES_PER_HOUR = 20
# Sixty headsets pairing at once contend for one counter: let each retry enough.
PAIRING_ATTEMPTS = 60


def headset_uid(headset_id: str) -> str:
    return f"vr-headset-{headset_id}"


def _guess_key(address: str) -> str:
    return "vr-pair-" + hashlib.sha256(address.encode()).hexdigest()[:32]


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
    transaction = db.transaction(max_attempts=PAIRING_ATTEMPTS)
    try:
        tenant_id, session_id = _join(transaction, db, typed, headset_id, now)
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


@firestore.transactional
def _join(
    transaction: firestore.Transaction,
    db: firestore.Client,
    code: str,
    headset_id: str,
    now: datetime,
) -> tuple[str, str]:
    """Take one of the session's 50 places: the counter is read and raised in one
    transaction, so sixty headsets at once give exactly fifty."""
    pairing = store.code_ref(db, code).get(transaction=transaction)
    found: dict[str, Any] | None = pairing.to_dict() if pairing.exists else None
    if found is None:
        raise PairingCodeInvalid()
    tenant = TenantData(db, str(found["tenant_id"]))
    session_ref = store.session_ref(tenant, str(found["session_id"]))
    session = session_ref.get(transaction=transaction)
    data = session.to_dict() if session.exists else None
    # A code replaced by a newer one, or of a session that has ended, opens nothing.
    if data is None or data.get("status") != "open" or data.get("pairing_code") != code:
        raise PairingCodeInvalid()
    if found["expires_at"] < now:
        raise PairingCodeExpired()
    if int(data.get("headset_count") or 0) >= MAX_HEADSETS:
        raise SessionFull()
    transaction.update(session_ref, {"headset_count": firestore.Increment(1)})
    transaction.create(
        store.headset_ref(tenant, session_ref.id, headset_id),
        {
            "active": True,
            "paired_at": now,
            "valid_until": now + store.HEADSET_VALIDITY,
            **store.purge_after(now),
        },
    )
    return tenant.tenant_id, session_ref.id
