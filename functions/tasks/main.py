"""Pub/Sub function `deliver_message`: sends each requested e-mail or SMS once."""

from __future__ import annotations

import base64
import logging

import functions_framework
from cloudevents.http.event import CloudEvent
from pydantic import ValidationError

from shared.gcp import firestore_client
from shared.messaging.delivery import Outcome, deliver
from shared.messaging.models import MessageRequest
from shared.messaging.providers import default_providers
from shared.settings import get_settings

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """Raised so the platform answers non-2xx and Pub/Sub redelivers the message."""


@functions_framework.cloud_event
def deliver_message(event: CloudEvent) -> None:
    payload = base64.b64decode(event.data["message"]["data"])
    try:
        request = MessageRequest.model_validate_json(payload)
    except ValidationError as exc:
        # Nothing can make this message valid: acknowledge it, loudly.
        log.error("dropping invalid message request %s: %s", event["id"], exc)
        return
    outcome = deliver(
        request,
        db=firestore_client(),
        providers=default_providers(),
        settings=get_settings(),
    )
    log.info("message %s: %s", request.id, outcome)
    if outcome is Outcome.RETRY_LATER:
        raise RetryLater(f"message {request.id} will be retried")
