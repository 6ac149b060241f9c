"""Reminders (SPEC R-4): one e-mail when a remote task is still unanswered after the delay."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.tasks.models import OPEN, Reminder, RemoteTask
from functions.tasks.sending import email
from shared.client_data import REMOTE_TASKS
from shared.events import record_event
from shared.gcp import firestore_client
from shared.tenancy import TenantData
from shared.tenants import TenantStatus, from_snapshot


def remind(reminder: Reminder) -> bool:
    """Remind once if the task is still unanswered; True if an e-mail was requested."""
    data = TenantData(firestore_client(), reminder.tenant_id)
    snapshot = data.document(REMOTE_TASKS, reminder.task_id).get()
    if not snapshot.exists:
        return False
    task = RemoteTask.model_validate({**(snapshot.to_dict() or {}), "id": snapshot.id})
    if task.status not in OPEN or task.link_version != reminder.version:
        return False  # answered, cancelled or resent since: nothing to remind of
    tenant = data.root.get()
    if not tenant.exists:
        return False
    document = from_snapshot(tenant)
    if document.status != TenantStatus.ACTIVE:
        return False
    # The message id makes a reminder delivered twice send one e-mail.
    email(data, task, document.display_name, reminder=True)
    data.document(REMOTE_TASKS, task.id).update({"reminded_at": datetime.now(UTC)})
    record_event(
        data,
        actor="system",
        action="remote_task.reminded",
        subject=f"{REMOTE_TASKS}/{task.id}",
        client_id=task.client_id,
        exercise_id=task.exercise_id,
        event_id=f"rt-{task.id}-v{task.link_version}-reminded",  # once, however delivered
    )
    return True
