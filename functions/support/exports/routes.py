"""The administrator's whole-tenant export (SPEC T-4, GDPR Art. 20) on support_api.

Open to the administrator of an active, suspended or terminated tenant (until its export
period ends: 403 `export_period_over`), never to a professional (403 `forbidden`).
`POST /tenant/exports` queues the job (or answers the one already queued or running);
`GET /tenant/exports/{id}` shows its state and, once done and for EXPORT_LIFETIME, a
fresh 15-minute signed link (afterwards 410 `export_expired`); `POST
/tenant/export-received` records that a terminated customer received its export, after
which the next night erases the tenant (maintenance/tenant_deletion.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from functions.support.exports.archive import queue_export
from functions.support.maintenance import jobstore
from functions.support.maintenance.jobstore import JobKind, JobState, MaintenanceJob
from functions.support.models import ExportReceived, ExportStatus
from shared import errors
from shared.events import record_event
from shared.exports import EXPORT_LIFETIME, archive_name
from shared.gcp import firestore_client
from shared.http import Api
from shared.principal import Principal, Role
from shared.settings import get_settings
from shared.storage import SIGNED_URL_LIFETIME, signed_url
from shared.tenancy import SEGMENT_PATTERN, TenantData
from shared.tenants import TenantStatus

ADMIN = [Role.ADMIN]
STATES = [errors.ExportPeriodOver]


class ExportNotFound(errors.ApiError):
    status, code, title = 404, "export_not_found", "Your organisation has no export of that id"


class ExportExpired(errors.ApiError):
    status, code = 410, "export_expired"
    title = "The export's download period has ended; ask for a new export"


class NotTerminated(errors.ApiError):
    status, code = 409, "tenant_not_terminated"
    title = "Only a terminated organisation confirms receiving its export"


def _now() -> datetime:
    return datetime.now(UTC)


def status_of(job: MaintenanceJob, now: datetime) -> ExportStatus:
    link = expires = None
    if job.state is JobState.DONE and job.finished_at is not None:
        if now >= job.finished_at + EXPORT_LIFETIME:
            raise ExportExpired()
        name = archive_name(job.tenant_id, job.id)
        bucket = get_settings().exports_bucket
        link = signed_url(bucket, name, method="GET", expires=SIGNED_URL_LIFETIME)
        expires = now + SIGNED_URL_LIFETIME
    return ExportStatus(
        id=job.id,
        state=job.state,
        documents=int(job.progress.get("documents", 0)),
        files=job.counts.get("files", 0),
        accounts=job.counts.get("accounts", 0),
        requested_at=job.created_at,
        finished_at=job.finished_at,
        download_url=link,
        download_expires_at=expires,
    )


def register(api: Api) -> None:
    @api.route(
        "POST",
        "/tenant/exports",
        summary="Ask for the whole tenant's data as one archive (also suspended or terminated)",
        roles=ADMIN,
        status=202,
        refusals=STATES,
        inactive_tenants=True,
    )
    def request_export(caller: Principal, tenant: TenantData) -> ExportStatus:
        db, now = firestore_client(), _now()
        running = [
            j for j in jobstore.unfinished(db, JobKind.EXPORT) if j.tenant_id == tenant.tenant_id
        ]
        if running:
            return status_of(running[0], now)
        job = queue_export(db, tenant.tenant_id, caller.uid, now, f"export-{uuid.uuid4().hex}")
        record_event(
            tenant, actor=caller.uid, action="tenant.export_requested", subject=job.id, details={}
        )
        return status_of(job, now)

    @api.route(
        "GET",
        "/tenant/exports/<export_id>",
        summary="An export's state (queued, running with counts, done with its link)",
        roles=ADMIN,
        refusals=[*STATES, ExportNotFound, ExportExpired],
        inactive_tenants=True,
    )
    def export_status(caller: Principal, tenant: TenantData, export_id: str) -> ExportStatus:
        if not SEGMENT_PATTERN.fullmatch(export_id):
            raise ExportNotFound()
        try:
            job = jobstore.load(firestore_client(), export_id)
        except jobstore.JobNotFound:
            raise ExportNotFound() from None
        if job.kind is not JobKind.EXPORT or job.tenant_id != tenant.tenant_id:
            raise ExportNotFound()  # another tenant's job is no business of this one
        return status_of(job, _now())

    @api.route(
        "POST",
        "/tenant/export-received",
        summary="Confirm the export was received: the tenant is erased the next night",
        roles=ADMIN,
        refusals=[*STATES, NotTerminated],
        inactive_tenants=True,
    )
    def export_received(caller: Principal, tenant: TenantData) -> ExportReceived:
        if caller.tenant is None or caller.tenant.status != TenantStatus.TERMINATED:
            raise NotTerminated()
        now = _now()
        tenant.root.update({"export_received_at": now})
        record_event(
            tenant, actor=caller.uid, action="tenant.export_received", subject="tenant", details={}
        )
        return ExportReceived(export_received_at=now)
