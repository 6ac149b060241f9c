"""Reminders (SPEC R-4): one e-mail when a remote task is still unanswered after the delay."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.tasks.log import log_task
from functions.tasks.models import OPEN, Reminder, RemoteTask, reminded_event_id
from functions.tasks.sending import email
from shared.client_data import REMOTE_TASKS
from shared.events import SYSTEM_ACTOR
from shared.gcp import firestore_client
from shared.tenancy import TenantData
from shared.tenants import active_or_none


def remind(reminder: Reminder) -> bool:
    """Remind once if the task is still unanswered; True if an e-mail was requested."""
    data = TenantData(firestore_client(), reminder.tenant_id)
    snapshot = data.document(REMOTE_TASKS, reminder.task_id).get()
    if not snapshot.exists:
        return False
    task = RemoteTask.model_validate({**(snapshot.to_dict() or {}), "id": snapshot.id})
    if task.status not in OPEN or task.link_version != reminder.version:
        return False  # answered, cancelled or resent since: nothing to remind of
    document = active_or_none(data)
    if document is None:  # suspended, ended or gone: nobody is reminded
        return False
    # The message id makes a reminder delivered twice send one e-mail.
    email(data, task, document.display_name, reminder=True)
    data.document(REMOTE_TASKS, task.id).update({"reminded_at": datetime.now(UTC)})
    log_task(
        data,
        task,
        "reminded",
        SYSTEM_ACTOR,
        event_id=reminded_event_id(task.id, task.link_version),
    )
    return True
