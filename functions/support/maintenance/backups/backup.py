"""One tenant's backup into the backups bucket, the nightly job, and retention (M-1).

The documents go in parts of PART_DOCUMENTS, then the objects (each copied, with an index
of their checksums), then the accounts; the manifest, written last, makes the backup
complete. Each backup is a job (`maintenance_jobs/backup-...`, jobstore.py) whose
checkpoint names the parts written, the documents they hold and the last object copied:
a run killed or cut off by the deadline continues from there, reading the documents at
the job's own read time, so the parts come out as an uninterrupted run writes them.
Backups older than RETENTION are deleted by the nightly job (locally there is no
lifecycle rule; in production the bucket's rule in infra/deployment.toml does it too).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from google.cloud import firestore

from functions.support.maintenance import jobstore
from functions.support.maintenance.backups.writer import (
    Progress,
    now,
    quiet,
    write_backup,
)
from shared.backups import layout
from shared.backups.layout import Manifest
from shared.backups.reading import backup_stamps, backups_bucket, load_manifest
from shared.jobs import Clock, JobResult
from shared.observability import metrics

__all__ = ["backup_stamps", "backup_tenant", "backups_bucket", "load_manifest"]

RETENTION = timedelta(days=30)
# A tenant backed up this recently is not backed up again by a rerun of the same night.
FRESH = timedelta(hours=20)
# Tenants backed up at once by the nightly job. One backup keeps a core busy only part of
# the time (it waits on the document stream, uploads and checkpoints), so a few together
# fill the machine; more would only queue for the same cores and the database.
TENANTS_AT_ONCE = 4


def backup_tenant(
    db: firestore.Client,
    tenant_id: str,
    *,
    taken_at: datetime | None = None,
    progress: Progress = quiet,
    read_time: datetime | None = None,
    part_documents: int = layout.PART_DOCUMENTS,
    clock: Clock = now,
) -> Manifest:
    """Write a complete backup of the tenant and return its manifest (a checkpointed job
    `backup-<tenant>-<stamp>`: run again after a crash, it continues where it stopped).

    `taken_at` names the backup (default now); the documents are read at one read time,
    `read_time` (default now), whatever the name says (tests write backups under old dates)."""
    job = new_backup_job(
        db,
        tenant_id,
        taken_at=taken_at or clock(),
        read_time=read_time,
        part_documents=part_documents,
        clock=clock,
    )
    return finish_backup_job(db, job.id, progress=progress, clock=clock)


def new_backup_job(
    db: firestore.Client,
    tenant_id: str,
    *,
    taken_at: datetime,
    read_time: datetime | None = None,
    part_documents: int = layout.PART_DOCUMENTS,
    job_id: str | None = None,
    clock: Clock = now,
) -> jobstore.MaintenanceJob:
    """The job of one backup, created queued (or the one of that id, as it stands)."""
    backup_stamp = layout.stamp(taken_at)
    now = clock()
    job = jobstore.MaintenanceJob(
        id=job_id or f"backup-{tenant_id}-{backup_stamp}",
        kind=jobstore.JobKind.BACKUP,
        tenant_id=tenant_id,
        backup=backup_stamp,
        progress={
            "read_time": read_time or datetime.now(UTC),
            "part_documents": part_documents,
            "phase": "documents",
            "parts": [],
            "collections": {},
            "documents_done": 0,
            "objects_cursor": None,
            "object_chunks": 0,
            "objects": 0,
        },
        created_at=now,
        updated_at=now,
    )
    return jobstore.create(db, job)


def finish_backup_job(
    db: firestore.Client, job_id: str, *, progress: Progress = quiet, clock: Clock = now
) -> Manifest:
    """Run (or resume) the backup job to its end now; JobLeased if another runner has it."""
    job = jobstore.load(db, job_id)
    if job.state is not jobstore.JobState.DONE:
        ran = jobstore.run_claimed(
            db, job_id, clock, lambda j, lease: write_backup(db, j, lease, None, clock, progress)
        )
        if not ran:
            raise jobstore.JobLeased()
    manifest = load_manifest(job.tenant_id, job.backup)
    assert manifest is not None, "a finished backup job has its manifest"
    return manifest


def _tenant_ids(db: firestore.Client) -> Iterator[str]:
    for ref in db.collection("tenants").list_documents():
        yield ref.id


def night_of(moment: datetime) -> str:
    """The night a run belongs to (runs from noon to noon share one), as the Copenhagen
    date it begins on: the nightly backup job's id, so overlapping runs find one job."""
    from shared.subscriptions import COPENHAGEN

    return (moment.astimezone(COPENHAGEN) - timedelta(hours=12)).strftime("%Y%m%d")


