"""Requesting a message: record it as `queued`, then publish it now or at its send time.

A message whose channel's sub-processor the tenant has not approved (shared/subprocessors.py)
is recorded as `failed` with the reason `subprocessor_not_approved` and never published;
an API route that would send one refuses first (`require_approved`), writing nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists

from shared.events import SYSTEM_ACTOR, new_event
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
from shared.observability import metrics
from shared.retrying import idempotent, request_deadline_s
from shared.settings import get_settings
from shared.subprocessors import CHANNELS, SubprocessorNotApproved, approved
from shared.templating import Rendered
from shared.tenancy import TenantData

PUBLISH_TIMEOUT_S = 30.0
# The Pub/Sub attribute with the update time of the `queued` record (see `dispatch`).
QUEUED_AT = "queued_at"
NOT_APPROVED = SubprocessorNotApproved.code  # the failure reason of a refused message


def require_approved(tenant: TenantData, channel: Channel) -> None:
    """For an API route, before it writes anything: 409 `subprocessor_not_approved` if the
    tenant has not approved the sub-processor that carries `channel`."""
    subprocessor = CHANNELS[channel]
    if not approved(tenant, subprocessor):
        raise SubprocessorNotApproved(
            f"Your organisation has not approved {subprocessor}, which sends {channel.value}; "
            "nothing was sent (see GET /tenant/subprocessors)"
        )


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
    request = email_request(
        tenant,
        message_id=message_id,
        to=to,
        kind=kind,
        content=content,
        locale=locale,
        requested_by=requested_by,
        client_id=client_id,
    )
    return request_message(tenant, request, send_at=send_at)


def email_request(
    tenant: TenantData,
    *,
    message_id: str,
    to: str,
    kind: str,
    content: Rendered,
    locale: Locale = Locale.DA,
    requested_by: str = "system",
    client_id: str | None = None,
) -> MessageRequest:
    """A rendered e-mail as a request, to queue later (e.g. many in one batch)."""
    return MessageRequest(
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
    later = _later(send_at)
    if not approved(tenant, CHANNELS[request.channel]):
        refuse(tenant, request)
        return request
    written: dict[str, datetime] = {}
    with contextlib.suppress(AlreadyExists):
        result = tenant.document(MESSAGES, request.id).create(queued(request, later))
        recorded([request])
        written[request.id] = result.update_time
    dispatch([request], later, written)
    return request


def refuse(tenant: TenantData, request: MessageRequest) -> None:
    """Record the message as `failed` (`subprocessor_not_approved`) with its log entry, in
    one commit; it is never published. Again with the same id: nothing more."""
    now = datetime.now(UTC)
    record = MessageRecord(
        request=request,
        state=MessageState.FAILED,
        created_at=now,
        updated_at=now,
        failure_reason=NOT_APPROVED,
    )
    batch = tenant.db.batch()
    batch.create(tenant.document(MESSAGES, request.id), record.to_firestore())
    batch.create(
        *new_event(
            tenant,
            actor=SYSTEM_ACTOR,
            action="message.failed",
            subject=f"{MESSAGES}/{request.id}",
            details={
                "channel": request.channel.value,
                "template": request.kind,
                "attempts": 0,
                "reason": NOT_APPROVED,
                "subprocessor": CHANNELS[request.channel],
            },
            event_id=f"{request.id}-message-failed",
            client_id=request.client_id,
        )
    )
    with contextlib.suppress(AlreadyExists):
        batch.commit()
        metrics.record_message(request.channel.value, "failed", request.tenant_id)


def recorded(requests: list[MessageRequest]) -> None:
    """Count messages whose `queued` record was just written (trivsel.messages)."""
    for request in requests:
        metrics.record_message(request.channel.value, "queued", request.tenant_id)


def _later(send_at: datetime | None) -> datetime | None:
    return send_at if send_at is not None and send_at > datetime.now(UTC) else None


def queued(request: MessageRequest, send_at: datetime | None = None) -> dict[str, Any]:
    """The record of a message just requested, as stored (to create it in a batch)."""
    now = datetime.now(UTC)
    return MessageRecord(
        request=request,
        state=MessageState.QUEUED,
        created_at=now,
        updated_at=now,
        scheduled_for=_later(send_at),
    ).to_firestore()


def dispatch(
    requests: list[MessageRequest],
    send_at: datetime | None = None,
    queued_at: Mapping[str, datetime] | None = None,
) -> None:
    """Hand recorded messages on: published now (every publish under way at once, in the
    client's batches), or one Cloud Task that releases them all at `send_at`.

    `queued_at`: the update time of the `queued` record just written for a message id, by
    this very request; published with it, delivery claims the message without reading it
    first (shared/messaging/delivery.py) as long as nobody wrote the record since."""
    if not requests:
        return
    later = _later(send_at)
    if later is not None:
        schedule_release(requests, later)
        return
    written = queued_at or {}
    futures = [_publish(request, written.get(request.id)) for request in requests]
    for future in futures:
        future.result(timeout=PUBLISH_TIMEOUT_S)


def _publish(request: MessageRequest, queued_at: datetime | None = None) -> Any:
    # Retried on transient errors (shared/retrying.py): a message published twice is
    # delivered once, since delivery sends each message id at most once.
    attributes = {"tenant_id": request.tenant_id, "message_id": request.id}
    if queued_at is not None:
        attributes[QUEUED_AT] = _rfc3339(queued_at)
    return publisher().publish(
        topic_path(get_settings().message_topic),
        request.model_dump_json().encode(),
        retry=idempotent(),
        timeout=request_deadline_s(),
        **attributes,
    )


def _rfc3339(moment: datetime) -> str:
    rfc3339 = getattr(moment, "rfc3339", None)  # Firestore's, with its nanoseconds
    return str(rfc3339()) if rfc3339 else moment.isoformat()


def publish(request: MessageRequest) -> str:
    """Publish a request to the message topic and wait for Pub/Sub's message id."""
    return str(_publish(request).result(timeout=PUBLISH_TIMEOUT_S))


def schedule_release(requests: list[MessageRequest], send_at: datetime) -> None:
    """A Cloud Task that calls the release function at `send_at`; named by the first
    message's id, so scheduling the same messages again is harmless."""
    body = ScheduledRelease(tenant_id=requests[0].tenant_id, message_ids=[r.id for r in requests])
    queue = get_settings().queue("scheduled_message_queue")
    schedule_call(queue, body.model_dump_json().encode(), send_at, requests[0].id)
