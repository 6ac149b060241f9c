"""A remote task's entries in the client log: sent, opened, answered, reminded ..."""

from __future__ import annotations

import contextlib
from typing import Any

from google.api_core.exceptions import AlreadyExists

from functions.tasks.models import RemoteTask
from shared.client_data import REMOTE_TASKS
from shared.events import new_event
from shared.tenancy import TenantData


def task_event(
    data: TenantData,
    task: RemoteTask,
    action: str,
    actor: str,
    *,
    details: dict[str, Any] | None = None,
    event_id: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    """The entry, to create in a batch with the writes it records."""
    return new_event(
        data,
        actor=actor,
        action=f"remote_task.{action}",
        subject=f"{REMOTE_TASKS}/{task.id}",
        client_id=task.client_id,
        exercise_id=task.exercise_id,
        details=details,
        event_id=event_id,
    )


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
    ref, fields = task_event(data, task, action, actor, details=details, event_id=event_id)
    with contextlib.suppress(AlreadyExists):  # recorded by an earlier delivery already
        ref.create(fields)


def contact_actor(task: RemoteTask) -> str:
    """Who acts when a contact person opens or answers: the task, never a person's name."""
    return f"contact:{task.id}"
