"""The nightly maintenance window (SPEC M-3): jobs that stop cleanly by 03:00.

Cloud Scheduler calls `nightly_maintenance` at 00:00 Europe/Copenhagen. Each
job works in batches, checks the deadline between batches and is idempotent,
so a job cut off by the deadline simply continues the next night. Later issues
add backup, restore, erasure and migration jobs to JOBS.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
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
BATCH = 200


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


def purge_old_messages(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """Delete sent and failed message records untouched for MESSAGE_RETENTION."""
    cutoff = clock() - MESSAGE_RETENTION
    done = {MessageState.SENT.value, MessageState.FAILED.value}
    query = (
        db.collection_group(MESSAGES)
        .where(filter=FieldFilter("updated_at", "<", cutoff))
        .order_by("updated_at")
        .limit(BATCH)
    )
    purged: Counter[str] = Counter()
    last = None
    finished = False
    while clock() < deadline:
        page = (query.start_after(last) if last is not None else query).get()
        if not page:
            finished = True
            break
        last = page[-1]
        batch = db.batch()
        for snapshot in page:
            parts = snapshot.reference.path.split("/")
            if parts[0] == TENANTS and len(parts) == 4 and snapshot.get("state") in done:
                batch.delete(snapshot.reference)
                purged[parts[1]] += 1
        batch.commit()
    for tenant_id, count in purged.items():
        record_event(
            TenantData(db, tenant_id),
            actor=SYSTEM_ACTOR,
            action="maintenance.messages_purged",
            subject=MESSAGES,
            details={"count": count, "older_than_days": MESSAGE_RETENTION.days},
        )
    return JobResult(name="purge_old_messages", processed=sum(purged.values()), finished=finished)


JOBS: tuple[Job, ...] = (purge_old_messages,)


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
