"""The weekly restore drill: proof that each tenant's backup can be restored (GDPR
Art. 32(1)(d), "regularly testing ... the effectiveness of ... measures").

A nightly job: a tenant whose last drill is DRILL_INTERVAL old (or that has none) gets
its newest backup restored into a scratch tenant of a random id (`drill-<hex>`), after
that night's backup. The restored copy is compared with the manifest: the documents per
collection (the manifest's counts, less what the erasure ledger leaves out), each
document's fields against the backup, each object's sha256 against the index. Then the
scratch tenant is removed entirely (documents, objects, and any Auth account naming it:
a restore to a new id writes none, and no token can name a random id, so no user ever
reaches it). The scratch id is noted on `restore_drills/{tenant}` before the copy is
made, so a drill killed half-way has its copy removed the next night, before the
backups (`remove_left_over_drill_copies`). The
outcome goes to `restore_drills/{tenant}/runs/{id}` for the owner, the
log (`restore drill` with counts, no personal data) and the metric
trivsel.restore_drills {outcome}. A nightly job rather than its own weekly schedule:
it drills the backup just taken, shares the night's deadline, and a tenant cut off one
night is drilled the next.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from firebase_admin import auth
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.support.maintenance.backups import snapshot
from functions.support.maintenance.backups.restore import load_backup, restore_tenant
from shared.backups import codec, layout
from shared.backups.errors import BackupCorrupt, BackupIncomplete, BackupNotFound
from shared.backups.reading import backup_stamps, read_parts
from shared.gcp import firebase_app
from shared.jobs import Clock, JobResult
from shared.models import Model
from shared.observability import metrics
from shared.principal import TENANT_CLAIM
from shared.storage import uploads_bucket

DRILLS = "restore_drills"
RUNS = "runs"
DRILL_INTERVAL = timedelta(days=7)
SCRATCH_PREFIX = "drill-"
SCRATCH = "scratch_in_progress"  # on restore_drills/{t} while a drill's copy exists
BATCH_WRITES = 400
RESTORE_EVENT = {"s": "tenant.restored"}  # the one document a restore adds
log = logging.getLogger(__name__)


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class DrillRecord(Model):
    tenant_id: str
    backup: str
    scratch_tenant_id: str
    started_at: datetime
    duration_s: float
    outcome: Outcome
    collections: dict[str, int]  # documents found in the restored copy, per collection
    objects: int
    left_out_erased: int
    mismatches: list[str]  # what differs, in words (paths below the tenant, no data)


def _mismatches(
    db: firestore.Client, tenant_id: str, stamp: str, scratch: str
) -> tuple[list[str], Counter[str], int, int]:
    """What the restored scratch tenant lacks or holds differently from the backup."""
    manifest, parts = read_parts(tenant_id, stamp)
    backup = load_backup(db, tenant_id, stamp)
    restored = dict(snapshot.encoded(db, scratch))
    restored = {
        p: f
        for p, f in restored.items()
        if p in backup.documents or f.get("action") != RESTORE_EVENT
    }
    found = Counter(layout.collection_key(p) for p in restored)
    kept = Counter(layout.collection_key(p) for p in backup.documents)
    held = Counter(
        layout.collection_key(line["path"])
        for name, data in parts.items()
        if name.startswith("documents-")
        for line in codec.unpack(data)
    )
    problems = []
    for key in sorted(manifest.collections.keys() | held.keys() | found.keys()):
        promised, erased = manifest.collections.get(key, 0), held[key] - kept[key]
        if held[key] != promised or found[key] != kept[key]:
            problems.append(
                f"{key}: {found[key]} restored, manifest {promised} less {erased} erased"
            )
    problems += [
        f"document {p} differs from the backup"
        for p, f in backup.documents.items()
        if p in restored and restored[p] != f
    ]
    objects = {
        b.name[len(scratch) + 1 :]: layout.sha256(b.download_as_bytes())
        for b in snapshot.objects(uploads_bucket(), scratch)
    }
    if len(backup.objects) > manifest.objects:
        problems.append("the objects' index holds more than the manifest counts")
    problems += [
        f"object {name} is missing or differs"
        for name, entry in backup.objects.items()
        if objects.get(name) != entry["sha256"]
    ]
    return problems, found, len(objects), backup.left_out


def remove_tenant(db: firestore.Client, tenant_id: str) -> None:
    """Every document below `tenants/{id}` (found as a backup finds them, parents that do
    not exist included), every object under `<id>/` and every account naming it."""
    root = snapshot.tenant_root(db, tenant_id)
    doomed, pending = [root], [root]
    while pending:
        ref = pending.pop()
        for collection in ref.collections():
            children = list(collection.list_documents())
            doomed += children
            pending += children
    for start in range(0, len(doomed), BATCH_WRITES):
        batch = db.batch()
        for ref in doomed[start : start + BATCH_WRITES]:
            batch.delete(ref)
        batch.commit()
    for blob in snapshot.objects(uploads_bucket(), tenant_id):
        blob.delete()
    app = firebase_app()
    for user in auth.list_users(app=app).iterate_all():
        if (user.custom_claims or {}).get(TENANT_CLAIM) == tenant_id:
            auth.delete_user(user.uid, app=app)


def drill(db: firestore.Client, tenant_id: str, stamp: str, clock: Clock) -> DrillRecord:
    """Restore the backup into a scratch tenant, compare, remove it, record the outcome."""
    started = clock()
    scratch = f"{SCRATCH_PREFIX}{uuid.uuid4().hex[:16]}"
    problems: list[str] = []
    found: Counter[str] = Counter()
    objects = left_out = 0
    db.collection(DRILLS).document(tenant_id).set({SCRATCH: scratch}, merge=True)
    try:
        restore_tenant(db, tenant_id, stamp, target=scratch, actor="restore_drill")
        problems, found, objects, left_out = _mismatches(db, tenant_id, stamp, scratch)
    except (BackupCorrupt, BackupIncomplete, BackupNotFound) as refused:
        problems = [f"{refused.code}: {refused.detail}"]
    finally:
        remove_tenant(db, scratch)
    record = DrillRecord(
        tenant_id=tenant_id,
        backup=stamp,
        scratch_tenant_id=scratch,
        started_at=started,
        duration_s=(clock() - started).total_seconds(),
        outcome=Outcome.FAILED if problems else Outcome.PASSED,
        collections=dict(sorted(found.items())),
        objects=objects,
        left_out_erased=left_out,
        mismatches=problems[:50],  # enough to act on; a broken backup may differ everywhere
    )
    _record(db, record)
    return record


def _record(db: firestore.Client, record: DrillRecord) -> None:
    drills = db.collection(DRILLS).document(record.tenant_id)
    batch = db.batch()
    fields: dict[str, Any] = record.model_dump(mode="json") | {"started_at": record.started_at}
    batch.set(drills.collection(RUNS).document(uuid.uuid4().hex), fields)
    batch.set(
        drills,
        {"last_drill_at": record.started_at, "last_outcome": record.outcome.value},
    )  # without SCRATCH: the copy is gone
    batch.commit()
    metrics.record_restore_drill(record.outcome.value)
    summary = {
        "tenant_id": record.tenant_id,
        "backup": record.backup,
        "outcome": record.outcome.value,
        "documents": sum(record.collections.values()),
        "objects": record.objects,
        "mismatches": len(record.mismatches),
        "duration_s": round(record.duration_s, 2),
    }
    if record.outcome is Outcome.PASSED:
        log.info("restore drill", extra=summary)
    else:
        log.error("restore drill", extra=summary)


def remove_left_over_drill_copies(
    db: firestore.Client, deadline: datetime, clock: Clock
) -> JobResult:
    """The nightly job, before the backups (a left-over copy must never be backed up):
    remove the copy of every drill that died half-way."""
    done = 0
    for doc in db.collection(DRILLS).where(filter=FieldFilter(SCRATCH, ">", "")).get():
        if clock() >= deadline:
            return JobResult(name="remove_left_over_drill_copies", processed=done, finished=False)
        remove_tenant(db, str((doc.to_dict() or {})[SCRATCH]))
        doc.reference.update({SCRATCH: firestore.DELETE_FIELD})
        done += 1
    return JobResult(name="remove_left_over_drill_copies", processed=done, finished=True)


def last_drill_at(db: firestore.Client, tenant_id: str) -> datetime | None:
    doc = db.collection(DRILLS).document(tenant_id).get()
    value = (doc.to_dict() or {}).get("last_drill_at") if doc.exists else None
    return value if isinstance(value, datetime) else None


def drill_restores(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """The nightly job: drill each tenant whose last drill is DRILL_INTERVAL old."""
    done = 0
    for ref in db.collection("tenants").list_documents():
        tenant_id = ref.id
        if clock() >= deadline:
            return JobResult(name="drill_restores", processed=done, finished=False)
        last = last_drill_at(db, tenant_id)
        if last is not None and clock() - last < DRILL_INTERVAL:
            continue
        stamps = backup_stamps(tenant_id)
        if stamps:
            drill(db, tenant_id, stamps[-1], clock)
            done += 1
    return JobResult(name="drill_restores", processed=done, finished=True)
