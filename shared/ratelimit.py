"""Fixed-window rate limits kept in Firestore, and the nightly purge of spent counters.

A key's count in a window is spread over SHARDS documents,
`rate_limits/{key}-{window}-{shard}`: a request reads them all in one round trip and,
if under the limit, adds one to a random shard with a server-side increment. So no
single document is written by every request (Firestore sustains about one write a
second per document, and a transaction on one hot counter turned a burst of opens of
one link into errors). Requests that arrive together may pass a few over the limit;
a rate limit is a brake, not a quota. Keys are fingerprints, never the value they
count (an address, a link), so the counters hold no personal data.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.gcp import firestore_client
from shared.jobs import BATCH, Clock, JobResult, delete_until_done

RATE_LIMITS = "rate_limits"
WINDOW = timedelta(hours=1)
SHARDS = 8


def fingerprint(value: str) -> str:
    """A short, non-reversible key for a rate limit or a log line (never the value itself)."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def shards(key: str, now: datetime | None = None) -> list[firestore.DocumentReference]:
    """The counter documents of `key` in the current window (to read with other reads)."""
    window = (now or datetime.now(UTC)).strftime("%Y%m%d%H")
    db = firestore_client()
    return [db.collection(RATE_LIMITS).document(f"{key}-{window}-{n}") for n in range(SHARDS)]


def counted(snapshots: list[Any]) -> int:
    return sum(int(s.get("count") or 0) for s in snapshots if s.exists)


def add_one(writes: Any, key: str, now: datetime | None = None) -> None:
    """Count one request against `key`, in a batch (or transaction) of the caller's."""
    moment = now or datetime.now(UTC)
    shard = shards(key, moment)[random.randrange(SHARDS)]  # noqa: S311 (spreading, not secrecy)
    writes.set(
        shard, {"count": firestore.Increment(1), "expires_at": moment + 2 * WINDOW}, merge=True
    )


def allow(key: str, limit: int, now: datetime | None = None) -> bool:
    """Count one request against `key` in the current window; False when over the limit."""
    db = firestore_client()
    if counted(list(db.get_all(shards(key, now)))) >= limit:
        return False
    batch = db.batch()
    add_one(batch, key, now)
    batch.commit()
    return True


def purge_rate_limits(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """Counters past their window are of no use to anyone."""
    query = (
        db.collection(RATE_LIMITS)
        .where(filter=FieldFilter("expires_at", "<", clock()))
        .order_by("expires_at")
        .limit(BATCH)
    )
    return delete_until_done(db, query, "purge_rate_limits", deadline, clock)
