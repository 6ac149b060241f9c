"""Idempotency keys for creating requests (IETF httpapi draft "Idempotency-Key").

A client that retries a creating POST with the same `Idempotency-Key` gets the first
response and nothing is created twice; the same key with another body is refused
(422 `idempotency_key_reused`). The first request marks the key as in progress before
it runs, so a retry that overtakes it waits for nothing: it is told to try again (409
`conflict` with Retry-After: what is left of the lease), unless the first died, which its
lease tells. A retry after the lease runs the request again; the ids it creates records
under are derived from the key (shared/ids.py), so the re-run finds what the first run
wrote instead of writing it twice. Keys live 24 hours (the
nightly maintenance deletes older ones) and are kept per caller, so no other caller's
key can collide with or replay someone's response.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from google.api_core.exceptions import AlreadyExists, FailedPrecondition
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared import errors
from shared.gcp import firestore_client
from shared.jobs import BATCH, Clock, JobResult, delete_until_done

HEADER = "Idempotency-Key"
IDEMPOTENCY_KEYS = "idempotency_keys"  # top level: owners' requests have no tenant
KEPT = timedelta(hours=24)
# A first request still running after this is presumed dead: twice the longest time a
# function may run (infra/deployment.toml timeouts), so a slow one is never run twice.
LEASE = timedelta(seconds=120)
MAX_KEY_LENGTH = 255


class KeyInProgress(errors.Conflict):
    """A retry that overtook the first request (still within its lease): try again later."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class KeyReused(errors.ApiError):
    status, code = 422, "idempotency_key_reused"
    title = "This Idempotency-Key was used with another request body"


@dataclass(frozen=True)
class Replay:
    status: int
    body: str


def _ref(caller: str, route: str, key: str) -> Any:
    digest = hashlib.sha256(json.dumps([caller, route, key]).encode()).hexdigest()
    return firestore_client().collection(IDEMPOTENCY_KEYS).document(digest)


def begin(caller: str, route: str, key: str, body: bytes) -> tuple[Any, Replay | None]:
    """Claim the key for this request, or the response of the request that claimed it."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise errors.ValidationFailed(
            f"The {HEADER} header has 1 to {MAX_KEY_LENGTH} characters",
            errors=[{"field": HEADER, "message": "length"}],
        )
    ref = _ref(caller, route, key)
    fingerprint = hashlib.sha256(body).hexdigest()
    now = datetime.now(UTC)
    try:
        ref.create({"body": fingerprint, "state": "running", "at": now})
        return ref, None
    except AlreadyExists:
        pass
    snapshot = ref.get()
    held = snapshot.to_dict() or {}
    if held.get("body") != fingerprint:
        raise KeyReused()
    if held.get("state") == "done":
        return ref, Replay(int(held["status"]), str(held["response"]))
    started = held.get("at")
    if isinstance(started, datetime) and started + LEASE > now:
        wait = math.ceil((started + LEASE - now).total_seconds())
        raise KeyInProgress("The first request with this Idempotency-Key is still running", wait)
    # The first request died before it answered: this one takes over.
    try:
        ref.update(
            {"at": now},
            option=firestore_client().write_option(last_update_time=snapshot.update_time),
        )
    except FailedPrecondition:
        raise errors.Conflict("Another retry with this Idempotency-Key took over") from None
    return ref, None


def finish(ref: Any, status: int, response: str) -> None:
    """Keep the first response for retries (a refusal is not kept: it may be retried)."""
    ref.update({"state": "done", "status": status, "response": response})


def abandon(ref: Any) -> None:
    """A request that was refused frees its key: a retry runs again."""
    ref.delete()


def purge_idempotency_keys(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """Keys older than KEPT are of no use (and their responses may hold personal data)."""
    query = (
        db.collection(IDEMPOTENCY_KEYS)
        .where(filter=FieldFilter("at", "<", clock() - KEPT))
        .order_by("at")
        .limit(BATCH)
    )
    return delete_until_done(db, query, "purge_idempotency_keys", deadline, clock)
