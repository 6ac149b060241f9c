"""Nightly job: count each tenant's new events into per-month counters, incrementally.

A cursor per tenant (usage_statistics/cursor: the last event counted, by `at` and id)
makes each night read only the events since the last; the month documents
(usage_statistics/<YYYY-MM>) are raised with increments and the month's distinct ids as
salted hashes (counting.pseudonym), in the same batch as the cursor moves, so a run cut
off or repeated counts nothing twice.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.support.usage.counting import count, pseudonym
from shared.events import EVENTS
from shared.jobs import BATCH, Clock, JobResult
from shared.tenancy import TENANTS, TenantData

USAGE = "usage_statistics"
CURSOR = "cursor"
# An event is written with its `at` in a batch that may commit a moment later: counting
# stops this far before now, so no event lands behind the cursor.
SETTLE = timedelta(minutes=10)


def count_usage(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    name = "count_usage"
    counted = 0
    for tenant_ref in db.collection(TENANTS).list_documents():
        data = TenantData(db, tenant_ref.id)
        while clock() < deadline:
            page = count_page(data, clock() - SETTLE)
            counted += page
            if page < BATCH:
                break
        if clock() >= deadline:
            return JobResult(name=name, processed=counted, finished=False)
    return JobResult(name=name, processed=counted, finished=True)


def count_page(data: TenantData, until: datetime, limit: int = BATCH) -> int:
    """Count the next page of the tenant's events; returns how many were read."""
    cursor_ref = data.document(USAGE, CURSOR)
    cursor = cursor_ref.get().to_dict() or {}
    events = data.collection(EVENTS).where(filter=FieldFilter("at", "<", until))
    query = events.order_by("at").order_by("__name__").limit(limit)
    if cursor:
        last_counted = data.document(EVENTS, cursor["id"]).get()
        # The counted event itself, when it is still there (ties on `at` are broken by
        # id); an erasure may have taken it, and then its moment is the cursor.
        query = query.start_after(last_counted if last_counted.exists else {"at": cursor["at"]})
    page = query.get()
    if not page:
        return 0
    months = count(s.to_dict() or {} for s in page)
    refs = {month: data.document(USAGE, month) for month in months}
    salts = {s.id: (s.to_dict() or {}).get("salt") for s in data.db.get_all(list(refs.values()))}
    batch = data.db.batch()
    for month, counted in months.items():
        ref = refs[month]
        salt = salts.get(month) or secrets.token_hex(16)
        # Made if new, then raised by dotted paths: a set(merge=True) whose map holds
        # only increments would write that map empty first.
        batch.set(ref, {"month": month, "salt": salt}, merge=True)
        update: dict[str, Any] = {
            f"counts.{m}": firestore.Increment(n) for m, n in counted.counts.items()
        }
        if counted.actors:
            update["actors"] = firestore.ArrayUnion(
                sorted(pseudonym(salt, a) for a in counted.actors)
            )
        if counted.clients:
            update["clients"] = firestore.ArrayUnion(
                sorted(pseudonym(salt, c) for c in counted.clients)
            )
        if update:
            batch.update(ref, update)
    last = page[-1]
    batch.set(cursor_ref, {"at": (last.to_dict() or {})["at"], "id": last.id})
    batch.commit()
    return len(page)
