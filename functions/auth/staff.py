"""The register of the supplier's staff who hold the owner role (the DPA: "Listen af
personer, som har fået tildelt adgang, skal løbende gennemgås"), and the owner accesses
a tenant's administrator sees.

Each `staff/{uid}` record says who granted the role and when, and who reviewed it last
and when; an access not reviewed within 6 months lapses (the principal refuses it with
`staff_review_overdue`) until another owner reviews it. Revoking ends it at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from firebase_admin import auth
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.auth.models import OwnerAccess, OwnerAccessList, StaffGrant, StaffList, StaffMember
from shared import errors
from shared.gcp import firebase_app, firestore_client
from shared.members import (
    STAFF,
    MemberStatus,
    member_ref,
    register_staff,
    set_active,
    staff_access_lapsed,
    staff_review_due,
)
from shared.principal import ROLE_CLAIM, TENANT_CLAIM, Principal
from shared.tenancy import TenantData

OWNER_ACCESS = "owner.access"  # the event shared.principal.Principal.owner_access writes
MAX_ACCESSES = 1000


def _member(uid: str, record: dict[str, Any], now: datetime) -> StaffMember:
    return StaffMember(
        uid=uid,
        email=str(record.get("email") or ""),
        display_name=str(record.get("display_name") or ""),
        role=str(record.get("role") or "owner"),
        status=str(record.get("status")),
        granted_by=record.get("granted_by"),
        granted_at=record.get("granted_at"),
        reviewed_by=record.get("reviewed_by"),
        reviewed_at=record.get("reviewed_at"),
        review_due=staff_review_due(record),
        lapsed=staff_access_lapsed(record, now),
        revoked_by=record.get("revoked_by"),
        revoked_at=record.get("revoked_at"),
    )


def list_staff() -> StaffList:
    now = datetime.now(UTC)
    found = firestore_client().collection(STAFF).get()
    return StaffList(staff=[_member(s.id, s.to_dict() or {}, now) for s in found])


def _load(uid: str) -> dict[str, Any]:
    snapshot = member_ref(None, uid).get()
    if not snapshot.exists:
        raise errors.NotFound("No such staff member")
    return snapshot.to_dict() or {}


def grant(owner: Principal, body: StaffGrant) -> StaffMember:
    """Give the owner role to an address: a new Auth account without a password (the
    new owner chooses one with Firebase's reset link), or an existing account that is
    no tenant's user."""
    email = str(body.email)
    try:
        account = auth.get_user_by_email(email, app=firebase_app())
    except auth.UserNotFoundError:
        account = auth.create_user(email=email, display_name=body.display_name, app=firebase_app())
    if (account.custom_claims or {}).get(TENANT_CLAIM):
        raise errors.InvalidTransition("The address belongs to a tenant's user")
    if member_ref(None, account.uid).get().exists:
        raise errors.InvalidTransition("The address is in the register already")
    register_staff(
        account.uid,
        email,
        granted_by=owner.uid,
        display_name=body.display_name,
        role=body.role,
        phone=body.phone,
    )
    auth.set_custom_user_claims(account.uid, {ROLE_CLAIM: body.role}, app=firebase_app())
    return _member(account.uid, _load(account.uid), datetime.now(UTC))


def review(owner: Principal, uid: str) -> StaffMember:
    """Another owner confirms the access is still needed; the next review is due in 6
    months. Nobody reviews their own access."""
    record = _load(uid)
    if uid == owner.uid:
        raise errors.InvalidTransition("Another owner reviews an access, not its holder")
    if record.get("status") != MemberStatus.ACTIVE:
        raise errors.InvalidTransition("A revoked access is not reviewed; grant it anew")
    now = datetime.now(UTC)
    member_ref(None, uid).update({"reviewed_by": owner.uid, "reviewed_at": now})
    return _member(uid, _load(uid), now)


def revoke(owner: Principal, uid: str) -> StaffMember:
    """End an owner access at once: the record first (every session refused), then Auth."""
    record = _load(uid)
    if record.get("status") != MemberStatus.ACTIVE:
        raise errors.InvalidTransition("The access is revoked already")
    now = datetime.now(UTC)
    member_ref(None, uid).update({"revoked_by": owner.uid, "revoked_at": now})
    set_active(None, uid, False)
    return _member(uid, _load(uid), now)


def accesses_to(tenant: TenantData) -> OwnerAccessList:
    """Every owner access to this tenant's data (its own event log only), newest first,
    with the staff member's address from the register."""
    query = (
        tenant.collection("events")
        .where(filter=FieldFilter("action", "==", OWNER_ACCESS))
        .order_by("at", direction="DESCENDING")
        .limit(MAX_ACCESSES)
    )
    events = [e.to_dict() or {} for e in query.get()]
    uids = sorted({str(e.get("actor")) for e in events})
    db = firestore_client()
    records = {s.id: s.to_dict() or {} for s in db.get_all([member_ref(None, u) for u in uids])}
    return OwnerAccessList(
        accesses=[
            OwnerAccess(
                uid=str(e.get("actor")),
                email=str(records.get(str(e.get("actor")), {}).get("email") or ""),
                at=e["at"],
                purpose=str((e.get("details") or {}).get("purpose") or ""),
            )
            for e in events
        ]
    )
