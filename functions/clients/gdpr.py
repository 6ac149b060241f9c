"""GDPR for one client (SPEC C-7): export everything, erase everything, leave a trace
of the erasure that holds no personal data. What "everything" is comes from the
registry in shared/client_data.py, so records of other areas go with the client."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.clients import clients
from functions.clients.models import ErasureReceipt, ExportedFile, FileUpload, FileUploadRequest
from shared.client_data import (
    export_records,
    files_prefix,
    finish_erasure,
    mark_erasure,
    plain,
)
from shared.clients import CLIENTS, load_document, load_for_change, touch
from shared.data_subjects import DATA_SUBJECT_REQUESTS, RequestKind, RequestStatus
from shared.erasure_ledger import ErasureBasis
from shared.events import record_event
from shared.exports import json_list
from shared.principal import Principal
from shared.storage import signed_upload, tenant_object, uploads_bucket
from shared.tenancy import TenantData


def file_upload(
    me: Principal, data: TenantData, client_id: str, body: FileUploadRequest
) -> FileUpload:
    """A signed URL to store a file about the client (e.g. a scanned consent)."""
    load_for_change(data, client_id)
    file_id = uuid.uuid4().hex
    upload = signed_upload(
        tenant_object(data, CLIENTS, client_id, "files", file_id), body.content_type, body.size
    )
    ref = data.document(CLIENTS, client_id)

    @firestore.transactional
    def add(transaction: firestore.Transaction) -> None:
        load_for_change(data, client_id, transaction)  # erased or restricted meanwhile
        entry = {"id": file_id, "name": body.name, "content_type": body.content_type}
        transaction.update(ref, {"files": firestore.ArrayUnion([entry])})
        touch(transaction, data, client_id, datetime.now(UTC))

    add(data.db.transaction())
    record_event(
        data,
        actor=me.uid,
        action="client.file_added",
        subject=f"{CLIENTS}/{client_id}",
        client_id=client_id,
        details={"file": file_id},
    )
    return FileUpload(id=file_id, upload_url=upload.url, headers=upload.headers)


def export(me: Principal, data: TenantData, client_id: str) -> Iterator[str]:
    """Everything stored about the client as the JSON text of an `Export`, in chunks.

    The export is in the access trail before its first byte is sent; records and files
    are read as they are written out, so memory stays bounded however long the log.
    """
    doc = load_document(data, client_id)
    identity = clients.identity(me, data, client_id) if doc.get("pseudonymised") else None
    record_event(
        data,
        actor=me.uid,
        action="client.exported",
        subject=f"{CLIENTS}/{client_id}",
        client_id=client_id,
    )
    head = {
        "exported_at": datetime.now(UTC).isoformat(),
        "client": {"id": client_id, **plain(doc)},
        "identity": identity.model_dump(mode="json") if identity else None,
    }
    return _export_text(data, client_id, head)


def _export_text(data: TenantData, client_id: str, head: dict[str, Any]) -> Iterator[str]:
    """The export's JSON text after its head, written out as it is read."""
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "records": {'
    for number, (collection, records) in enumerate(export_records(data, client_id)):
        yield from json_list(collection, records, first=not number)
    yield "}"
    blobs = uploads_bucket().list_blobs(prefix=files_prefix(data, client_id))
    files = (
        ExportedFile(
            object=blob.name,
            content_type=blob.content_type,
            size=blob.size,
            content_base64=base64.b64encode(blob.download_as_bytes()).decode(),
        ).model_dump(mode="json")
        for blob in blobs
    )
    yield from json_list("files", files)
    yield "}"


def erase(me: Principal, data: TenantData, client_id: str) -> ErasureReceipt:
    """Delete the client everywhere; the log keeps that an erasure happened, not of whom.

    The client is first marked as being erased, in a transaction: from then on every
    operation finds no client, so nothing new is written about them while the data goes.
    A crash after the mark is finished by a retry of this request (the mark keeps the
    erasure's id) or by the nightly maintenance (shared/client_data.resume_erasures).
    """
    basis = erasure_basis(data, client_id)
    erasure_id = mark_erasure(data, client_id, me.uid, basis)
    erased = finish_erasure(data, client_id, erasure_id, me.uid, basis)
    return ErasureReceipt(
        erasure_id=erased.erasure_id, documents=erased.documents, files=erased.files, basis=basis
    )


def erasure_basis(data: TenantData, client_id: str) -> ErasureBasis:
    """At the data subject's request when the register holds an erasure request for the
    client that was not refused (then the erasure is final); else a professional's
    deletion, which the administrator may undo from a backup. Read from the register, not
    from the caller, so a request for erasure can never be erased as undoable."""
    requests = data.collection(DATA_SUBJECT_REQUESTS).where(
        filter=FieldFilter("client_id", "==", client_id)
    )
    for snapshot in requests.stream():
        doc = snapshot.to_dict() or {}
        if doc.get("kind") == RequestKind.ERASURE and doc.get("status") != RequestStatus.REFUSED:
            return ErasureBasis.DATA_SUBJECT_REQUEST
    return ErasureBasis.STAFF_DELETION
