"""Who may call: the member record each request is checked against (SPEC T-5).

A tenant's user has `tenants/{t}/users/{uid}`; a supplier's staff member (the system
owner role) has `staff/{uid}`. The record, not Firebase Auth, is the authority on a
request: its status, role and `tokens_valid_after` refuse a deactivated account, a
changed role or a revoked session on the very next call, without an Auth admin call.
Every change writes the record first and Auth second, so an Auth write that fails
leaves the user refused, never admitted (Auth then only stops new sign-ins).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from shared.gcp import firebase_app, firestore_client
from shared.tenancy import TENANTS, check_segments, check_tenant_id

if TYPE_CHECKING:
    from google.cloud import firestore

USERS = "users"  # tenants/{t}/users/{uid}
STAFF = "staff"  # staff/{uid}: the supplier's own people (role owner)


class MemberStatus(StrEnum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


def member_ref(tenant_id: str | None, uid: str) -> firestore.DocumentReference:
    """The record of a tenant's user, or of a staff member when `tenant_id` is None."""
    check_segments((uid,))
    db = firestore_client()
    if tenant_id is None:
        ref: firestore.DocumentReference = db.document(STAFF, uid)
    else:
        ref = db.document(TENANTS, check_tenant_id(tenant_id), USERS, uid)
    return ref


def register_staff(uid: str, email: str, granted_by: str) -> None:
    """A staff member's record (the owner role); who granted it is kept (DPA: access list)."""
    member_ref(None, uid).set(
        {
            "email": email,
            "role": "owner",
            "status": MemberStatus.ACTIVE.value,
            "granted_by": granted_by,
            "granted_at": datetime.now(UTC),
            "tokens_valid_after": None,
        }
    )


def set_active(tenant_id: str | None, uid: str, active: bool) -> None:
    """Deactivate (sessions end at once) or reactivate: the record first, then Auth."""
    from firebase_admin import auth

    status = MemberStatus.ACTIVE if active else MemberStatus.DEACTIVATED
    changes: dict[str, Any] = {"status": status.value}
    if not active:
        changes["tokens_valid_after"] = _now_in_seconds()
    member_ref(tenant_id, uid).update(changes)
    auth.update_user(uid, disabled=not active, app=firebase_app())
    if not active:
        auth.revoke_refresh_tokens(uid, app=firebase_app())


def revoke_sessions(tenant_id: str | None, uid: str) -> None:
    """Sign out everywhere: every token issued before now is refused from the next call."""
    from firebase_admin import auth

    member_ref(tenant_id, uid).update({"tokens_valid_after": _now_in_seconds()})
    auth.revoke_refresh_tokens(uid, app=firebase_app())


def _now_in_seconds() -> datetime:
    """Tokens carry their issue time in whole seconds; so does a revocation, as in
    Firebase: a token issued in the same second as the revocation still counts."""
    return datetime.now(UTC).replace(microsecond=0)


def sessions_ended_at(record: dict[str, Any]) -> float:
    """Epoch seconds before which the member's tokens no longer count (0: none ended)."""
    ended = record.get("tokens_valid_after")
    return ended.timestamp() if isinstance(ended, datetime) else 0.0
