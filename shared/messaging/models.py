"""The message request that travels through Pub/Sub, and the record of its delivery."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from shared.models import Model
from shared.tenancy import TENANT_ID_PATTERN

MESSAGES = "messages"
# E-mail syntax is checked loosely on purpose: the provider is the final judge.
EMAIL_PATTERN = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
E164_PATTERN = re.compile(r"^\+[1-9][0-9]{7,14}$")
MESSAGE_ID_PATTERN = r"^[A-Za-z0-9_-]{8,100}$"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class Locale(StrEnum):
    DA = "da"
    EN = "en"


class MessageState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class MessageRequest(Model, frozen=True):
    """One e-mail or SMS to one recipient, rendered when it was requested. `id` is the
    idempotency key. The requesting area renders its own templates, so delivery needs
    none and sends exactly what was asked for."""

    # At most 100 characters, so ids derived from it (event ids) stay valid path segments.
    id: str = Field(pattern=MESSAGE_ID_PATTERN)
    tenant_id: str = Field(pattern=TENANT_ID_PATTERN.pattern)
    channel: Channel
    to: str = Field(max_length=320)
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="the template's name")
    locale: Locale = Locale.DA
    subject: str = Field(default="", max_length=998)  # RFC 5322's line limit
    text: str = Field(min_length=1, max_length=100_000)
    html: str = Field(default="", max_length=500_000)
    requested_by: str = "system"
    # Set when the message is about a client: GDPR export and erasure find it by this.
    client_id: str | None = None

    @model_validator(mode="after")
    def _recipient_fits_channel(self) -> Self:
        pattern = EMAIL_PATTERN if self.channel is Channel.EMAIL else E164_PATTERN
        if not pattern.fullmatch(self.to):
            raise ValueError(f"'to' is not a valid {self.channel} recipient")
        if self.channel is Channel.EMAIL and not (self.subject and self.html):
            raise ValueError("an e-mail has a subject and an HTML part")
        return self


class ScheduledRelease(Model, frozen=True):
    """The body of a Cloud Task that releases scheduled messages: ids only."""

    tenant_id: str = Field(pattern=TENANT_ID_PATTERN.pattern)
    message_ids: list[Annotated[str, Field(pattern=MESSAGE_ID_PATTERN)]] = Field(
        min_length=1, max_length=500
    )


class MessageRecord(Model):
    """The Firestore document `tenants/{t}/messages/{id}`: the delivery's history."""

    request: MessageRequest
    state: MessageState
    attempts: int = 0  # provider calls started
    received: int = 0  # times the delivery function was handed this message
    created_at: datetime
    updated_at: datetime
    lease_until: datetime | None = None
    next_attempt_at: datetime | None = None
    scheduled_for: datetime | None = None  # held back by Cloud Tasks until then
    sent_at: datetime | None = None
    provider_message_id: str | None = None
    last_error: str | None = None
    failure_reason: str | None = None
    client_id: str | None = None  # always the request's, so GDPR queries find every record

    @model_validator(mode="after")
    def _client_of_the_request(self) -> Self:
        self.client_id = self.request.client_id
        return self

    def to_firestore(self) -> dict[str, Any]:
        return self.model_dump(mode="python")
