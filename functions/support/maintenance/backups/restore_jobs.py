"""Restores as jobs: the owner queues one, the nightly run executes it inside the tenant's
own maintenance window (windows.py), or at once when the owner says it is an emergency.

At most one restore per target tenant is queued or running: queuing creates the lock
`maintenance_locks/restore-<target>` in the same commit as the job (a second request
finds it and is refused with `restore_in_progress`), and the commit that ends the job
deletes it. The job's checkpoint is the phase reached and whether writing began;
restore.py is convergent, so a resumed run plans again against what is live and does
the rest, ending as an uninterrupted run would.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import datetime, timedelta

from google.api_core.exceptions import Conflict
from google.cloud import firestore

from functions.support.maintenance import jobstore
from functions.support.maintenance.backups import layout, snapshot
from functions.support.maintenance.backups.backup import backup_stamps, load_manifest
from functions.support.maintenance.backups.models import RestoreReport
from functions.support.maintenance.backups.restore import Progress, restore_tenant
from functions.support.maintenance.tenant_deletion import DELETIONS
from functions.support.maintenance.windows import closes_at, window_of
from shared.backups.errors import (
    BackupCorrupt,
    BackupIncomplete,
    BackupNotFound,
    TenantExists,
)
from shared.errors import ApiError
from shared.jobs import Clock, JobResult

LOCKS = "maintenance_locks"
# A restore not yet begun starts only with this much of its window left.
MIN_TIME_TO_START = timedelta(minutes=15)
# An emergency restore run now gets this long before the nightly runs carry it on.
EMERGENCY_BUDGET = timedelta(hours=1)


class RestoreInProgress(ApiError):
    status, code = 409, "restore_in_progress"
    title = "A restore of that tenant is already queued or running"


class TenantNotFound(ApiError):
    status, code, title = 404, "tenant_not_found", "No tenant and no backup has that id"


class TenantDeleted(ApiError):
    status, code = 409, "tenant_deleted"
    title = "The tenant was deleted when its customer left: no backup may bring it back"


class CutOff(Exception):
    """The job's deadline came between two batches."""


def _quiet(_what: str, _count: int) -> None:
    return None


def lock_ref(db: firestore.Client, target: str) -> firestore.DocumentReference:
    return db.collection(LOCKS).document(f"restore-{target}")


def check_tenant(db: firestore.Client, tenant_id: str) -> list[str]:
    """The tenant's complete backups; TenantNotFound when it has neither a document nor a
    backup (a tenant deleted by mistake still has its backups, and can come back), and
    TenantDeleted for one erased when its customer left (T-4: delete every copy; its
    backups only wait to age out)."""
    deletion = db.collection(DELETIONS).document(tenant_id)
    root = snapshot.tenant_root(db, tenant_id)
    exists = {s.reference.path: s.exists for s in db.get_all([deletion, root])}  # one trip
    if exists[deletion.path]:
        raise TenantDeleted()
    stamps = backup_stamps(tenant_id)
    if not stamps and not exists[root.path]:
        raise TenantNotFound()
    return stamps


def check_restorable(db: firestore.Client, tenant_id: str, backup_stamp: str, target: str) -> None:
    """Refuse before anything is written: an unknown tenant, a backup that is not
    complete, a target for inspection that holds something."""
    stamps = check_tenant(db, tenant_id)
    if backup_stamp not in stamps or load_manifest(tenant_id, backup_stamp) is None:
        raise BackupNotFound("The tenant has no complete backup of that time")
    if target != tenant_id and next(snapshot.documents(db, target), None) is not None:
        raise TenantExists()


def queue_restore(
    db: firestore.Client,
    tenant_id: str,
    backup_stamp: str,
    *,
    target: str | None,
    requested_by: str,
    clock: Clock,
    reason: str | None = None,
    emergency: bool = False,
) -> jobstore.MaintenanceJob:
    target_id = target or tenant_id
    check_restorable(db, tenant_id, backup_stamp, target_id)
    now = clock()
    job = jobstore.MaintenanceJob(
        id=f"restore-{target_id}-{layout.stamp(now)}-{secrets.token_hex(3)}",
        kind=jobstore.JobKind.RESTORE,
        tenant_id=tenant_id,
        backup=backup_stamp,
        target_tenant_id=target_id,
        emergency=emergency,
        requested_by=requested_by,
        reason=reason,
        created_at=now,
        updated_at=now,
    )
    batch = db.batch()
    batch.create(lock_ref(db, target_id), {"job_id": job.id, "at": now})
    batch.create(jobstore.job_ref(db, job.id), job.model_dump(mode="python", exclude={"id"}))
    try:
        batch.commit()
    except Conflict:
        raise RestoreInProgress() from None
    return job


