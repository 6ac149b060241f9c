"""The nightly maintenance runner: every job in turn, until done or 03:00 Copenhagen time.

Cloud Scheduler calls `nightly_maintenance` at 00:00 Europe/Copenhagen. Each job is
idempotent and checks the deadline between batches, so one cut off by the deadline
continues the next night. The jobs live beside the data they own (shared/jobs.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from google.cloud import firestore

from functions.support.maintenance.backups.backup import backup_tenants, purge_old_backups
from functions.support.maintenance.cancellation_reminders import remind_cancellation_deadlines
from functions.support.maintenance.request_reminders import remind_request_deadlines
from functions.support.sla.retention import purge_old_tickets
from functions.support.status.backup import reports_backup
from shared.client_data import resume_erasures
from shared.http import purge_idempotency_keys
from shared.jobs import Clock, Job, JobResult
from shared.member_creation import roll_back_stalled_member_creations
from shared.messaging.retention import fail_stalled_messages, purge_old_messages
from shared.models import Model
from shared.observability import metrics
from shared.ratelimit import purge_rate_limits

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
WINDOW_START, WINDOW_END = time(0, 0), time(3, 0)
# A run started by operations staff outside the window gets this long.
MANUAL_RUN_BUDGET = timedelta(hours=1)

JOBS: tuple[Job, ...] = (
    resume_erasures,  # what a crash interrupted, first
    roll_back_stalled_member_creations,
    fail_stalled_messages,
    purge_old_messages,
    purge_rate_limits,
    purge_idempotency_keys,
    purge_old_tickets,
    remind_request_deadlines,
    remind_cancellation_deadlines,
    reports_backup(backup_tenants),  # after the cleaning; its outcome on the status page
    purge_old_backups,
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


def run_nightly(
    db: firestore.Client, clock: Clock = lambda: datetime.now(UTC)
) -> MaintenanceReport:
    """Every job in turn until the deadline; the run's outcome (`finished`, `cut_off` by the
    deadline, or `failed`) and duration go to trivsel.nightly.runs / .duration."""
    started = clock()
    deadline = run_deadline(started)
    results = []
    try:
        for job in JOBS:
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
