"""Long maintenance work as checkpointed jobs: `maintenance_jobs/{id}`, leased to one runner.

A job document (supplier-side, outside tenants/, server-only like every collection no
rule opens) holds what the work is, its state, its cursor (`progress`: the parts done,
the phase reached), counts, timestamps and the lease: `lease_owner` and
`lease_expires`. A runner claims a job in a Firestore transaction, so of two runs that
overlap (Cloud Scheduler delivers at least once) one gets it and the other skips it;
every checkpoint renews the lease in a transaction that first checks it is still the
holder, so a runner that lost its lease (it stalled past LEASE) stops instead of
writing beside the new one. A process killed at any point leaves the job `running` with
a lease that runs out; the next run takes it over and continues from the checkpoint.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import Field

from shared.errors import ApiError
from shared.faults import crash_point
from shared.jobs import Clock
from shared.models import Model

JOBS = "maintenance_jobs"
# Held this long without a checkpoint, a lease is presumed dead (batches take seconds).
LEASE = timedelta(minutes=10)


class JobKind(StrEnum):
    BACKUP = "backup"
    RESTORE = "restore"
    EXPORT = "export"  # a whole-tenant export for its administrator (functions/support/exports)


class JobState(StrEnum):
    QUEUED = "queued"  # waiting for its tenant's window (a restore) or the next run
    RUNNING = "running"  # started; resumed from `progress` by whoever holds the lease
    DONE = "done"
    FAILED = "failed"  # stopped for good (e.g. a corrupt backup); `error` says why


UNFINISHED = (JobState.QUEUED, JobState.RUNNING)


class MaintenanceJob(Model):
    id: str
    kind: JobKind
    tenant_id: str
    backup: str = ""  # the backup's stamp (none for an export)
    target_tenant_id: str | None = None  # a restore's target (the tenant itself in place)
    state: JobState = JobState.QUEUED
    emergency: bool = False  # a restore run now, outside the tenant's window
    requested_by: str = "system"
    reason: str | None = None
    lease_owner: str | None = None
    lease_expires: datetime | None = None
    progress: dict[str, Any] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)
    plan: dict[str, Any] | None = None  # a restore's report, as planned at its start
    runs: int = 0  # how many times a runner claimed it
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class JobNotFound(ApiError):
    status, code, title = 404, "job_not_found", "No maintenance job has that id"


class JobLeased(ApiError):
    status, code, title = 409, "job_running", "Another runner holds this job's lease"


class LeaseLost(RuntimeError):
    """Another runner took the job over: this one must stop writing at once."""


def runner_id() -> str:
    """Who holds a lease: the machine, the process and a random part (two threads of one
    process are two runners)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"


def job_ref(db: firestore.Client, job_id: str) -> firestore.DocumentReference:
    return db.collection(JOBS).document(job_id)


def _from(snapshot: firestore.DocumentSnapshot[Any]) -> MaintenanceJob:
    return MaintenanceJob.model_validate({**(snapshot.to_dict() or {}), "id": snapshot.id})


def _data(job: MaintenanceJob) -> dict[str, Any]:
    return job.model_dump(mode="python", exclude={"id"})


def create(db: firestore.Client, job: MaintenanceJob) -> MaintenanceJob:
    """Create the job, or return the one that has its id already (a rerun of the night)."""
    ref = job_ref(db, job.id)
    try:
        ref.create(_data(job))
    except AlreadyExists:
        return _from(ref.get())
    return job


def load(db: firestore.Client, job_id: str) -> MaintenanceJob:
    snapshot = job_ref(db, job_id).get()
    if not snapshot.exists:
        raise JobNotFound()
    return _from(snapshot)


def unfinished(db: firestore.Client, kind: JobKind) -> list[MaintenanceJob]:
    """Every queued or running job of a kind, oldest first."""
    query = db.collection(JOBS).where(filter=FieldFilter("state", "in", list(UNFINISHED)))
    jobs = [_from(s) for s in query.get()]
    return sorted((j for j in jobs if j.kind is kind), key=lambda j: j.created_at)


