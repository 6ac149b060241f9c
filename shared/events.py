"""The per-tenant event log: append-only records of who did what to which subject.

Later capabilities (client log, "my log", audit of owner access) read it. Events
are only ever created, never updated; giving an event id makes recording
idempotent, so a redelivered Pub/Sub message or task logs once.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from google.api_core.exceptions import AlreadyExists
from pydantic import Field

from shared.models import Model

if TYPE_CHECKING:
    from shared.tenancy import TenantData

EVENTS = "events"
SYSTEM_ACTOR = "system"


class Event(Model, frozen=True):
    actor: str  # a uid, or "system" for background work
    action: str  # dotted verb, e.g. "message.sent", "client.created"
    subject: str  # what it concerns, e.g. "messages/<id>", "clients/<id>"
    at: datetime
    details: dict[str, Any] = Field(default_factory=dict)
    # Set when the event concerns a client (the client log) or an exercise; never names.
    client_id: str | None = None
    exercise_id: str | None = None


def record_event(
    tenant: TenantData,
    *,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
    event_id: str | None = None,
    client_id: str | None = None,
    exercise_id: str | None = None,
) -> str:
    """Append an event to the tenant's log and return its id."""
    ref, data = new_event(
        tenant,
        actor=actor,
        action=action,
        subject=subject,
        details=details,
        event_id=event_id,
        client_id=client_id,
        exercise_id=exercise_id,
    )
    # An AlreadyExists means an earlier delivery recorded this very event.
    with contextlib.suppress(AlreadyExists):
        ref.create(data)
    return str(ref.id)


def new_event(
    tenant: TenantData,
    *,
    actor: str,
    action: str,
    subject: str,
    details: dict[str, Any] | None = None,
    event_id: str | None = None,
    client_id: str | None = None,
    exercise_id: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    """An event's reference and data, to create in a batch with the writes it records."""
    events = tenant.collection(EVENTS)
    ref = tenant.document(EVENTS, event_id) if event_id else events.document()
    event = Event(
        actor=actor,
        action=action,
        subject=subject,
        at=datetime.now(UTC),
        details=details or {},
        client_id=client_id,
        exercise_id=exercise_id,
    )
    return ref, event.model_dump()


_WRITER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="events")


def record_event_soon(tenant: TenantData, **event: Any) -> Future[str]:
    """Start recording an event while the caller does its other reads; the caller waits
    for the future before it answers (an audit trail that can lose a read is not one)."""
    return _WRITER.submit(record_event, tenant, **event)
