"""The client log and "my log", read from the tenant's event log (SPEC C-6)."""

from __future__ import annotations

from typing import Any

from google.cloud.firestore_v1.base_query import FieldFilter

from functions.clients.models import LogEntry, LogPage, LogQuery
from shared import errors
from shared.events import EVENTS
from shared.tenancy import TenantData


def page(data: TenantData, field: str, value: str, query: LogQuery) -> LogPage:
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
    if query.cursor:
        after = data.document(EVENTS, query.cursor).get()
        if not after.exists:
            raise errors.ValidationFailed(
                "The cursor is not valid", errors=[{"field": "cursor", "message": "unknown"}]
            )
        events = events.start_after(after)
    found = events.limit(query.limit + 1).get()
    entries = [
        LogEntry.model_validate({"id": s.id, **(s.to_dict() or {})}) for s in found[: query.limit]
    ]
    return LogPage(
        entries=entries, next_cursor=entries[-1].id if len(found) > query.limit else None
    )