def listed(db: firestore.Client, tenant_id: str | None, limit: int = 100) -> list[MaintenanceJob]:
    """The newest jobs, of one tenant (as source or target) or of all."""
    query: Any = db.collection(JOBS)
    if tenant_id is not None:
        query = query.where(filter=FieldFilter("tenant_id", "==", tenant_id))
    jobs = [_from(s) for s in query.get()]
    if tenant_id is not None:
        targeted = db.collection(JOBS).where(
            filter=FieldFilter("target_tenant_id", "==", tenant_id)
        )
        jobs += [j for j in map(_from, targeted.get()) if j.tenant_id != tenant_id]
    return sorted(jobs, key=lambda j: j.created_at, reverse=True)[:limit]


def finished_before(db: firestore.Client, cutoff: datetime) -> list[str]:
    """The ids of the jobs that ended (done or failed) before `cutoff`."""
    query = db.collection(JOBS).where(filter=FieldFilter("finished_at", "<", cutoff))
    return [s.id for s in query.get()]


@dataclass
class Lease:
    """A runner's hold on one job; every checkpoint renews it or raises LeaseLost."""

    db: firestore.Client
    job_id: str
    owner: str
    clock: Clock

    def _update(self, fields: dict[str, Any], *, keep: bool, delete: tuple[Any, ...] = ()) -> None:
        ref = job_ref(self.db, self.job_id)

        @firestore.transactional
        def apply(transaction: firestore.Transaction) -> None:
            snapshot = ref.get(transaction=transaction)
            if not snapshot.exists or snapshot.get("lease_owner") != self.owner:
                raise LeaseLost(self.job_id)
            now = self.clock()
            lease = (
                {"lease_expires": now + LEASE}
                if keep
                else {
                    "lease_owner": None,
                    "lease_expires": None,
                }
            )
            transaction.update(ref, {**fields, **lease, "updated_at": now})
            for other in delete:
                transaction.delete(other)

        apply(self.db.transaction())

    def checkpoint(self, **fields: Any) -> None:
        """Record progress (dotted paths allowed, e.g. `progress.parts`) and renew."""
        self._update(fields, keep=True)
        crash_point("jobs.checkpointed")

    def release(self, *, delete: tuple[Any, ...] = (), **fields: Any) -> None:
        """Stop holding the job (cut off by the deadline, or finished), recording `fields`
        and deleting `delete` (a finished restore's lock) in the same commit."""
        self._update(fields, keep=False, delete=delete)


def claim(
    db: firestore.Client, job_id: str, clock: Clock, owner: str | None = None
) -> tuple[MaintenanceJob, Lease] | None:
    """Take the job's lease if it is unfinished and nobody else holds a live lease; None
    (skip it) otherwise. The job comes back `running`, with its checkpoint."""
    ref = job_ref(db, job_id)
    holder = owner or runner_id()

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> MaintenanceJob | None:
        snapshot = ref.get(transaction=transaction)
        if not snapshot.exists:
            return None
        job = _from(snapshot)
        now = clock()
        if job.state not in UNFINISHED:
            return None
        if job.lease_owner not in (None, holder) and job.lease_expires and job.lease_expires > now:
            return None
        changes = {
            "state": JobState.RUNNING.value,
            "lease_owner": holder,
            "lease_expires": now + LEASE,
            "runs": job.runs + 1,
            "updated_at": now,
            "started_at": job.started_at or now,
        }
        transaction.update(ref, changes)
        return job.model_copy(update={**changes, "state": JobState.RUNNING})

    claimed = apply(db.transaction())
    if claimed is None:
        return None
    crash_point("jobs.claimed")
    return claimed, Lease(db, job_id, holder, clock)


def run_claimed(
    db: firestore.Client,
    job_id: str,
    clock: Clock,
    work: Callable[[MaintenanceJob, Lease], bool],
) -> bool | None:
    """Claim the job and hand it to `work` (True: finished); None when it was not ours
    to run. A lost lease ends quietly: the new holder carries on."""
    claimed = claim(db, job_id, clock)
    if claimed is None:
        return None
    job, lease = claimed
    try:
        return work(job, lease)
    except LeaseLost:
        return False
