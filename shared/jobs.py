"""What a nightly job is: a function of the database, its deadline and a clock.

Each job works in batches, checks the deadline between batches and is idempotent,
so a job cut off by the deadline simply continues the next night. Jobs live beside
the data they own (message retention in shared/messaging, rate-limit counters in
shared/ratelimit); functions/support/maintenance runs them in the nightly window.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from google.cloud import firestore

from shared.models import Model

BATCH = 200  # documents per query page and per batched write

Clock = Callable[[], datetime]


class JobResult(Model):
    name: str
    processed: int
    finished: bool  # False: stopped at the deadline, continues next night


Job = Callable[[firestore.Client, datetime, Clock], JobResult]


def delete_until_done(
    db: firestore.Client, query: Any, name: str, deadline: datetime, clock: Clock
) -> JobResult:
    """Delete what `query` (limited to a batch) finds, a batch at a time, until it finds
    nothing or the deadline comes (then the rest waits for the next night)."""
    deleted = 0
    while clock() < deadline:
        page = query.get()
        if not page:
            return JobResult(name=name, processed=deleted, finished=True)
        batch = db.batch()
        for snapshot in page:
            batch.delete(snapshot.reference)
        batch.commit()
        deleted += len(page)
    return JobResult(name=name, processed=deleted, finished=False)
