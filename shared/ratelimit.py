"""Fixed-window rate limits kept in Firestore, and the nightly purge of spent counters.

A counter is one document per key and window, `rate_limits/{key}-{window}`, written
in a transaction. Keys are fingerprints, never the value they count (an address, a
link), so the counters hold no personal data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.gcp import firestore_client
from shared.jobs import BATCH, Clock, JobResult

RATE_LIMITS = "rate_limits"
WINDOW = timedelta(hours=1)


def allow(key: str, limit: int, now: datetime | None = None) -> bool:
    """Count one request against `key` in the current window; False when over the limit."""
    moment = now or datetime.now(UTC)
    window = moment.strftime("%Y%m%d%H")
    ref = firestore_client().collection(RATE_LIMITS).document(f"{key}-{window}")

    @firestore.transactional
    def bump(transaction: firestore.Transaction) -> bool:
        count = int((ref.get(transaction=transaction).to_dict() or {}).get("count", 0))
        if count >= limit:
            return False
        transaction.set(ref, {"count": count + 1, "expires_at": moment + 2 * WINDOW})
        return True

    result: bool = bump(firestore_client().transaction())
    return result


def purge_rate_limits(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """Counters past their window are of no use to anyone."""
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
