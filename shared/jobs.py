"""What a nightly job is: a function of the database, its deadline and a clock.

Each job works in batches, checks the deadline between batches and is idempotent,
so a job cut off by the deadline simply continues the next night. Jobs live beside
the data they own (message retention in shared/messaging, rate-limit counters in
shared/ratelimit); functions/support/maintenance runs them in the nightly window.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from google.cloud import firestore
from pydantic import BaseModel

BATCH = 200  # documents per query page and per batched write

Clock = Callable[[], datetime]


class JobResult(BaseModel):
    name: str
    processed: int
    finished: bool  # False: stopped at the deadline, continues next night


Job = Callable[[firestore.Client, datetime, Clock], JobResult]