def run_restore_job(
    db: firestore.Client,
    job: jobstore.MaintenanceJob,
    lease: jobstore.Lease,
    deadline: datetime | None,
    clock: Clock,
    progress: Progress = _quiet,
) -> bool:
    """Run the restore from its checkpoint; False when its deadline stopped it (released,
    the tenant still marked restoring), True when it ended (done, or failed for good)."""
    target = job.target_tenant_id or job.tenant_id
    lock = (lock_ref(db, target),)

    def checkpoint(phase: str) -> None:
        lease.checkpoint(**{"progress.phase": phase, "progress.started": True})
        if deadline is not None and clock() >= deadline:
            raise CutOff()

    def planned(report: RestoreReport) -> None:
        lease.checkpoint(plan=report.model_dump(mode="json"), **{"progress.started": True})

    if deadline is not None and clock() >= deadline:
        lease.release()
        return False
    try:
        report = restore_tenant(
            db,
            job.tenant_id,
            job.backup,
            target=target,
            actor=job.requested_by,
            resuming=bool(job.progress.get("started")),
            checkpoint=checkpoint,
            progress=progress,
            event_id=f"restored-{job.id}",
            details={"job": job.id, "emergency": job.emergency, "reason": job.reason},
            on_plan=planned,
            created_before=job.progress.get("created_accounts", []),
            remember_created=lambda uid: lease.checkpoint(
                **{"progress.created_accounts": firestore.ArrayUnion([uid])}
            ),
        )
    except CutOff:
        lease.release()
        return False
    except (BackupCorrupt, BackupIncomplete, BackupNotFound, TenantExists) as refused:
        lease.release(
            delete=lock,
            state=jobstore.JobState.FAILED.value,
            error=refused.code,
            finished_at=clock(),
        )
        return True
    counts = {"accounts": report.accounts, "left_out_erased": report.left_out_erased}
    lease.release(
        delete=lock, state=jobstore.JobState.DONE.value, finished_at=clock(), counts=counts
    )
    return True


def _run(
    db: firestore.Client, job_id: str, until: datetime, clock: Clock, progress: Progress = _quiet
) -> bool | None:
    return jobstore.run_claimed(
        db, job_id, clock, lambda j, lease: run_restore_job(db, j, lease, until, clock, progress)
    )


def run_restores(
    db: firestore.Client,
    deadline: datetime,
    clock: Clock,
    *,
    tenants: Collection[str] | None = None,
) -> JobResult:
    """The nightly job: every queued or interrupted restore whose tenant's window is open
    now, each until its window closes. An emergency restore, and one into a new tenant id
    (which no user of the tenant notices), runs whatever the time."""
    done, finished = 0, True
    for job in jobstore.unfinished(db, jobstore.JobKind.RESTORE):
        if tenants is not None and job.tenant_id not in tenants:
            continue
        now = clock()
        if now >= deadline:
            return JobResult(name="run_restores", processed=done, finished=False)
        until: datetime | None = deadline
        target = job.target_tenant_id or job.tenant_id
        if not job.emergency and target == job.tenant_id:
            closes = closes_at(window_of(db, target), now)
            until = None if closes is None else min(closes, deadline)
        if until is None:
            continue  # outside its tenant's window: a later run does it
        if not job.progress.get("started") and until - now < MIN_TIME_TO_START:
            continue
        ran = _run(db, job.id, until, clock)
        done += ran is True
        finished = finished and ran is not False
    return JobResult(name="run_restores", processed=done, finished=finished)


def restore_now(
    db: firestore.Client, job_id: str, clock: Clock, progress: Progress = _quiet
) -> jobstore.MaintenanceJob:
    """Run a queued restore at once (an emergency, or the owner's command line); what
    EMERGENCY_BUDGET leaves undone the next nightly run carries on."""
    if _run(db, job_id, clock() + EMERGENCY_BUDGET, clock, progress) is None:
        raise jobstore.JobLeased()
    return jobstore.load(db, job_id)


def plan_restore(
    db: firestore.Client, tenant_id: str, backup_stamp: str, target: str | None
) -> RestoreReport:
    """The dry run: what a restore would add, change and delete, per collection."""
    check_restorable(db, tenant_id, backup_stamp, target or tenant_id)
    return restore_tenant(db, tenant_id, backup_stamp, target=target, dry_run=True)
