"""GDPR for one client (SPEC C-7): export everything, erase everything, leave a trace
of the erasure that holds no personal data."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.clients import clients
from functions.clients.clients import CLIENTS, COURSES
from functions.clients.courses import CALENDAR
from functions.clients.models import ErasureReceipt, Export, FileUpload, FileUploadRequest
from shared.events import EVENTS, record_event
from shared.gcp import storage_client
from shared.messaging.models import MESSAGES
from shared.principal import Principal
from shared.storage import UPLOADS, bucket_name, signed_url, tenant_object
from shared.tenancy import TenantData

URL_LIFETIME = timedelta(minutes=15)


def _plain(value: Any) -> Any:
    """Firestore values as JSON: timestamps become ISO 8601 strings."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def files_prefix(data: TenantData, client_id: str) -> str:
    return tenant_object(data, CLIENTS, client_id) + "/"


def file_upload(
    me: Principal, data: TenantData, client_id: str, body: FileUploadRequest
) -> FileUpload:
    """A signed URL to store a file about the client (e.g. a scanned consent)."""
    clients.load_document(data, client_id)
    file_id = uuid.uuid4().hex
    name = tenant_object(data, CLIENTS, client_id, "files", file_id)
    headers = {"x-goog-content-length-range": f"1,{body.size}"}
    url = signed_url(
        bucket_name(UPLOADS),
        name,
        method="PUT",
        expires=URL_LIFETIME,
        content_type=body.content_type,
        headers=headers,
    )
    ref = data.document(CLIENTS, client_id)

    @firestore.transactional
    def add(transaction: firestore.Transaction) -> None:
        clients.load_document(data, client_id, transaction)  # erased meanwhile: 404
        entry = {"id": file_id, "name": body.name, "content_type": body.content_type}
        transaction.update(ref, {"files": firestore.ArrayUnion([entry])})

    add(data.db.transaction())
    record_event(
        data,
        actor=me.uid,
        action="client.file_added",
        subject=f"{CLIENTS}/{client_id}",
        client_id=client_id,
        details={"file": file_id},
    )
    return FileUpload(
        id=file_id, upload_url=url, headers={"Content-Type": body.content_type, **headers}
    )


def export(me: Principal, data: TenantData, client_id: str) -> Export:
    doc = clients.load_document(data, client_id)
    identity = clients.identity(me, data, client_id) if doc.get("pseudonymised") else None
    courses = [
        {"id": s.id, **_plain(s.to_dict())}
        for s in data.collection(CLIENTS, client_id, COURSES).get()
    ]
    calendar = [
        {"id": s.id, **_plain(s.to_dict())}
        for s in data.collection(CALENDAR)
        .where(filter=FieldFilter("client_id", "==", client_id))
        .get()
    ]
    from functions.tasks.remote import REMOTE_TASKS

    remote_tasks = [
        {"id": s.id, **_plain(s.to_dict())}
        for s in data.collection(REMOTE_TASKS)
        .where(filter=FieldFilter("client_id", "==", client_id))
        .get()
    ]
    events = [
        {"id": s.id, **_plain(s.to_dict())}
        for s in data.collection(EVENTS)
        .where(filter=FieldFilter("client_id", "==", client_id))
        .get()
    ]
    files = []
    for blob in storage_client().list_blobs(
        bucket_name(UPLOADS), prefix=files_prefix(data, client_id)
    ):
        files.append(
            {
                "object": blob.name,
                "content_type": blob.content_type,
                "size": blob.size,
                "content_base64": base64.b64encode(blob.download_as_bytes()).decode(),
            }
        )
    record_event(
        data,
        actor=me.uid,
        action="client.exported",
        subject=f"{CLIENTS}/{client_id}",
        client_id=client_id,
    )
    return Export(
        exported_at=datetime.now(UTC),
        client={"id": client_id, **_plain(doc)},
        identity=identity,
        courses=courses,
        calendar=calendar,
        events=events,
        files=files,
        remote_tasks=remote_tasks,
    )


def _remote_task_documents(data: TenantData, client_id: str) -> list[Any]:
    """The client's remote tasks and their e-mails (addresses, links) go with them."""
    from functions.tasks.remote import REMOTE_TASKS  # here: tasks builds on clients

    found: list[Any] = []
    for task in (
        data.collection(REMOTE_TASKS).where(filter=FieldFilter("client_id", "==", client_id)).get()
    ):
        found.append(task.reference)
        for version in range(1, int(task.get("link_version")) + 1):
            for suffix in ("", "-reminder"):
                found.append(data.document(MESSAGES, f"rt-{task.id}-v{version}{suffix}"))
    return found


def erase(me: Principal, data: TenantData, client_id: str) -> ErasureReceipt:
    """Delete the client everywhere; the log keeps that an erasure happened, not of whom.

    The client is first marked as being erased, in a transaction: from then on every
    operation finds no client, so nothing new is written about them while the data goes.
    Everything is then swept twice, to catch what a request already under way wrote.
    """
    ref = data.document(CLIENTS, client_id)

    @firestore.transactional
    def mark(transaction: firestore.Transaction) -> None:
        clients.load_document(data, client_id, transaction)
        transaction.update(ref, {"erasing": True})

    mark(data.db.transaction())
    documents = files = 0
    for _ in range(2):
        for blob in storage_client().list_blobs(
            bucket_name(UPLOADS), prefix=files_prefix(data, client_id)
        ):
            blob.delete()
            files += 1
        doomed = [s.reference for s in data.collection(CLIENTS, client_id, COURSES).get()]
        doomed += _remote_task_documents(data, client_id)
        for collection in (CALENDAR, EVENTS):
            doomed += [
                s.reference
                for s in data.collection(collection)
                .where(filter=FieldFilter("client_id", "==", client_id))
                .get()
            ]
        for start in range(0, len(doomed), 400):  # a batch holds at most 500 writes
            batch = data.db.batch()
            for doomed_ref in doomed[start : start + 400]:
                batch.delete(doomed_ref)
            batch.commit()
        documents += len(doomed)
    ref.delete()
    receipt = ErasureReceipt(erasure_id=uuid.uuid4().hex, documents=documents + 1, files=files)
    record_event(
        data, actor=me.uid, action="client.erased", subject=CLIENTS, details=receipt.model_dump()
    )
    return receipt
