"""Where a client's data lives: one registry for GDPR export and erasure (SPEC C-7).

Every record that holds data about a client carries its `client_id`, in one of the
tenant's collections listed in CLIENT_RECORDS, or below the client's own document
(its courses), or in Storage under `<tenant>/clients/<client id>/`. Export and
erasure work from this table alone, so the clients area erases remote tasks and
their e-mails without knowing the area that wrote them. A new area that stores
client data adds its collections here (and a test proves erasure finds them).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared import erasure_ledger, errors
from shared.clients import CLIENTS, COURSES, LAST_ACTIVITY, check_unrestricted
from shared.courses import CALENDAR
from shared.data_subjects import DATA_SUBJECT_REQUESTS
from shared.erasure_ledger import Erased, ErasureBasis
from shared.events import EVENTS, new_event
from shared.faults import crash_point
from shared.jobs import Clock, JobResult, finish_stalled
from shared.messaging.models import MESSAGES
from shared.offline import OUTBOX, QUARANTINE_RECORDS, SYNC_CONFLICTS
from shared.storage import tenant_object, uploads_bucket
from shared.tenancy import TenantData
from shared.vr_retention import SESSIONS, SUMMARIES
from shared.wellbeing import MEMBERS, PARTICIPATION

REMOTE_TASKS = "remote_tasks"
BATCH_WRITES = 400  # a Firestore batch holds at most 500 writes
# An erasure marked this long ago belongs to a request that died (functions time out
# after minutes): the nightly maintenance finishes it.
STALLED_ERASURE = timedelta(hours=1)


@dataclass(frozen=True)
class ClientRecords:
    collection: str  # below tenants/{t}; each document carries `client_id`
    holds: str  # what, in words (README and the export's index)
    # False for evidence the controller must keep (GDPR Art. 5(2)): exported, not erased.
    # Such records hold no name, only the client's id, which after erasure leads to nobody.
    erased: bool = True
    # Records with subcollections of their own (a VR session's headsets and signalling):
    # erased with everything under them, so nothing is left that no purge finds.
    with_children: bool = False


CLIENT_RECORDS: tuple[ClientRecords, ...] = (
    ClientRecords(CALENDAR, "exercises planned for a date"),
    ClientRecords(EVENTS, "the client log: who did what, and when"),
    ClientRecords(REMOTE_TASKS, "exercises sent to contact persons, with their answers"),
    ClientRecords(MESSAGES, "e-mails and SMS about the client, with their recipients"),
    ClientRecords(SYNC_CONFLICTS, "offline changes that met an online edit, both values"),
    ClientRecords(QUARANTINE_RECORDS, "offline records of a user whose access was closed"),
    ClientRecords(OUTBOX, "offline records the app queued, not yet applied"),
    ClientRecords(
        SUMMARIES, "VR sessions: per film the time watched, stops and where the client looked"
    ),
    ClientRecords(
        SESSIONS,
        "VR sessions opened for the client (purged nightly two days on)",
        with_children=True,
    ),
    ClientRecords(MEMBERS, "the professional's groups the client is in"),
    ClientRecords(PARTICIPATION, "well-being checks the client took part in (never their answers)"),
    ClientRecords(
        DATA_SUBJECT_REQUESTS,
        "the client's data-subject requests and how each was answered (kept as evidence)",
        erased=False,
    ),
)


def plain(value: Any) -> Any:
    """Firestore values as JSON: timestamps become ISO 8601 strings."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _records(tenant: TenantData, collection: str, client_id: str) -> Iterator[Any]:
    query = tenant.collection(collection).where(filter=FieldFilter("client_id", "==", client_id))
    yield from query.stream()


def courses_of(tenant: TenantData, client_id: str) -> firestore.CollectionReference:
    return tenant.collection(CLIENTS, client_id, COURSES)


def export_records(
    tenant: TenantData, client_id: str
) -> Iterator[tuple[str, Iterator[dict[str, Any]]]]:
    """Every registered record of the client, by collection, as JSON values, streamed
    (a client with years of log entries is exported with bounded memory)."""

    def as_json(snapshots: Iterator[Any]) -> Iterator[dict[str, Any]]:
        return ({"id": s.id, **plain(s.to_dict())} for s in snapshots)

    yield COURSES, as_json(courses_of(tenant, client_id).stream())
    for records in CLIENT_RECORDS:
        yield records.collection, as_json(_records(tenant, records.collection, client_id))


def erase_records(tenant: TenantData, client_id: str) -> int:
    """Delete every registered record of the client; returns how many went.

    Courses are listed with `list_documents`, which also returns documents that exist
    only as parents of others, so nothing below the client is left behind.
    """
    doomed = list(courses_of(tenant, client_id).list_documents())
    children = 0
    for records in (r for r in CLIENT_RECORDS if r.erased):
        found = [s.reference for s in _records(tenant, records.collection, client_id)]
        if records.with_children:
            children += sum(tenant.db.recursive_delete(ref) for ref in found)
        else:
            doomed += found
    for start in range(0, len(doomed), BATCH_WRITES):
        batch = tenant.db.batch()
        for ref in doomed[start : start + BATCH_WRITES]:
            batch.delete(ref)
        batch.commit()
    return len(doomed) + children


