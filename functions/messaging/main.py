"""Message delivery: `deliver_message` (Pub/Sub) sends each requested e-mail or SMS once;
`release_scheduled_message` (Cloud Tasks) publishes a message whose time has come."""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import datetime

import flask
from cloudevents.http.event import CloudEvent
from google.api_core.datetime_helpers import DatetimeWithNanoseconds
from pydantic import ValidationError

from shared.gcp import firestore_client
from shared.http import Api, cloud_event_function, http_function
from shared.messaging.delivery import Outcome, deliver
from shared.messaging.models import (
    MESSAGES,
    MessageRecord,
    MessageRequest,
    MessageState,
    ScheduledRelease,
)
from shared.messaging.outbox import QUEUED_AT, dispatch
from shared.messaging.providers import default_providers
from shared.settings import get_settings
from shared.tenancy import TenantData

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """Raised so the platform answers non-2xx and Pub/Sub redelivers the message."""


@cloud_event_function
def deliver_message(event: CloudEvent) -> None:
    try:
        payload = base64.b64decode(event.data["message"]["data"], validate=True)
        request = MessageRequest.model_validate_json(payload)
    except (KeyError, TypeError, binascii.Error, ValidationError) as exc:
        # Nothing can make this message valid: acknowledge it, loudly.
        log.error("dropping invalid message request %s: %s", event["id"], exc)
        return
    outcome = deliver(
        request,
        db=firestore_client(),
        providers=default_providers(),
        settings=get_settings(),
        queued_at=_queued_at(event),
    )
    log.info("message %s: %s", request.id, outcome)
    if outcome is Outcome.RETRY_LATER:
        raise RetryLater(f"message {request.id} will be retried")


def _queued_at(event: CloudEvent) -> datetime | None:
    """The update time of the `queued` record its publisher wrote, if it sent one."""
    attributes = event.data["message"].get("attributes") or {}
    try:
        moment: datetime = DatetimeWithNanoseconds.from_rfc3339(attributes[QUEUED_AT])  # type: ignore[no-untyped-call]
    except (KeyError, TypeError, ValueError):  # none, or unreadable: read the record first
        return None
    return moment


# Internal: reachable only by Cloud Tasks (IAM invoker), so no Firebase principal.
releases = Api("Internal: release scheduled messages")


@releases.route("POST", "/", summary="Publish scheduled messages", roles=None)
def release(body: ScheduledRelease) -> None:
    tenant = TenantData(firestore_client(), body.tenant_id)
    refs = [tenant.document(MESSAGES, message_id) for message_id in body.message_ids]
    due = []
    for snapshot in firestore_client().get_all(refs):
        if not snapshot.exists:  # erased in the meantime: nothing to send, do not retry
            log.warning("scheduled message %s no longer exists", snapshot.id)
            continue
        record = MessageRecord.model_validate(snapshot.to_dict())
        if record.state is MessageState.QUEUED:
            due.append(record.request)  # the stored request, never one from the task body
    dispatch(due)


@http_function(releases)
def release_scheduled_message(request: flask.Request) -> flask.Response:
    return releases(request)
