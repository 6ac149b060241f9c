"""Requesting a message: record it as `queued`, then publish it to Pub/Sub."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from google.api_core.exceptions import AlreadyExists

from shared.gcp import publisher, topic_path
from shared.messaging.models import (
    MESSAGES,
    Channel,
    Locale,
    MessageRecord,
    MessageRequest,
    MessageState,
)
from shared.settings import get_settings
from shared.tenancy import TenantData

PUBLISH_TIMEOUT_S = 30.0


def request_message(
    tenant: TenantData,
    *,
    message_id: str,
    channel: Channel,
    to: str,
    template: str,
    params: dict[str, str],
    locale: Locale = Locale.DA,
    requested_by: str = "system",
) -> MessageRequest:
    """Queue one message for delivery; safe to call again with the same id.

    The record is created first so the message is visible as `queued` even if
    delivery is slow; publishing again with the same id is harmless because
    the delivery function sends each id at most once.
    """
    request = MessageRequest(
        id=message_id,
        tenant_id=tenant.tenant_id,
        channel=channel,
        to=to,
        template=template,
        params=params,
        locale=locale,
        requested_by=requested_by,
    )
    now = datetime.now(UTC)
    record = MessageRecord(
        request=request, state=MessageState.QUEUED, created_at=now, updated_at=now
    )
    with contextlib.suppress(AlreadyExists):
        tenant.document(MESSAGES, request.id).create(record.to_firestore())
    publish(request)
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