# -- erasure: marked first, so what a crash interrupts is finished later ---------------------


@dataclass(frozen=True)
class Erasure:
    erasure_id: str  # the receipt's id, chosen when the erasure is marked
    documents: int
    files: int


def files_prefix(tenant: TenantData, client_id: str) -> str:
    return tenant_object(tenant, CLIENTS, client_id) + "/"


def mark_erasure(
    tenant: TenantData,
    client_id: str,
    actor: str,
    basis: ErasureBasis = ErasureBasis.STAFF_DELETION,
    idle_since: datetime | None = None,
) -> str:
    """Mark the client as being erased (from then on it is gone for every request) and
    return the erasure's id; a client marked already keeps its id (a retry resumes).
    The basis goes on the marker, so an erasure finished by the nightly job keeps it.
    With `idle_since` (a retention erasure) a client active since is refused (409
    `conflict`), decided in the transaction, so activity a moment ago always wins."""
    ref = tenant.document(CLIENTS, client_id)

    @firestore.transactional
    def mark(transaction: firestore.Transaction) -> str:
        snapshot = ref.get(transaction=transaction)
        doc = snapshot.to_dict() if snapshot.exists else None
        if doc is None:
            raise errors.NotFound("No such client")
        if doc.get("erasing") and doc.get("erasure_id"):
            return str(doc["erasure_id"])
        # A restricted client's data is kept (GDPR Art. 18: often instead of an erasure
        # the data subject opposed, or for a legal claim): lift the restriction first.
        check_unrestricted(doc)
        if idle_since is not None and doc.get(LAST_ACTIVITY) != idle_since:
            raise errors.Conflict("The client was active since")
        erasure_id = uuid.uuid4().hex
        transaction.update(
            ref,
            {
                "erasing": True,
                "erasure_id": erasure_id,
                "erasing_since": datetime.now(UTC),
                "erasing_by": actor,
                "erasing_basis": basis.value,
            },
        )
        return erasure_id

    erasure_id: str = mark(tenant.db.transaction())
    return erasure_id


def finish_erasure(
    tenant: TenantData,
    client_id: str,
    erasure_id: str,
    actor: str,
    basis: ErasureBasis | None = ErasureBasis.STAFF_DELETION,
) -> Erasure:
    """Delete everything of a marked client; idempotent, so it can be run again.

    Everything is swept twice, to catch what a request already under way wrote; then the
    client's document goes in one commit with the `client.erased` entry (counts only, no
    personal data), so a finished erasure always has its trace and an unfinished one its
    marker.
    """
    crash_point("erasure.marked")
    documents = files = 0
    for sweep in ("first", "second"):
        for blob in uploads_bucket().list_blobs(prefix=files_prefix(tenant, client_id)):
            blob.delete()
            files += 1
        crash_point(f"erasure.{sweep}_files")
        documents += erase_records(tenant, client_id)
        crash_point(f"erasure.{sweep}_records")
    receipt = Erasure(erasure_id=erasure_id, documents=documents + 1, files=files)
    batch = tenant.db.batch()
    batch.delete(tenant.document(CLIENTS, client_id))
    erasure_ledger.record(batch, tenant.db, tenant.tenant_id, Erased.CLIENT, client_id, basis)
    batch.create(
        *new_event(
            tenant,
            actor=actor,
            action="client.erased",
            subject=CLIENTS,
            details={
                "erasure_id": erasure_id,
                "documents": receipt.documents,
                "files": files,
                "basis": basis.value if basis else None,
            },
            event_id=f"client-erased-{erasure_id}",
        )
    )
    batch.commit()
    crash_point("erasure.committed")
    return receipt


def resume_erasures(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """Finish every erasure marked longer than STALLED_ERASURE ago (its request died)."""

    def finish(snapshot: firestore.DocumentSnapshot[Any]) -> None:
        tenant = TenantData(db, snapshot.reference.parent.parent.id)
        doc = snapshot.to_dict() or {}
        basis = doc.get("erasing_basis")  # none on a marker older than bases: final
        finish_erasure(
            tenant,
            snapshot.id,
            str(doc["erasure_id"]),
            str(doc["erasing_by"]),
            ErasureBasis(basis) if basis in set(ErasureBasis) else None,
        )

    return finish_stalled(
        db,
        "resume_erasures",
        group=CLIENTS,
        since_field="erasing_since",
        older_than=STALLED_ERASURE,
        finish=finish,
        deadline=deadline,
        clock=clock,
    )
