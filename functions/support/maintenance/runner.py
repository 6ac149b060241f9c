"""The nightly maintenance runner: every job in turn, until done or 03:00 Copenhagen time.

Cloud Scheduler calls `nightly_maintenance` at 00:00 Europe/Copenhagen. Each job is
idempotent and checks the deadline between batches, so one cut off by the deadline
continues the next night. The jobs live beside the data they own (shared/jobs.py).
Work inside each tenant's own window (restores; windows.py) runs in that run too and in
the hourly `tenant-windows` runs from 22:00 to 02:00 (`run_windows`), so a window that
opens at 23:00 (Handsonsimply) is honoured; leases keep overlapping runs apart.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from google.cloud import firestore

from functions.support.exports.archive import build_tenant_exports
from functions.support.maintenance.backups.backup import (
    backup_tenants,
    observe_backup_ages,
    purge_old_backups,
)
from functions.support.maintenance.backups.drills import (
    drill_restores,
    remove_left_over_drill_copies,
)
from functions.support.maintenance.backups.restore_jobs import run_restores
from functions.support.maintenance.cancellation_reminders import remind_cancellation_deadlines
from functions.support.maintenance.client_retention import apply_client_retention
from functions.support.maintenance.migrations.job import run_migrations
from functions.support.maintenance.request_reminders import remind_request_deadlines
from functions.support.maintenance.tenant_deletion import erase_terminated_tenants
from functions.support.maintenance.wellbeing_reminders import (
    remind_own_checks,
    remind_own_programmes,
    remind_wellbeing_checks,
)
from functions.support.sla.retention import purge_old_tickets
from functions.support.status.backup import reports_backup
from functions.support.usage.job import count_usage
from shared.client_data import resume_erasures
from shared.http import purge_idempotency_keys
from shared.jobs import Clock, Job, JobResult
from shared.member_creation import roll_back_stalled_member_creations
from shared.messaging.retention import fail_stalled_messages, purge_old_messages
from shared.models import Model
from shared.observability import metrics
from shared.offline import purge_old_quarantine
from shared.ratelimit import purge_rate_limits
from shared.vr_retention import purge_vr_sessions

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
WINDOW_START, WINDOW_END = time(0, 0), time(3, 0)
# A run started by operations staff outside the window gets this long.
MANUAL_RUN_BUDGET = timedelta(hours=1)

# What a crash may have left half done, repaired first every night.
REPAIRS: tuple[Job, ...] = (
    resume_erasures,
    roll_back_stalled_member_creations,
    fail_stalled_messages,
)
JOBS: tuple[Job, ...] = (
    *REPAIRS,
    purge_old_messages,
    purge_rate_limits,
    purge_vr_sessions,
    purge_idempotency_keys,
    purge_old_tickets,
    purge_old_quarantine,
    remind_request_deadlines,
    remind_cancellation_deadlines,
    remind_wellbeing_checks,
    remind_own_checks,
    remind_own_programmes,
    count_usage,
    run_restores,  # only the tenants whose window is open, before the backups
    apply_client_retention,  # inside each tenant's window; before the backups
    erase_terminated_tenants,  # before the backups: a deleted tenant is not backed up again
    remove_left_over_drill_copies,  # before the backups: a drill's copy is never backed up
    reports_backup(backup_tenants),  # after the cleaning; its outcome on the status page
    run_migrations,  # after the backup: last night's backup is from before any migration
    purge_old_backups,
    observe_backup_ages,  # after the backups: the alert sees tonight's
    drill_restores,  # weekly per tenant, of the backup just taken
    build_tenant_exports,  # last: an administrator's export, from the data as it is now
)
# What the hourly runs around midnight do: only the work inside tenants' own windows.
WINDOW_JOBS: tuple[Job, ...] = (
    run_restores,
    apply_client_retention,
    run_migrations,
    build_tenant_exports,
)


class MaintenanceReport(Model):
    started_at: datetime
    deadline: datetime
    jobs: list[JobResult]


def run_deadline(now: datetime) -> datetime:
    """03:00 Copenhagen time when inside the window, else the manual-run budget."""
    local = now.astimezone(COPENHAGEN)
    if WINDOW_START <= local.time() < WINDOW_END:
        return datetime.combine(local.date(), WINDOW_END, COPENHAGEN).astimezone(UTC)
    return now + MANUAL_RUN_BUDGET


def _now() -> datetime:
    return datetime.now(UTC)


def run_nightly(db: firestore.Client, clock: Clock = _now) -> MaintenanceReport:
    """Every job in turn until the deadline; the run's outcome (`finished`, `cut_off` by the
    deadline, or `failed`) and duration go to trivsel.nightly.runs / .duration."""
    started = clock()
    return _run(db, JOBS, started, run_deadline(started), clock)


def run_windows(db: firestore.Client, clock: Clock = _now) -> MaintenanceReport:
    """An hourly run: the work of every tenant whose own window is open now, for an hour."""
    started = clock()
    return _run(db, WINDOW_JOBS, started, started + MANUAL_RUN_BUDGET, clock)


def run_repairs(db: firestore.Client, clock: Clock = _now) -> MaintenanceReport:
    """Only the night's repairs of what a crash left half done (the crash tests run these:
    the whole night backs up every tenant, which a repair does not wait for)."""
    started = clock()
    return _run(db, REPAIRS, started, started + MANUAL_RUN_BUDGET, clock)


def _run(
    db: firestore.Client,
    jobs: tuple[Job, ...],
    started: datetime,
    deadline: datetime,
    clock: Clock,
) -> MaintenanceReport:
    results = []
    try:
        for job in jobs:
            if clock() >= deadline:
                results.append(JobResult(name=job.__name__, processed=0, finished=False))
                continue
            results.append(job(db, deadline, clock))
    except Exception:
        metrics.record_nightly_run("failed", (clock() - started).total_seconds())
        raise
    outcome = "finished" if all(result.finished for result in results) else "cut_off"
    metrics.record_nightly_run(outcome, (clock() - started).total_seconds())
    return MaintenanceReport(started_at=started, deadline=deadline, jobs=results)
