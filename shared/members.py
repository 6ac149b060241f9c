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

from dateutil.relativedelta import relativedelta

from shared.gcp import firebase_app, firestore_client
from shared.tenancy import TENANTS, check_segments, check_tenant_id

if TYPE_CHECKING:
    from google.cloud import firestore

USERS = "users"  # tenants/{t}/users/{uid}
STAFF_REVIEW_INTERVAL = relativedelta(months=6)
STAFF = "staff"  # staff/{uid}: the supplier's own people (role owner)
# When the register's reviews were introduced (issue 11). A record written before has a
# grant and no review; it counts from its grant or from this moment, whichever is later,
# so deploying the register locks no owner out (an owner granted years ago, and with
# them every owner who could review them): each is due for a first review 6 months
# after the introduction at the latest.
STAFF_REVIEWS_INTRODUCED = datetime(2026, 12, 1, tzinfo=UTC)


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


def register_staff(
    uid: str,
    email: str,
    granted_by: str,
    display_name: str = "",
    now: datetime | None = None,
    *,
    role: str = "owner",
    phone: str | None = None,
) -> None:
    """A staff member's record (the owner role) in the register the DPA asks for: who
    granted it and when; the grant counts as its first review."""
    now = now or datetime.now(UTC)
    member_ref(None, uid).set(
        {
            "email": email,
            "display_name": display_name,
            "role": role,  # "owner", or "support" (the supplier's support staff)
            "phone": phone,  # support staff: SMS alerts
            "status": MemberStatus.ACTIVE.value,
            "granted_by": granted_by,
            "granted_at": now,
            "reviewed_by": granted_by,
            "reviewed_at": now,
            "revoked_by": None,
            "revoked_at": None,
            "tokens_valid_after": None,
        }
    )


def staff_review_due(record: dict[str, Any]) -> datetime | None:
    """When a staff member's owner access lapses unless reviewed: 6 months after its last
    review; a record without a review (written before the register) counts from its grant
    or from STAFF_REVIEWS_INTRODUCED, whichever is later. None for a record with neither
    a review nor a grant (fails closed: lapsed)."""
    last = record.get("reviewed_at")
    if not isinstance(last, datetime):
        granted = record.get("granted_at")
        if not isinstance(granted, datetime):
            return None
        last = max(granted, STAFF_REVIEWS_INTRODUCED)
    due: datetime = last + STAFF_REVIEW_INTERVAL
    return due


def staff_access_lapsed(record: dict[str, Any], now: datetime) -> bool:
    """The DPA's access list is reviewed at least every 6 months; at the due moment an
    access not reviewed since has lapsed."""
    due = staff_review_due(record)
    return due is None or now >= due


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


def certification_pending(
    record: dict[str, Any], requirement: Any, uid: str, role: str, now: datetime
) -> bool:
    """Whether a licence's certification requirement (shared/contracts.py) holds this user
    back from client work: it applies to them and their record carries no certification
    valid now. Read from the member record the request already read: no extra round trip."""
    if requirement is None or not requirement.applies_to(uid, role):
        return False
    held = record.get("certification") or {}
    if held.get("certified_at") is None:
        return True
    until = held.get("certified_until")
    return until is not None and until <= now
