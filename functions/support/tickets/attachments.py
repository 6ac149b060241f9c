"""A ticket's attachments (screenshots, log files): uploaded straight to Storage with a
signed URL under `<tenant>/tickets/<ticket>/<attachment>`, then checked (the
object's size and its first bytes against the declared type) before the ticket lists it."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from functions.support.tickets.models import (
    TICKETS,
    AttachmentInvalid,
    DownloadAnswer,
    NewAttachment,
    Ticket,
    TicketAttachment,
    UploadAnswer,
)
from shared import errors, storage
from shared.ids import new_id
from shared.tenancy import TenantData

MAX_ATTACHMENTS = 10
MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


def object_name(tenant: TenantData, ticket_id: str, attachment_id: str) -> str:
    return storage.tenant_object(tenant, TICKETS, ticket_id, attachment_id)


def prefix(tenant: TenantData, ticket_id: str) -> str:
    return storage.tenant_object(tenant, TICKETS, ticket_id) + "/"


def start(
    tenant: TenantData, ticket: Ticket, body: NewAttachment
) -> tuple[TicketAttachment, UploadAnswer]:
    if len(ticket.attachments) >= MAX_ATTACHMENTS:
        raise AttachmentInvalid(f"A ticket holds at most {MAX_ATTACHMENTS} attachments")
    attachment = TicketAttachment(id=new_id("attachment"), **body.model_dump())
    signed = storage.signed_upload(
        object_name(tenant, ticket.id, attachment.id), body.content_type, body.size
    )
    answer = UploadAnswer(
        attachment=attachment,
        upload_url=signed.url,
        upload_headers=signed.headers,
        expires_at=signed.expires_at,
    )
    return attachment, answer


def _looks_like(content_type: str, head: bytes) -> bool:
    if content_type in MAGIC:
        return head.startswith(MAGIC[content_type])
    try:  # a log file or JSON: text, UTF-8
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start > len(head) - 4  # only a character cut at the end
    return b"\x00" not in head


def check_upload(tenant: TenantData, ticket: Ticket, attachment: TicketAttachment) -> None:
    """The uploaded object is there, no larger than declared and of its type; anything
    else is deleted and refused (422 attachment_invalid)."""
    blob: Any = storage.uploads_bucket().blob(object_name(tenant, ticket.id, attachment.id))
    if not blob.exists():
        raise AttachmentInvalid("Nothing was uploaded")
    blob.reload()
    head = blob.download_as_bytes(start=0, end=511)
    if int(blob.size or 0) > attachment.size or not _looks_like(attachment.content_type, head):
        with contextlib.suppress(Exception):
            blob.delete()
        raise AttachmentInvalid()


def find(ticket: Ticket, attachment_id: str, *, uploaded: bool) -> TicketAttachment:
    for attachment in ticket.attachments:
        if attachment.id == attachment_id and (attachment.uploaded or not uploaded):
            return attachment
    raise errors.NotFound("No such attachment")


def download(tenant: TenantData, ticket: Ticket, attachment_id: str) -> DownloadAnswer:
    attachment = find(ticket, attachment_id, uploaded=True)
    return DownloadAnswer(
        url=storage.signed_download(object_name(tenant, ticket.id, attachment.id))
    )


def delete_all(tenant: TenantData, ticket_id: str, now: datetime | None = None) -> int:
    """Every object of the ticket (retention)."""
    bucket = storage.uploads_bucket()
    deleted = 0
    for blob in bucket.list_blobs(prefix=prefix(tenant, ticket_id)):
        with contextlib.suppress(Exception):
            blob.delete()
            deleted += 1
    return deleted
