"""The on-call rota: a primary and a secondary named person from the staff register (an
owner or support staff, active, reviewed in time, with a phone for SMS), set by an owner."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.cloud import firestore

from functions.support.incidents.models import ROTA, NotOnCallStaff, Rota, RotaAnswer
from functions.support.tickets.people import Person, person_of
from shared import errors
from shared.members import MemberStatus, member_ref, staff_access_lapsed
from shared.principal import Role

ON_CALL_ROLES = (Role.OWNER.value, Role.SUPPORT.value)


def on_call_person(uid: str, now: datetime) -> Person | None:
    snapshot = member_ref(None, uid).get()
    record: dict[str, Any] = snapshot.to_dict() or {}
    if (
        not snapshot.exists
        or record.get("role") not in ON_CALL_ROLES
        or record.get("status") != MemberStatus.ACTIVE
        or staff_access_lapsed(record, now)
        or not record.get("phone")
    ):
        return None
    return person_of(uid, record)


def set_rota(db: firestore.Client, body: Rota, now: datetime, by: str) -> RotaAnswer:
    primary = on_call_person(body.primary_uid, now)
    secondary = on_call_person(body.secondary_uid, now)
    if primary is None or secondary is None or primary.uid == secondary.uid:
        raise NotOnCallStaff()
    record = {**body.model_dump(), "set_by": by, "set_at": now}
    db.document(*ROTA).set(record)
    return RotaAnswer(**record, primary_name=primary.name, secondary_name=secondary.name)


def get_rota(db: firestore.Client, now: datetime) -> RotaAnswer:
    record = db.document(*ROTA).get().to_dict()
    if not record:
        raise errors.NotFound("No on-call rota is set")
    primary = on_call_person(record["primary_uid"], now)
    secondary = on_call_person(record["secondary_uid"], now)
    return RotaAnswer(
        **record,
        primary_name=primary.name if primary else "",
        secondary_name=secondary.name if secondary else "",
    )


def on_call(db: firestore.Client, now: datetime) -> tuple[Person | None, Person | None]:
    """Who is paged: the rota's primary and secondary, each if still fit to be on call."""
    record = db.document(*ROTA).get().to_dict() or {}
    primary = on_call_person(str(record["primary_uid"]), now) if record else None
    secondary = on_call_person(str(record["secondary_uid"]), now) if record else None
    return primary, secondary
