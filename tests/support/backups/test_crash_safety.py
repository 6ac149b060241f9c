"""Kill tests of backup and restore jobs (issue 12): the owner's command line resuming a
job is killed (SIGKILL) at a crash point; the next nightly run, an hour past the dead
runner's lease, finishes it with the result of an uninterrupted run."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from firebase_admin import auth

from functions.support.maintenance import jobstore
from functions.support.maintenance.backups.backup import (
    backup_stamps,
    backup_tenant,
    backup_tenants,
    backups_bucket,
    new_backup_job,
)
from functions.support.maintenance.backups.restore_jobs import lock_ref, queue_restore, run_restores
from shared.backups.layout import MANIFEST, prefix, stamp
from shared.gcp import firebase_app, firestore_client
from shared.storage import uploads_bucket
from tests.crash import crash_command
from tests.helpers import create_tenant, create_user
from tests.support.backups.test_backup_restore import build, state

pytestmark = pytest.mark.usefixtures("stack")
CLI = "functions.support.maintenance.backups"
PART = 3  # documents a part, so build()'s tenant has several parts
LATER = timedelta(hours=1)  # past the dead runner's lease (jobstore.LEASE)


def later() -> datetime:
    return datetime.now(UTC) + LATER


def content(tenant_id: str, backup_stamp: str) -> dict[str, Any]:
    """Every object of the backup, by name below its prefix; the manifest without its name."""
    base = prefix(tenant_id, backup_stamp)
    found: dict[str, Any] = {}
    for blob in backups_bucket().list_blobs(prefix=base):
        data = blob.download_as_bytes()
        name = blob.name[len(base) :]
        found[name] = data
        if name == MANIFEST:
            manifest = json.loads(data)
            manifest.pop("taken_at")
            found[name] = manifest
    return found


BACKUP_POINTS = [
    "jobs.claimed",  # the lease committed, nothing written
    "jobs.checkpointed",  # the split into ranges kept, no part stored
    "backup.part.written",  # the first part of one of the ranges stored, not checkpointed
    "backup.parts.checkpointed",  # the first parts stored and checkpointed, others read
    "backup.object.copied",  # an object copied, its index chunk not yet written
    "backup.objects.indexed",  # the objects' index stored, not checkpointed
    "backup.manifest.written",  # complete, the job not yet marked done
]


@pytest.mark.parametrize("point", BACKUP_POINTS)
def test_a_backup_killed_at_any_point_is_resumed_to_the_backup_an_uninterrupted_run_writes(
    point: str,
) -> None:
    db = firestore_client()
    tenant = create_tenant()
    build(tenant)
    for i in range(20):  # ranges of several parts each, so some are read while others stored
        db.document(f"tenants/{tenant}/zeta/z{i:02}").set({"i": i})
    now = datetime.now(UTC)
    # Last night's backup, whose parts split tonight's into ranges read at once.
    backup_tenant(db, tenant, taken_at=now - timedelta(hours=3), part_documents=PART)
    read_time = datetime.now(UTC)
    reference = backup_tenant(
        db, tenant, taken_at=now - timedelta(hours=2), read_time=read_time, part_documents=PART
    )
    assert len(reference.parts) >= 4  # several document parts, the index, the accounts
    reference_job = jobstore.load(db, f"backup-{tenant}-{stamp(reference.taken_at)}")
    assert len(reference_job.progress["ranges"]) > 1  # read in several streams at once
    job = new_backup_job(
        db, tenant, taken_at=now - timedelta(hours=1), read_time=read_time, part_documents=PART
    )

    crash_command(point, CLI, "resume", job.id)

    if point == "backup.parts.checkpointed":  # killed while other ranges were still read
        killed = jobstore.load(db, job.id).progress
        assert killed["parts"]
        assert not all(r["finished"] for r in killed["ranges"])
    if point != "backup.manifest.written":  # incomplete: not a restore point
        assert backup_stamps(tenant)[1:] == [stamp(reference.taken_at)]
    result = backup_tenants(db, later() + timedelta(hours=1), later, tenants=[tenant])
    assert result.finished
    assert backup_stamps(tenant)[1:] == [stamp(reference.taken_at), job.backup]
    assert content(tenant, job.backup) == content(tenant, stamp(reference.taken_at))
    finished = jobstore.load(db, job.id)
    assert (finished.state, finished.lease_owner) == (jobstore.JobState.DONE, None)


RESTORE_POINTS = [
    "jobs.checkpointed",  # the plan kept, nothing written
    "restore.marked",  # the tenant marked restoring
    "restore.batch.committed",  # a batch of documents written
    "restore.object.put",  # one object put back
    "restore.account.put",  # one account put back
    "restore.root.written",  # the tenant document written, the log entry not yet
    "restore.event.recorded",  # logged, the job not yet marked done
]


@pytest.mark.parametrize("point", RESTORE_POINTS)
def test_a_restore_killed_at_any_point_is_resumed_to_the_tenant_an_uninterrupted_run_leaves(
    point: str,
) -> None:
    db = firestore_client()
    tenant = create_tenant()
    build(tenant)
    user, lost = create_user(tenant), create_user(tenant)
    before = state(tenant)
    backup_tenant(db, tenant)
    auth.delete_user(lost.uid, app=firebase_app())  # lost in Auth alone: made again, told
    root = f"tenants/{tenant}"
    db.document(f"{root}/clients/c1").update({"text": "changed"})
    db.document(f"{root}/clients/c1/courses/k1/items/i1/notes/n1").delete()
    db.document(f"{root}/calendar/e3").set({"new": True})
    uploads_bucket().blob(f"{tenant}/clients/c1/a.pdf").upload_from_string(b"other bytes")
    uploads_bucket().blob(f"{tenant}/clients/c2/b.bin").delete()
    auth.update_user(user.uid, disabled=True, app=firebase_app())
    job = queue_restore(
        db,
        tenant,
        backup_stamps(tenant)[-1],
        target=None,
        requested_by="owner-uid",
        clock=lambda: datetime.now(UTC),
        reason="kill test",
        emergency=True,
    )

    crash_command(point, CLI, "resume", job.id)

    result = run_restores(db, later() + timedelta(hours=1), later, tenants=[tenant])
    assert (result.processed, result.finished) == (1, True)
    documents, objects = state(tenant)
    events = {p: f for p, f in documents.items() if p.startswith("events/")}
    assert [p for p in events if "-message-" not in p] == [f"events/restored-{job.id}"]
    assert events[f"events/restored-{job.id}"]["actor"] == {"s": "owner-uid"}
    # The re-created account's user is told once, even when the run that made it died.
    mails = {p: f for p, f in documents.items() if p.startswith("messages/")}
    assert list(mails) == [f"messages/account-restored-restored-{job.id}-{lost.uid}"]
    kept = {p: f for p, f in documents.items() if p not in events and p not in mails}
    assert (kept, objects) == before
    assert auth.get_user(user.uid, app=firebase_app()).disabled is False
    assert auth.get_user(lost.uid, app=firebase_app()).email == lost.email
    finished = jobstore.load(db, job.id)
    assert (finished.state, finished.runs) == (jobstore.JobState.DONE, 2)
    assert not lock_ref(db, tenant).get().exists
