"""Message records over time: what the nightly maintenance does with them (SPEC M-3).

A record holds the recipient's address (and a one-time link), so it is kept only as
long as support needs it; a message still undelivered a day after its last change
was lost on the way and is recorded as failed, with why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.events import SYSTEM_ACTOR, record_event
from shared.jobs import BATCH, Clock, JobResult
from shared.messaging.models import MESSAGES, MessageState
from shared.observability import metrics
from shared.tenancy import TENANTS, TenantData

# Message records hold recipients' addresses: kept as long as support needs them.
MESSAGE_RETENTION = timedelta(days=30)
# A message not delivered a day after its last change is lost, not slow.
STALLED_AFTER = timedelta(days=1)


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
    """A message still queued or sending a day after its last change (or after its send
    time, for a scheduled one) was lost on the way (a publish that failed, a dead-lettered
    push): record it as failed, with why. A message scheduled for later is waiting."""
    stalled = {MessageState.QUEUED.value, MessageState.SENDING.value}
    failed: Counter[str] = Counter()
    stalled_channels: Counter[tuple[str, str]] = Counter()
    reason = f"not delivered within {STALLED_AFTER.days} day; check the delivery function"
    for page in _old_messages(db, STALLED_AFTER, deadline, clock):
        batch = db.batch()
        for snapshot in page:
            due = snapshot.to_dict().get("scheduled_for") if snapshot.exists else None
            if due is not None and due + STALLED_AFTER > clock():
                continue
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
                channel = (snapshot.to_dict() or {}).get("request", {}).get("channel", "")
                stalled_channels[(snapshot.reference.path.split("/")[1], channel)] += 1
        batch.commit()
    for (tenant_id, channel), count in stalled_channels.items():
        metrics.record_message(channel, "failed", tenant_id, count)
    _log_counts(db, failed, "maintenance.messages_stalled", {"reason": reason})
    return JobResult(
        name="fail_stalled_messages", processed=sum(failed.values()), finished=clock() < deadline
    )
