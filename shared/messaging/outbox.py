"""Requesting a message: record it as `queued`, then publish it now or at its send time."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from google.api_core.exceptions import AlreadyExists

from shared.gcp import publisher, schedule_call, topic_path
from shared.messaging.models import (
    MESSAGES,
    Channel,
    Locale,
    MessageRecord,
    MessageRequest,
    MessageState,
    ScheduledRelease,
)
from shared.settings import get_settings
from shared.templating import Rendered
from shared.tenancy import TenantData

PUBLISH_TIMEOUT_S = 30.0


def email(
    tenant: TenantData,
    *,
    message_id: str,
    to: str,
    kind: str,
    content: Rendered,
    locale: Locale = Locale.DA,
    requested_by: str = "system",
    client_id: str | None = None,
    send_at: datetime | None = None,
) -> MessageRequest:
    """Queue one rendered e-mail (at `send_at`, if given); safe to call again."""
    request = MessageRequest(
        id=message_id,
        tenant_id=tenant.tenant_id,
        channel=Channel.EMAIL,
        to=to,
        kind=kind,
        locale=locale,
        subject=content.subject,
        text=content.text,
        html=content.html,
        requested_by=requested_by,
        client_id=client_id,
    )
    return request_message(tenant, request, send_at=send_at)


def sms(
    tenant: TenantData,
    *,
    message_id: str,
    to: str,
    kind: str,
    text: str,
    locale: Locale = Locale.DA,
    requested_by: str = "system",
) -> MessageRequest:
    request = MessageRequest(
        id=message_id,
        tenant_id=tenant.tenant_id,
        channel=Channel.SMS,
        to=to,
        kind=kind,
        locale=locale,
        text=text,
        requested_by=requested_by,
    )
    return request_message(tenant, request)


def request_message(
    tenant: TenantData, request: MessageRequest, *, send_at: datetime | None = None
) -> MessageRequest:
    """Queue one message for delivery; safe to call again.

    The record is created first so the message is visible as `queued` even if
    delivery is slow; publishing again with the same id is harmless because
    the delivery function sends each id at most once.
    """
    now = datetime.now(UTC)
    later = send_at if send_at is not None and send_at > now else None
    record = MessageRecord(
        request=request,
        state=MessageState.QUEUED,
        created_at=now,
        updated_at=now,
        scheduled_for=later,
    )
    with contextlib.suppress(AlreadyExists):
        tenant.document(MESSAGES, request.id).create(record.to_firestore())
    if later is None:
        publish(request)
    else:
        schedule_release(request, later)
    return request


def publish(request: MessageRequest) -> str:
    """Publish a request to the message topic and wait for Pub/Sub's message id."""
    future = publisher().publish(
        topic_path(get_settings().message_topic),
        request.model_dump_json().encode(),
        tenant_id=request.tenant_id,
        message_id=request.id,
    )
    return str(future.result(timeout=PUBLISH_TIMEOUT_S))


def schedule_release(request: MessageRequest, send_at: datetime) -> None:
    """A Cloud Task that calls the release function at `send_at`; named by message id."""
    body = ScheduledRelease(tenant_id=request.tenant_id, message_id=request.id)
    queue = get_settings().queue("scheduled_message_queue")
    schedule_call(queue, body.model_dump_json().encode(), send_at, request.id)
