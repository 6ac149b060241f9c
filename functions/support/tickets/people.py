"""Who a ticket concerns: the reporter, the tenant's administrators, the supplier's
support staff and the support lead (a named person, `support_desk/settings`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.support.tickets.models import DeskAnswer, NotSupportStaff
from shared.members import USERS, MemberStatus, member_ref, staff_access_lapsed
from shared.messaging.models import Locale
from shared.principal import Role
from shared.tenancy import TenantData

DESK = ("support_desk", "settings")  # the supplier's: server-only


@dataclass(frozen=True)
class Person:
    uid: str
    email: str
    name: str
    locale: Locale = Locale.DA
    phone: str | None = None


def person_of(uid: str, record: dict[str, Any]) -> Person:
    return Person(
        uid=uid,
        email=str(record.get("email") or ""),
        name=str(record.get("display_name") or record.get("email") or ""),
        locale=Locale(record.get("locale") or Locale.DA),
        phone=record.get("phone"),
    )


def member(tenant: TenantData, uid: str) -> Person | None:
    snapshot = tenant.document(USERS, uid).get()
    record = snapshot.to_dict() or {}
    if not snapshot.exists or record.get("status") != MemberStatus.ACTIVE:
        return None
    return person_of(uid, record)


def administrators(tenant: TenantData) -> list[Person]:
    query = (
        tenant.collection(USERS)
        .where(filter=FieldFilter("role", "==", Role.ADMIN.value))
        .where(filter=FieldFilter("status", "==", MemberStatus.ACTIVE.value))
    )
    return [person_of(s.id, s.to_dict() or {}) for s in query.get()]


def support_staff(uid: str, now: Any) -> Person:
    """An active support staff member whose access is reviewed in time, or 422."""
    snapshot = member_ref(None, uid).get()
    record = snapshot.to_dict() or {}
    if (
        not snapshot.exists
        or record.get("role") != Role.SUPPORT.value
        or record.get("status") != MemberStatus.ACTIVE
        or staff_access_lapsed(record, now)
    ):
        raise NotSupportStaff()
    return person_of(uid, record)


def support_staff_or_none(uid: str | None, now: Any) -> Person | None:
    if uid is None:
        return None
    try:
        return support_staff(uid, now)
    except NotSupportStaff:
        return None


def set_lead(db: firestore.Client, uid: str, now: Any, by: str) -> DeskAnswer:
    lead = support_staff(uid, now)
    db.document(*DESK).set({"lead_uid": uid, "set_by": by, "set_at": now})
    return DeskAnswer(lead_uid=uid, lead_name=lead.name)


def lead(db: firestore.Client, now: Any) -> Person | None:
    """The support lead, if one is named and still active support staff."""
    uid = (db.document(*DESK).get().to_dict() or {}).get("lead_uid")
    if not uid:
        return None
    try:
        return support_staff(str(uid), now)
    except NotSupportStaff:
        return None
