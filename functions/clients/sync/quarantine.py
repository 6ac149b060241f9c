"""The quarantine: offline batches of users whose access closed while they were offline.

Held, never applied, until an administrator accepts (then applied exactly once, as the
user who recorded them, with every record's own checks: the same markers as a sync) or
discards them; after 30 days the nightly maintenance deletes them either way
(shared/offline.py). A record about an erased client is not kept even here. The batch's
id is derived from the sender and its record ids, so an app that resends the refused
batch holds it once.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.clients.sync.apply import apply_batch, client_refusals
from functions.clients.sync.models import (
    QuarantinedBatch,
    QuarantinedRecords,
    QuarantineList,
    QuarantineStatus,
    RecordResult,
    SyncRecord,
)
from shared import errors
from shared.clients import ClientErased
from shared.events import record_event
from shared.offline import QUARANTINE, QUARANTINE_RECORDS
from shared.principal import Principal
from shared.tenancy import TenantData

WRITES_PER_COMMIT = 400


def batch_id(uid: str, records: list[SyncRecord]) -> str:
    text = "\n".join([uid, *(r.id for r in records)])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def hold(data: TenantData, uid: str, reason: str, records: list[SyncRecord]) -> str:
    """Keep the batch for the administrator; returns its id. Only writes."""
    now = datetime.now(UTC)
    qid = batch_id(uid, records)
    if data.document(QUARANTINE, qid).get().exists:  # resent: held (or decided) already
        return qid
    refusals = client_refusals(data, {r.client_id for r in records})
    kept = [r for r in records if not isinstance(refusals[r.client_id], ClientErased)]
    writes: list[tuple[Any, dict[str, Any]]] = [
        (
            data.document(QUARANTINE_RECORDS, f"{qid}-{n:04d}"),
            {
                "batch_id": qid,
                "position": n,
                "client_id": record.client_id,
                # As the app sent it, JSON text: answers not yet checked against their
                # exercise may hold what Firestore cannot store (arrays in arrays).
                "record": record.model_dump_json(exclude_none=True),
                "received_at": now,
            },
        )
        for n, record in enumerate(kept)
    ]
    # The batch last: a batch a crash cut short is not listed (its records are purged).
    writes.append(
        (
            data.document(QUARANTINE, qid),
            {
                "uid": uid,
                "reason": reason,
                "received_at": now,
                "status": QuarantineStatus.HELD.value,
                "records": len(kept),
            },
        )
    )
    for start in range(0, len(writes), WRITES_PER_COMMIT):
        batch = data.db.batch()
        for ref, doc in writes[start : start + WRITES_PER_COMMIT]:
            batch.set(ref, doc)
        batch.commit()
    return qid


def _batch(snapshot: Any) -> QuarantinedBatch:
    return QuarantinedBatch.model_validate({"id": snapshot.id, **(snapshot.to_dict() or {})})


def held_batches(data: TenantData) -> QuarantineList:
    query = data.collection(QUARANTINE).where(
        filter=FieldFilter("status", "==", QuarantineStatus.HELD.value)
    )
    found = sorted((_batch(s) for s in query.stream()), key=lambda b: b.received_at)
    return QuarantineList(batches=found)


def _records(data: TenantData, qid: str) -> list[Any]:
    query = data.collection(QUARANTINE_RECORDS).where(filter=FieldFilter("batch_id", "==", qid))
    return sorted(query.stream(), key=lambda s: s.get("position"))


def one_batch(data: TenantData, qid: str) -> QuarantinedRecords:
    snapshot = data.document(QUARANTINE, qid).get()
    if not snapshot.exists:
        raise errors.NotFound("No such quarantined batch")
    records = [SyncRecord.model_validate_json(s.get("record")) for s in _records(data, qid)]
    return QuarantinedRecords(batch=_batch(snapshot), records=records)


def _decide(me: Principal, data: TenantData, qid: str, status: QuarantineStatus) -> Any:
    """Move the batch from held to `status` (once: a second decision is refused)."""
    ref = data.document(QUARANTINE, qid)

    @firestore.transactional
    def decide(transaction: firestore.Transaction) -> Any:
        snapshot = ref.get(transaction=transaction)
        if not snapshot.exists:
            raise errors.NotFound("No such quarantined batch")
        if snapshot.get("status") != QuarantineStatus.HELD.value:
            raise errors.InvalidTransition("The batch was decided already")
        transaction.update(
            ref, {"status": status.value, "decided_by": me.uid, "decided_at": datetime.now(UTC)}
        )
        return snapshot

    return decide(data.db.transaction())


def _forget_records(data: TenantData, snapshots: list[Any]) -> None:
    for start in range(0, len(snapshots), WRITES_PER_COMMIT):
        batch = data.db.batch()
        for snapshot in snapshots[start : start + WRITES_PER_COMMIT]:
            batch.delete(snapshot.reference)
        batch.commit()


def accept(me: Principal, data: TenantData, qid: str) -> QuarantinedBatch:
    """Apply the batch as its sender, exactly once, then forget its copy. Applied before
    it is marked accepted: an accept cut off half-way leaves it held, and accepting it
    again applies only what is missing (the records' markers)."""
    snapshot = data.document(QUARANTINE, qid).get()
    if not snapshot.exists:
        raise errors.NotFound("No such quarantined batch")
    if snapshot.get("status") != QuarantineStatus.HELD.value:
        raise errors.InvalidTransition("The batch was decided already")
    held = _records(data, qid)
    records = [SyncRecord.model_validate_json(s.get("record")) for s in held]
    results: list[RecordResult] = apply_batch(data, str(snapshot.get("uid")), records)
    _decide(me, data, qid, QuarantineStatus.ACCEPTED)
    data.document(QUARANTINE, qid).update({"results": [r.model_dump(mode="json") for r in results]})
    _forget_records(data, held)
    record_event(
        data,
        actor=me.uid,
        action="sync.quarantine_accepted",
        subject=f"{QUARANTINE}/{qid}",
        details={"records": len(records)},
    )
    return _batch(data.document(QUARANTINE, qid).get())


def discard(me: Principal, data: TenantData, qid: str) -> QuarantinedBatch:
    _decide(me, data, qid, QuarantineStatus.DISCARDED)
    held = _records(data, qid)
    _forget_records(data, held)
    record_event(
        data,
        actor=me.uid,
        action="sync.quarantine_discarded",
        subject=f"{QUARANTINE}/{qid}",
        details={"records": len(held)},
    )
    return _batch(data.document(QUARANTINE, qid).get())
