"""The nightly backup's outcome sets the status page's backup component: every tenant
with a complete backup from tonight is operational; some missing is degraded (up to a
tenth) or a partial outage; all missing is a major outage. It reads the backups bucket
rather than the job's counts, so it stays true however the job is cut into parts."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime

from google.cloud import firestore

from functions.support.maintenance.backups.backup import is_fresh
from functions.support.status import store
from functions.support.status.models import Component, ComponentState
from shared.jobs import Clock, Job, JobResult


def backup_state(tenants: int, missing: int) -> ComponentState:
    if missing == 0:
        return ComponentState.OPERATIONAL
    if missing >= tenants:
        return ComponentState.MAJOR_OUTAGE
    return ComponentState.DEGRADED if missing * 10 <= tenants else ComponentState.PARTIAL_OUTAGE


def record_backup_outcome(
    db: firestore.Client, clock: Clock, tenant_ids: Iterable[str] | None = None
) -> ComponentState:
    """Set the backup component from which tenants have a backup of tonight."""
    now = clock()
    ids = (
        list(tenant_ids)
        if tenant_ids is not None
        else [ref.id for ref in db.collection("tenants").list_documents()]
    )
    if not ids:  # no tenant, nothing backed up or missed: the page keeps what it says
        return ComponentState.OPERATIONAL
    missing = sum(1 for tenant_id in ids if not is_fresh(tenant_id, now))
    state = backup_state(len(ids), missing)
    return store.set_component(db, Component.BACKUP, state, "backup", clock)


def reports_backup(job: Job) -> Job:
    """The nightly backup job, followed by its outcome on the status page."""

    @functools.wraps(job)
    def run(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
        result = job(db, deadline, clock)
        record_backup_outcome(db, clock)
        return result

    return run
