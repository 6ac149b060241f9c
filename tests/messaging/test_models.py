"""The message request and its record (pure logic)."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.messaging.models import Channel, MessageRecord, MessageRequest, MessageState


def test_a_record_always_carries_the_client_of_its_request() -> None:
    """Also a record the delivery function adopts (a message published without one), so
    erasure and export find every message about a client by `client_id`."""
    request = MessageRequest(
        id="message-1",
        tenant_id="aarhus",
        channel=Channel.SMS,
        to="+4520304050",
        kind="incident_alert",
        text="Hej",
        client_id="client-7",
    )
    now = datetime.now(UTC)
    adopted = MessageRecord(
        request=request, state=MessageState.QUEUED, created_at=now, updated_at=now
    )
    assert adopted.client_id == "client-7"
    assert adopted.to_firestore()["client_id"] == "client-7"
    forged = MessageRecord.model_validate({**adopted.to_firestore(), "client_id": "other"})
    assert forged.client_id == "client-7"
