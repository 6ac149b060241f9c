"""Creating a user spans Auth and Firestore: the order and the rule that keep it whole.

1. `reserve`: one transaction takes the seat (a professional) and writes a reservation
   `tenants/{t}/member_creations/{uid}`; the uid is chosen by us before Auth is called
   (derived from the Idempotency-Key when there is one, shared/ids.py).
2. The Auth account is created (or, in a re-run, found) under that uid, with its claims.
3. `complete`: one commit writes the member record and its log entry and deletes the
   reservation (which must still exist).
A process killed anywhere in between leaves a reservation. The client's retry (same key,
so the same uid) finds it and carries on without taking a second seat; if nobody
retries, the nightly `roll_back_stalled_member_creations` deletes the account, gives
back the seat and deletes the reservation. So a user is in both Auth and Firestore or,
once the maintenance ran, in neither, and a seat is counted once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from firebase_admin import auth
from google.api_core.exceptions import NotFound as GoogleNotFound
from google.cloud import firestore

from shared import errors
from shared.events import new_event
from shared.gcp import firebase_app
from shared.jobs import Clock, JobResult, finish_stalled
from shared.tenancy import TenantData
from shared.tenants import TenantDocument, from_snapshot

MEMBER_CREATIONS = "member_creations"
USERS = "users"
# A reservation this old belongs to a request that died (functions time out after
# minutes, an Idempotency-Key's lease after two): the maintenance rolls it back.
STALLED = timedelta(hours=1)
CONTENDED_ATTEMPTS = 10  # seats contend on the tenant document

SeatCheck = Callable[[TenantDocument], None]


def reserve(data: TenantData, uid: str, email: str, seat: bool, check: SeatCheck) -> bool:
    """Take the seat and reserve `uid`; False if the member record exists already (a
    re-run of a creation that completed). A reservation found is not counted again."""
    reservation = data.document(MEMBER_CREATIONS, uid)
    member = data.document(USERS, uid)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> bool:
        if member.get(transaction=transaction).exists:
            return False
        if reservation.get(transaction=transaction).exists:
            return True
        tenant = from_snapshot(data.root.get(transaction=transaction))
        if seat:
            check(tenant)
            transaction.update(data.root, {"seats_used": tenant.seats_used + 1})
        transaction.create(reservation, {"email": email, "seat": seat, "at": datetime.now(UTC)})
        return True

    created: bool = apply(data.db.transaction(max_attempts=CONTENDED_ATTEMPTS))
    return created


def release(data: TenantData, uid: str) -> None:
    """Undo a reservation: the seat back, the reservation gone (idempotent)."""
    reservation = data.document(MEMBER_CREATIONS, uid)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> None:
        snapshot = reservation.get(transaction=transaction)
        if not snapshot.exists:
            return
        if snapshot.get("seat"):
            tenant = from_snapshot(data.root.get(transaction=transaction))
            transaction.update(data.root, {"seats_used": max(tenant.seats_used - 1, 0)})
        transaction.delete(reservation)

    apply(data.db.transaction(max_attempts=CONTENDED_ATTEMPTS))


def complete(data: TenantData, uid: str, record: dict[str, Any], actor: str, role: str) -> None:
    """The member record and its log entry, in the commit that ends the reservation."""
    batch = data.db.batch()
    batch.create(data.document(USERS, uid), record)
    batch.create(
        *new_event(
            data,
            actor=actor,
            action="user.created",
            subject=f"{USERS}/{uid}",
            details={"role": role},
            event_id=f"user-created-{uid}",
        )
    )
    batch.delete(data.document(MEMBER_CREATIONS, uid), option=data.db.write_option(exists=True))
    try:
        batch.commit()
    except GoogleNotFound:  # rolled back meanwhile by the maintenance: start again
        raise errors.Conflict("The creation of this user was rolled back; try again") from None


def delete_account(uid: str) -> None:
    with contextlib.suppress(auth.UserNotFoundError):  # gone already: deleting is idempotent
        auth.delete_user(uid, app=firebase_app())


def roll_back_stalled_member_creations(
    db: firestore.Client, deadline: datetime, clock: Clock
) -> JobResult:
    """Reservations older than STALLED: their account deleted, their seat given back."""

    def finish(snapshot: firestore.DocumentSnapshot[Any]) -> None:
        delete_account(snapshot.id)  # first: a crash here leaves the reservation to retry
        release(TenantData(db, snapshot.reference.parent.parent.id), snapshot.id)

    return finish_stalled(
        db,
        "roll_back_stalled_member_creations",
        group=MEMBER_CREATIONS,
        since_field="at",
        older_than=STALLED,
        finish=finish,
        deadline=deadline,
        clock=clock,
    )
