"""A remote task's entries in the client log: sent, opened, answered, reminded ..."""

from __future__ import annotations

from typing import Any

from functions.tasks.models import RemoteTask
from shared.client_data import REMOTE_TASKS
from shared.events import record_event
from shared.tenancy import TenantData


def log_task(
    data: TenantData,
    task: RemoteTask,
    action: str,
    actor: str,
    *,
    details: dict[str, Any] | None = None,
    event_id: str | None = None,
) -> None:
    """`remote_task.<action>` about the task's client and exercise."""
    record_event(
        data,
        actor=actor,
        action=f"remote_task.{action}",
        subject=f"{REMOTE_TASKS}/{task.id}",
        client_id=task.client_id,
        exercise_id=task.exercise_id,
        details=details,
        event_id=event_id,
    )


def contact_actor(task: RemoteTask) -> str:
    """Who acts when a contact person opens or answers: the task, never a person's name."""
    return f"contact:{task.id}"
