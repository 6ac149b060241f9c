"""A message published with its record's update time is claimed without reading the
record (shared/messaging/delivery.py `_claim_queued`), and only while the record is
exactly as queued; every other case falls back to the reading claim."""

from __future__ import annotations

from typing import Any

import pytest

from shared.gcp import firestore_client
from shared.messaging import outbox
from shared.messaging.delivery import Outcome, deliver
from shared.messaging.models import MESSAGES, MessageState
from shared.settings import get_settings
from shared.tenancy import TenantData
from tests.helpers import create_tenant, emails_to, unique
from tests.messaging.test_delivery import real_providers, record, reset_request

pytestmark = pytest.mark.usefixtures("stack")


@pytest.fixture
def tenant() -> TenantData:
    return TenantData(firestore_client(), create_tenant())


class Reads:
    """Counts the record reads of a delivery (the real client underneath)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, db: Any) -> None:
        self.count = 0
        real = db.get_all

        def get_all(refs: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(refs, *args, **kwargs)

        monkeypatch.setattr(db, "get_all", get_all)


def _queue(tenant: TenantData, to: str) -> tuple[Any, Any]:
    message = reset_request(tenant, to)
    written = tenant.document(MESSAGES, message.id).create(outbox.queued(message))
    return message, written.update_time


def test_a_fresh_message_is_claimed_and_sent_once_without_reading_its_record(
    tenant: TenantData, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, db = get_settings(), firestore_client()
    to = f"{unique('r')}@example.dk"
    message, queued_at = _queue(tenant, to)
    reads = Reads(monkeypatch, db)
    sent = deliver(
        message, db=db, providers=real_providers(), settings=settings, queued_at=queued_at
    )
    assert sent is Outcome.SENT
    assert reads.count == 0
    final = record(tenant, message.id)
    assert final is not None
    assert (final.state, final.attempts, final.received) == (MessageState.SENT, 1, 1)
    # Pub/Sub hands the same publication over again: the write time no longer matches,
    # so the record is read and the message is not sent twice.
    again = deliver(
        message, db=db, providers=real_providers(), settings=settings, queued_at=queued_at
    )
    assert again is Outcome.DUPLICATE
    assert reads.count == 1
    assert len(emails_to(to)) == 1


def test_a_record_changed_since_it_was_queued_is_read_before_it_is_claimed(
    tenant: TenantData,
) -> None:
    settings, db = get_settings(), firestore_client()
    to = f"{unique('r')}@example.dk"
    message, queued_at = _queue(tenant, to)
    tenant.document(MESSAGES, message.id).update({"state": MessageState.FAILED.value})
    outcome = deliver(
        message, db=db, providers=real_providers(), settings=settings, queued_at=queued_at
    )
    assert outcome is Outcome.DUPLICATE
    assert emails_to(to) == []


def test_a_fresh_claim_still_checks_the_tenants_approval_of_the_provider(
    tenant: TenantData,
) -> None:
    settings, db = get_settings(), firestore_client()
    to = f"{unique('r')}@example.dk"
    message, queued_at = _queue(tenant, to)
    tenant.root.update({"subprocessors": {}})  # every approval withdrawn after queueing
    outcome = deliver(
        message, db=db, providers=real_providers(), settings=settings, queued_at=queued_at
    )
    assert outcome is Outcome.FAILED
    final = record(tenant, message.id)
    assert final is not None
    assert final.failure_reason == "subprocessor_not_approved"
    assert emails_to(to) == []


def test_the_outbox_publishes_a_fresh_records_update_time(tenant: TenantData) -> None:
    to = f"{unique('r')}@example.dk"
    published: list[dict[str, Any]] = []
    real = outbox._publish

    def spy(request: Any, queued_at: Any = None) -> Any:
        published.append({"id": request.id, "queued_at": queued_at})
        return real(request, queued_at)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(outbox, "_publish", spy)
        first = outbox.request_message(tenant, reset_request(tenant, to))
        outbox.request_message(tenant, first)  # again: the record exists already
    snapshot = tenant.document(MESSAGES, first.id).get()
    assert published[0]["queued_at"] is not None
    assert published[1]["queued_at"] is None  # not this request's record: read it first
    assert snapshot.exists
