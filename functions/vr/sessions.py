"""Opening, reading and ending the tablet's side of a VR session (SPEC V-1, V-4)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore

from functions.vr import store
from functions.vr.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    OpenSession,
    Session,
    SessionStatus,
    VrNotLicensed,
)
from shared import errors
from shared.clients import load_for_change
from shared.contracts import AddOn
from shared.events import record_event
from shared.ids import new_id
from shared.principal import Principal
from shared.tenancy import TenantData
from shared.tenants import load
from shared.vr_retention import retire_headset


def check_vr_licence(tenant: TenantData) -> None:
    if not load(tenant).has(AddOn.VR):
        raise VrNotLicensed()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalised(code: str) -> str:
    """What a person typed, as stored: case, spaces and dashes do not matter."""
    return code.upper().replace(" ", "").replace("-", "")


def _claim_code(db: firestore.Client, tenant_id: str, session_id: str, now: datetime) -> str:
    """A fresh code, unique among live ones: a collision (31^6 codes) simply draws again."""
    while True:
        code = new_code()
        try:
            store.code_ref(db, code).create(
                {
                    "tenant_id": tenant_id,
                    "session_id": session_id,
                    "expires_at": now + store.PAIRING_VALIDITY,
                    **store.purge_after(now),
                }
            )
            return code
        except AlreadyExists:
            existing = store.code_ref(db, code).get().to_dict() or {}
            if existing.get("expires_at") and existing["expires_at"] < now:
                store.code_ref(db, code).delete()  # a dead code may be drawn again


def open_session(caller: Principal, tenant: TenantData, body: OpenSession) -> Session:
    check_vr_licence(tenant)
    load_for_change(tenant, body.client_id)  # exists, not erased, not restricted
    now = datetime.now(UTC)
    session_id = new_id("vr-session")
    code = _claim_code(tenant.db, tenant.tenant_id, session_id, now)
    store.session_ref(tenant, session_id).set(
        {
            "client_id": body.client_id,
            "opened_by": caller.uid,
            "status": SessionStatus.OPEN.value,
            "opened_at": now,
            "pairing_code": code,
            "pairing_code_expires_at": now + store.PAIRING_VALIDITY,
            "command_seq": 0,
            "play_log": [],
            "break_runs": [],
            "break_recommended_at": None,
            **store.purge_after(now),
        }
    )
    record_event(
        tenant,
        actor=caller.uid,
        action="vr.session_opened",
        subject=f"vr_sessions/{session_id}",
        client_id=body.client_id,
    )
    return describe(tenant, caller, session_id)


def new_pairing_code(caller: Principal, tenant: TenantData, session_id: str) -> Session:
    """A new code for more headsets; the previous one stops working at once."""
    ref = store.session_ref(tenant, session_id)
    data = store.own_session(ref.get(), caller.uid)
    now = datetime.now(UTC)
    code = _claim_code(tenant.db, tenant.tenant_id, session_id, now)
    ref.update({"pairing_code": code, "pairing_code_expires_at": now + store.PAIRING_VALIDITY})
    if data.get("pairing_code"):
        store.code_ref(tenant.db, data["pairing_code"]).delete()
    return describe(tenant, caller, session_id)


def describe(
    tenant: TenantData, caller: Principal, session_id: str, now: datetime | None = None
) -> Session:
    moment = now or datetime.now(UTC)
    ref = store.session_ref(tenant, session_id)
    data = store.own_session(ref.get(), caller.uid, open_only=False)
    headsets = [s for s in ref.collection(store.HEADSETS).stream() if (s.get("active") is True)]
    active = {s.id for s in headsets}
    connected = sum(
        1
        for p in ref.collection(store.PRESENCE).stream()
        if p.id in active and _alive(p.to_dict() or {}, moment)
    )
    return Session(
        id=session_id,
        client_id=data["client_id"],
        status=data["status"],
        pairing_code=data.get("pairing_code") if data["status"] == "open" else None,
        pairing_code_expires_at=data.get("pairing_code_expires_at"),
        headsets=len(headsets),
        connected=connected,
        command_seq=int(data.get("command_seq") or 0),
        break_recommended_at=data.get("break_recommended_at"),
    )


def _alive(presence: dict[str, Any], now: datetime) -> bool:
    seen = presence.get("seen_at")
    return isinstance(seen, datetime) and now - seen <= store.ALIVE_WITHIN


def remove_headset(caller: Principal, tenant: TenantData, session_id: str, headset_id: str) -> None:
    """The headset's token stops working at once: every rule checks `active`.

    Its slot is freed: a class of 50 where one headset failed can pair a replacement
    (the removed one cannot come back, its token stays refused)."""
    ref = store.session_ref(tenant, session_id)
    headset = store.headset_ref(tenant, session_id, headset_id)

    @firestore.transactional
    def remove(transaction: firestore.Transaction) -> None:
        store.own_session(ref.get(transaction=transaction), caller.uid)
        snapshot = headset.get(transaction=transaction)
        if not snapshot.exists:
            raise errors.NotFound("No such headset in this session")
        if snapshot.get("active") is True:  # its slot freed in the same commit
            retire_headset(transaction, snapshot, datetime.now(UTC))

    remove(tenant.db.transaction())
