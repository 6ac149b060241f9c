"""The client log and "my log", read from the tenant's event log (SPEC C-6), and the
professional's notes written to it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.cloud.firestore_v1.base_query import FieldFilter

from functions.clients.models import LogEntry, LogNote, LogPage, LogQuery
from shared.clients import CLIENTS, load_for_change, touch
from shared.events import EVENTS, new_event
from shared.ids import new_id
from shared.paging import page
from shared.principal import Principal
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


NOTE = "client.note"  # a professional's note in the client log


def note_event(
    data: TenantData,
    actor: str,
    client_id: str,
    note: LogNote,
    *,
    event_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> tuple[Any, dict[str, Any]]:
    """The note as a log entry, to create in a batch (online and offline alike)."""
    return new_event(
        data,
        actor=actor,
        action=NOTE,
        subject=f"{CLIENTS}/{client_id}",
        client_id=client_id,
        details={"text": note.text, **(details or {})},
        event_id=event_id,
    )


def add_note(me: Principal, data: TenantData, client_id: str, note: LogNote) -> LogEntry:
    """A note in the client log; a restricted client is not processed (C-6)."""
    load_for_change(data, client_id)
    ref, event = note_event(data, me.uid, client_id, note, event_id=new_id("note"))
    batch = data.db.batch()
    batch.create(ref, event)
    touch(batch, data, client_id, datetime.now(UTC))  # a note is activity (retention)
    batch.commit()
    return LogEntry.model_validate({"id": ref.id, **event})