def backup_tenants(
    db: firestore.Client,
    deadline: datetime,
    clock: Clock,
    *,
    tenants: Collection[str] | None = None,
) -> JobResult:
    """The nightly job: first continue every backup a crash or the deadline interrupted,
    then back up every tenant (of `tenants`, when given) not backed up in the last FRESH
    hours, TENANTS_AT_ONCE at a time. A job another runner holds is skipped (that runner
    does it); each tenant's job has its own lease, so no job is run twice at once."""
    unfinished = (
        job.id
        for job in jobstore.unfinished(db, jobstore.JobKind.BACKUP)
        if tenants is None or job.tenant_id in tenants
    )
    done, finished = _run_backups(db, deadline, clock, unfinished)
    if finished:
        every = _tenant_ids(db) if tenants is None else tenants
        ids = (_tonights_job(db, tenant_id, clock) for tenant_id in every)
        more, finished = _run_backups(db, deadline, clock, ids)
        done += more
    return JobResult(name="backup_tenants", processed=done, finished=finished)


def is_fresh(tenant_id: str, now: datetime) -> bool:
    """Whether the tenant has a complete backup from the last FRESH hours (tonight's)."""
    stamps = backup_stamps(tenant_id)
    return bool(stamps) and now - layout.taken_at(stamps[-1]) < FRESH


def _tonights_job(db: firestore.Client, tenant_id: str, clock: Clock) -> str | None:
    """The id of tonight's backup job of the tenant; None if it needs none (fresh, done)."""
    if is_fresh(tenant_id, clock()):
        return None
    job = new_backup_job(
        db, tenant_id, taken_at=clock(), job_id=f"backup-{tenant_id}-night-{night_of(clock())}"
    )
    return None if job.state is jobstore.JobState.DONE else job.id


def _run_backups(
    db: firestore.Client, deadline: datetime, clock: Clock, job_ids: Iterator[str | None]
) -> tuple[int, bool]:
    """Run the jobs TENANTS_AT_ONCE at a time, each taken from `job_ids` (None: nothing to
    do for that tenant) when a runner is free: (jobs finished by this run, whether every
    job was run before the deadline). No job starts after the deadline or after one was
    cut off by it; one that was running finishes or is cut off by its own deadline check."""
    lock, done, cut = threading.Lock(), [0], threading.Event()

    def next_job() -> str | None:
        with lock:  # one generator, read by every runner in turn
            while not cut.is_set():
                if clock() >= deadline:  # before the next job is even made
                    cut.set()
                    break
                job_id = next(job_ids, "")
                if job_id == "":
                    break
                if job_id is not None:
                    return job_id
            return None

    def runner() -> None:
        while (job_id := next_job()) is not None:
            try:
                ran = jobstore.run_claimed(
                    db, job_id, clock, lambda j, lease: write_backup(db, j, lease, deadline, clock)
                )
            except BaseException:
                cut.set()  # the other runners start nothing more; the error is raised
                raise
            if ran is False:
                cut.set()
            with lock:
                done[0] += ran is True

    with ThreadPoolExecutor(TENANTS_AT_ONCE, thread_name_prefix="backup-tenant") as pool:
        for future in [pool.submit(runner) for _ in range(TENANTS_AT_ONCE)]:
            future.result()
    return done[0], not cut.is_set()


def observe_backup_ages(
    db: firestore.Client,
    deadline: datetime,
    clock: Clock,
    *,
    tenants: Collection[str] | None = None,
) -> JobResult:
    """The nightly job: each tenant's hours since its newest complete backup, to the gauge
    trivsel.backup.age (the `backup-too-old` alert); a tenant never backed up counts from
    its creation, so it is not silently missing."""
    seen = 0
    for tenant in db.collection("tenants").select(["created_at"]).get():
        if tenants is not None and tenant.id not in tenants:
            continue
        if clock() >= deadline:
            return JobResult(name="observe_backup_ages", processed=seen, finished=False)
        stamps = backup_stamps(tenant.id)
        since = (
            layout.taken_at(stamps[-1]) if stamps else (tenant.to_dict() or {}).get("created_at")
        )
        if isinstance(since, datetime):
            metrics.record_backup_age(tenant.id, (clock() - since).total_seconds() / 3600)
            seen += 1
    return JobResult(name="observe_backup_ages", processed=seen, finished=True)


def purge_old_backups(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """The nightly job: delete every backup (complete or not) taken over RETENTION ago,
    and the finished jobs of that age."""
    deleted = 0
    cutoff = clock() - RETENTION
    for blob in backups_bucket().list_blobs():
        if clock() >= deadline:
            return JobResult(name="purge_old_backups", processed=deleted, finished=False)
        parts = blob.name.split("/")
        old = len(parts) >= 3 and layout.STAMP.match(parts[1])
        if old and layout.taken_at(parts[1]) < cutoff:
            blob.delete()
            deleted += 1
    for job in jobstore.finished_before(db, cutoff):
        if clock() >= deadline:
            return JobResult(name="purge_old_backups", processed=deleted, finished=False)
        jobstore.job_ref(db, job).delete()
    return JobResult(name="purge_old_backups", processed=deleted, finished=True)
