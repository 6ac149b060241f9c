"""The client log and "my log", read from the tenant's event log (SPEC C-6)."""

from __future__ import annotations

from typing import Any

from google.cloud.firestore_v1.base_query import FieldFilter

from functions.clients.models import LogEntry, LogPage, LogQuery
from shared.events import EVENTS
from shared.paging import page
from shared.tenancy import TenantData


def log_page(data: TenantData, field: str, value: str, query: LogQuery) -> LogPage:
    """Events whose `field` is `value`, newest first, filtered and a page at a time."""
    events: Any = data.collection(EVENTS).where(filter=FieldFilter(field, "==", value))
    if query.action:
        events = events.where(filter=FieldFilter("action", "==", query.action))
    if query.exercise_id:
        events = events.where(filter=FieldFilter("exercise_id", "==", query.exercise_id))
    if query.since:
        events = events.where(filter=FieldFilter("at", ">=", query.since))
    if query.until:
        events = events.where(filter=FieldFilter("at", "<", query.until))
    events = events.order_by("at", direction="DESCENDING").order_by(
        "__name__", direction="DESCENDING"
    )
    found = page(
        events,
        data.collection(EVENTS),
        query.cursor,
        query.limit,
        lambda s: LogEntry.model_validate({"id": s.id, **(s.to_dict() or {})}),
    )
    return LogPage(entries=found.items, next_cursor=found.next_cursor)
