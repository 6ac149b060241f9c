"""The nightly maintenance window (SPEC M-3): jobs that stop cleanly by 03:00.

Cloud Scheduler calls `nightly_maintenance` at 00:00 Europe/Copenhagen. Each
job works in batches, checks the deadline between batches and is idempotent,
so a job cut off by the deadline simply continues the next night. Later issues
add backup, restore, erasure and migration jobs to JOBS.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel

from shared.events import SYSTEM_ACTOR, record_event
from shared.messaging.models import MESSAGES, MessageState
from shared.tenancy import TENANTS, TenantData

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
WINDOW_START, WINDOW_END = time(0, 0), time(3, 0)
# A run started by operations staff outside the window gets this long.
MANUAL_RUN_BUDGET = timedelta(hours=1)
# Message records hold recipients' addresses: kept as long as support needs them.
MESSAGE_RETENTION = timedelta(days=30)
# A message not delivered a day after its last change is lost, not slow.
STALLED_AFTER = timedelta(days=1)
BATCH = 200
RATE_LIMITS = "rate_limits"  # written by functions/tasks/remote.py


class JobResult(BaseModel):
    name: str
    processed: int
    finished: bool  # False: stopped at the deadline, continues next night


class MaintenanceReport(BaseModel):
    started_at: datetime
    deadline: datetime
    jobs: list[JobResult]


Clock = Callable[[], datetime]
Job = Callable[[firestore.Client, datetime, Clock], JobResult]


def run_deadline(now: datetime) -> datetime:
    """03:00 Copenhagen time when inside the window, else the manual-run budget."""
    local = now.astimezone(COPENHAGEN)
    if WINDOW_START <= local.time() < WINDOW_END:
        return datetime.combine(local.date(), WINDOW_END, COPENHAGEN).astimezone(UTC)
    return now + MANUAL_RUN_BUDGET


def _old_messages(
    db: firestore.Client, older_than: timedelta, deadline: datetime, clock: Clock
) -> Iterator[list[Any]]:
    """Pages of tenant message records untouched for `older_than`, until the deadline
    (the caller learns whether the deadline cut it short from `clock() < deadline`)."""
    query = (
        db.collection_group(MESSAGES)
        .where(filter=FieldFilter("updated_at", "<", clock() - older_than))
        .order_by("updated_at")
        .limit(BATCH)
    )
    last = None
    while clock() < deadline:
        page = (query.start_after(last) if last is not None else query).get()
        if not page:
            return
        last = page[-1]
        # Only documents at tenants/{t}/messages/{id}: a collection group matches any depth.
        yield [
            s
            for s in page
            if s.reference.path.split("/")[0] == TENANTS and len(s.reference.path.split("/")) == 4
        ]


def _log_counts(
    db: firestore.Client, counts: Counter[str], action: str, details: dict[str, object]
) -> None:
    for tenant_id, count in counts.items():
        record_event(
            TenantData(db, tenant_id),
            actor=SYSTEM_ACTOR,
            action=action,
            subject=MESSAGES,
            details={"count": count, **details},
        )


def purge_old_messages(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """Delete sent and failed message records untouched for MESSAGE_RETENTION."""
    done = {MessageState.SENT.value, MessageState.FAILED.value}
    purged: Counter[str] = Counter()
    for page in _old_messages(db, MESSAGE_RETENTION, deadline, clock):
        batch = db.batch()
        for snapshot in page:
            if snapshot.get("state") in done:
                batch.delete(snapshot.reference)
                purged[snapshot.reference.path.split("/")[1]] += 1
        batch.commit()
    _log_counts(
        db, purged, "maintenance.messages_purged", {"older_than_days": MESSAGE_RETENTION.days}
    )
    return JobResult(
        name="purge_old_messages", processed=sum(purged.values()), finished=clock() < deadline
    )


def fail_stalled_messages(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """A message still queued or sending a day after its last change was lost on the way
    (a publish that failed, a dead-lettered push): record it as failed, with why."""
    stalled = {MessageState.QUEUED.value, MessageState.SENDING.value}
    failed: Counter[str] = Counter()
    reason = f"not delivered within {STALLED_AFTER.days} day; check the delivery function"
    for page in _old_messages(db, STALLED_AFTER, deadline, clock):
        batch = db.batch()
        for snapshot in page:
            if snapshot.get("state") in stalled:
                batch.update(
                    snapshot.reference,
                    {
                        "state": MessageState.FAILED.value,
                        "failure_reason": reason,
                        "lease_until": None,
                        "updated_at": clock(),
                    },
                )
                failed[snapshot.reference.path.split("/")[1]] += 1
        batch.commit()
    _log_counts(db, failed, "maintenance.messages_stalled", {"reason": reason})
    return JobResult(
        name="fail_stalled_messages", processed=sum(failed.values()), finished=clock() < deadline
    )


def purge_rate_limits(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """Rate-limit counters (remote-task links) past their hour are of no use to anyone."""
    query = (
        db.collection(RATE_LIMITS)
        .where(filter=FieldFilter("expires_at", "<", clock()))
        .order_by("expires_at")
        .limit(BATCH)
    )
    purged = 0
    while clock() < deadline:
        page = query.get()
        if not page:
            return JobResult(name="purge_rate_limits", processed=purged, finished=True)
        batch = db.batch()
        for snapshot in page:
            batch.delete(snapshot.reference)
        batch.commit()
        purged += len(page)
    return JobResult(name="purge_rate_limits", processed=purged, finished=False)


JOBS: tuple[Job, ...] = (fail_stalled_messages, purge_old_messages, purge_rate_limits)


def run_nightly(
    db: firestore.Client, clock: Clock = lambda: datetime.now(UTC)
) -> MaintenanceReport:
    started = clock()
    deadline = run_deadline(started)
    results = []
    for job in JOBS:
        if clock() >= deadline:
            results.append(JobResult(name=job.__name__, processed=0, finished=False))
            continue
        results.append(job(db, deadline, clock))
    return MaintenanceReport(started_at=started, deadline=deadline, jobs=results)
