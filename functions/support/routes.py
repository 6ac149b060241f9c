"""support_api's routes, the system owner's only: a tenant's backups, restores (queued for
the tenant's window, or run now in an emergency with a reason), and maintenance jobs.

A restore request is checked whole before anything is written (unknown tenant, no such
complete backup, a restore already queued or running, a non-empty target); then the
owner's access is written to the tenant's log (`owner.access`, with the purpose and any
reason) and the job to `maintenance_jobs`, the supplier's own record of who asked for
what and why. The restore's own `tenant.restored` entry (with the owner, the job and
the reason) is written to the restored tenant's log when it ends.
"""

from __future__ import annotations

from datetime import UTC, datetime

from functions.support.maintenance import jobstore
from functions.support.maintenance.backups import restore_jobs
from functions.support.maintenance.backups.listing import list_backups
from functions.support.maintenance.backups.restore_jobs import (
    RestoreInProgress,
    TenantDeleted,
    TenantNotFound,
)
from functions.support.models import BackupList, JobList, JobQuery, RestoreReply, RestoreRequest
from shared.backups.errors import BackupNotFound, TenantExists
from shared.gcp import firestore_client
from shared.http import Api
from shared.principal import Principal, Role
from shared.tenancy import SEGMENT_PATTERN, TENANT_ID_PATTERN

OWNER = [Role.OWNER]
TENANT = "/tenants/<tenant_id>"


def _now() -> datetime:
    return datetime.now(UTC)


def _tenant_id(tenant_id: str) -> str:
    if not TENANT_ID_PATTERN.fullmatch(tenant_id):
        raise TenantNotFound()
    return tenant_id


def register(api: Api) -> None:
    @api.route(
        "GET",
        TENANT + "/restore-points",
        summary="A tenant's restore points (each a complete backup): stamp, counts, size",
        roles=OWNER,
        refusals=[TenantNotFound, TenantDeleted],
    )
    def restore_points(caller: Principal, tenant_id: str) -> BackupList:
        found = list_backups(_tenant_id(tenant_id))
        if not found:
            restore_jobs.check_tenant(firestore_client(), tenant_id)
        return BackupList(backups=found)

    @api.route(
        "POST",
        TENANT + "/restores",
        summary="Restore a tenant to a backup (in its window, or now with a reason; or a dry run)",
        roles=OWNER,
        refusals=[TenantNotFound, TenantDeleted, BackupNotFound, RestoreInProgress, TenantExists],
    )
    def restore(caller: Principal, tenant_id: str, body: RestoreRequest) -> RestoreReply:
        db = firestore_client()
        source = _tenant_id(tenant_id)
        target = body.target_tenant_id or source
        plan = restore_jobs.plan_restore(db, source, body.backup, target)
        if body.dry_run:
            caller.owner_access(source, f"restore dry run: {body.backup}")
            return RestoreReply(plan=plan)
        if restore_jobs.lock_ref(db, target).get().exists:
            raise RestoreInProgress()
        purpose = f"emergency restore: {body.reason}" if body.now else "restore queued"
        caller.owner_access(source, f"{purpose} ({body.backup} into {target})")
        job = restore_jobs.queue_restore(
            db,
            source,
            body.backup,
            target=target,
            requested_by=caller.uid,
            clock=_now,
            reason=body.reason,
            emergency=body.now,
        )
        if body.now:
            job = restore_jobs.restore_now(db, job.id, _now)
        return RestoreReply(plan=plan, job=job)

    @api.route("GET", "/jobs", summary="The newest maintenance jobs (of one tenant)", roles=OWNER)
    def jobs(caller: Principal, query: JobQuery) -> JobList:
        return JobList(jobs=jobstore.listed(firestore_client(), query.tenant_id))

    @api.route(
        "GET",
        "/jobs/<job_id>",
        summary="One maintenance job: state, progress, lease",
        roles=OWNER,
        refusals=[jobstore.JobNotFound],
    )
    def job(caller: Principal, job_id: str) -> jobstore.MaintenanceJob:
        if not SEGMENT_PATTERN.fullmatch(job_id):
            raise jobstore.JobNotFound()
        return jobstore.load(firestore_client(), job_id)
