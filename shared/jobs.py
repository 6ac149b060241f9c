"""What a nightly job is: a function of the database, its deadline and a clock.

Each job works in batches, checks the deadline between batches and is idempotent,
so a job cut off by the deadline simply continues the next night. Jobs live beside
the data they own (message retention in shared/messaging, rate-limit counters in
shared/ratelimit); functions/support/maintenance runs them in the nightly window.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import Field

from shared.models import Model

BATCH = 200  # documents per query page and per batched write

Clock = Callable[[], datetime]


class JobResult(Model):
    name: str
    processed: int
    finished: bool  # False: stopped at the deadline, continues next night
    # What failed and was left for the next night ("tenant/what", no personal data).
    failures: list[str] = Field(default_factory=list)


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


def finish_stalled(
    db: firestore.Client,
    name: str,
    *,
    group: str,
    since_field: str,
    older_than: timedelta,
    finish: Callable[[firestore.DocumentSnapshot[Any]], None],
    deadline: datetime,
    clock: Clock,
) -> JobResult:
    """Hand every document of a collection group whose `since_field` is older than
    `older_than` (work whose request died) to `finish`, oldest first, a page at a time.
    `finish` must take the document out of the query (complete or undo its work), so
    each page finds new ones; the query needs a collection-group index on the field."""
    done = 0
    while clock() < deadline:
        query = (
            db.collection_group(group)
            .where(filter=FieldFilter(since_field, "<", clock() - older_than))
            .order_by(since_field)
            .limit(BATCH)
        )
        page = query.get()
        if not page:
            return JobResult(name=name, processed=done, finished=True)
        for snapshot in page:
            finish(snapshot)
            done += 1
    return JobResult(name=name, processed=done, finished=False)
