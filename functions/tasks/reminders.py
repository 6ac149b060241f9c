"""Reminders (SPEC R-4): one e-mail when a remote task is still unanswered after the delay."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from functions.tasks.log import log_task
from functions.tasks.models import OPEN, Reminder, RemoteTask, reminded_event_id
from functions.tasks.sending import message
from shared import errors
from shared.client_data import REMOTE_TASKS
from shared.clients import CLIENTS, check_unrestricted, checked_document
from shared.events import SYSTEM_ACTOR
from shared.gcp import firestore_client
from shared.messaging import outbox
from shared.tenancy import TenantData
from shared.tenants import active_or_none


def remind(reminder: Reminder) -> int:
    """Remind each contact person whose task is still unanswered; returns how many.

    A task answered, cancelled or resent since (its link version moved on) is left
    alone, and so is one whose client is restricted (GDPR Art. 18) or being erased;
    each reminder's message id makes a Cloud Task delivered twice send once.
    """
    data = TenantData(firestore_client(), reminder.tenant_id)
    document = active_or_none(data)
    if document is None:  # suspended, ended or gone: nobody is reminded
        return 0
    refs = [data.document(REMOTE_TASKS, t.task_id) for t in reminder.tasks]
    versions = {t.task_id: t.version for t in reminder.tasks}
    due = []
    for snapshot in data.db.get_all(refs):
        if not snapshot.exists:
            continue
        task = RemoteTask.model_validate({**(snapshot.to_dict() or {}), "id": snapshot.id})
        if task.status in OPEN and task.link_version == versions[task.id]:
            due.append(task)
    clients = {t.client_id for t in due}
    processable = {
        s.id
        for s in data.db.get_all([data.document(CLIENTS, c) for c in clients])
        if _processable(s)
    }
    due = [task for task in due if task.client_id in processable]
    for task in due:
        outbox.request_message(data, message(data, task, document, reminder=True))
        data.document(REMOTE_TASKS, task.id).update({"reminded_at": datetime.now(UTC)})
        log_task(
            data,
            task,
            "reminded",
            SYSTEM_ACTOR,
            event_id=reminded_event_id(task.id, task.link_version),
        )
    return len(due)


def _processable(snapshot: Any) -> bool:
    """Whether a client may be processed now: the shared check, as a yes or no."""
    try:
        check_unrestricted(checked_document(snapshot))
    except errors.ApiError:
        return False
    return True
