"""Ids of the records a request creates, derived from its Idempotency-Key when it has one.

A creating request that died after it wrote, and is then run again by its client's
retry (same key, after the key's lease), must find the documents it wrote the first
time instead of creating new ones. So while a request with an Idempotency-Key runs,
`new_id(label)` answers the same id for the same label in every run of that request
(a digest of the key's claim and the label); without a key it is random. The HTTP
layer (shared/http) sets the seed; domain code only asks for ids.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

_SEED: ContextVar[str | None] = ContextVar("trivsel_request_seed", default=None)
LENGTH = 20  # as Firestore's own automatic ids


@contextlib.contextmanager
def seeded(seed: str) -> Iterator[None]:
    """Ids asked for inside are derived from `seed` (the request's Idempotency-Key claim)."""
    token = _SEED.set(seed)
    try:
        yield
    finally:
        _SEED.reset(token)


def new_id(label: str) -> str:
    """A new record's id: the same in every run of one idempotent request, else random."""
    seed = _SEED.get()
    if seed is None:
        return uuid.uuid4().hex[:LENGTH]
    return hashlib.sha256(f"{seed}\n{label}".encode()).hexdigest()[:LENGTH]


def is_retryable() -> bool:
    """Whether this request may be a re-run of one that died (it carries an Idempotency-Key)."""
    return _SEED.get() is not None
