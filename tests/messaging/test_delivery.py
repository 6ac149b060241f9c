"""The messaging pipeline (SPEC R-3) against Pub/Sub, the delivery function, Firestore and moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from google.cloud.firestore_v1.base_query import FieldFilter

from infra.deployment import ROOT
from shared.gcp import firestore_client
from shared.messaging import outbox
from shared.messaging.delivery import Outcome, backoff, deliver
from shared.messaging.models import (
    MESSAGES,
    Channel,
    Locale,
    MessageRecord,
    MessageRequest,
    MessageState,
)
from shared.messaging.outbox import publish
from shared.messaging.providers import Providers, SesEmailProvider, SnsSmsProvider
from shared.settings import get_settings
from shared.templating import MailTemplates, TextTemplates
from shared.tenancy import TenantData
from tests.helpers import create_tenant, emails_to, sms_to, unique, wait_until

pytestmark = pytest.mark.usefixtures("stack")
SENDER = "no-reply@trivsel.dk"


@pytest.fixture
def tenant() -> TenantData:
    return TenantData(firestore_client(), create_tenant())


def record(tenant: TenantData, message_id: str) -> MessageRecord | None:
    snapshot = tenant.document(MESSAGES, message_id).get()
    return MessageRecord.model_validate(snapshot.to_dict()) if snapshot.exists else None


def wait_state(tenant: TenantData, message_id: str, state: MessageState) -> MessageRecord:
    def reached() -> MessageRecord | None:
        found = record(tenant, message_id)
        return found if found is not None and found.state is state else None

    found = wait_until(reached)
    assert found is not None
    return found


# The areas' own templates render what these tests send, as the areas do.
AUTH_MAIL = MailTemplates(ROOT / "functions" / "auth" / "templates")
ALERTS = TextTemplates(ROOT / "functions" / "support" / "templates")


def reset_request(tenant: TenantData, to: str, message_id: str | None = None) -> MessageRequest:
    content = AUTH_MAIL.render("password_reset", Locale.DA, {"link": "https://x.dk/r"})
    return MessageRequest(
        id=message_id or unique("msg"),
        tenant_id=tenant.tenant_id,
        channel=Channel.EMAIL,
        to=to,
        kind="password_reset",
        subject=content.subject,
        text=content.text,
        html=content.html,
    )


def reset_email(tenant: TenantData, to: str, message_id: str | None = None) -> Any:
    return outbox.request_message(tenant, reset_request(tenant, to, message_id))


def ses_client() -> Any:
    return boto3.client("ses", region_name=get_settings().aws_region)


def test_email_is_delivered_in_danish_and_recorded_as_sent(tenant: TenantData) -> None:
    to = f"{unique('r')}@example.dk"
    request = reset_email(tenant, to)

    sent = wait_state(tenant, request.id, MessageState.SENT)

    [email] = emails_to(to)
    assert email["subject"] == "Nulstil din adgangskode til Trivsel"
    assert "Vælg en ny adgangskode" in email["body"]
    assert sent.provider_message_id == email["id"]
    assert sent.attempts == 1
    assert sent.sent_at is not None
    assert sent.sent_at >= sent.created_at
    events = (
        tenant.collection("events")
        .where(filter=FieldFilter("subject", "==", f"messages/{request.id}"))
        .get()
    )
    assert [e.get("action") for e in events] == ["message.sent"]


def test_english_is_available(tenant: TenantData) -> None:
    to = f"{unique('r')}@example.dk"
    params = {"name": "Ann", "tenant_name": "Testkommune", "link": "https://x.dk/a"}
    request = outbox.email(
        tenant,
        message_id=unique("msg"),
        to=to,
        kind="welcome",
        locale=Locale.EN,
        content=AUTH_MAIL.render("welcome", Locale.EN, params),
    )
    wait_state(tenant, request.id, MessageState.SENT)
    [email] = emails_to(to)
    assert email["subject"] == "Welcome to Trivsel at Testkommune"


def test_sms_goes_through_sns(tenant: TenantData) -> None:
    number = "+4520" + unique("n")[-6:].translate(str.maketrans("abcdef", "123456"))
    request = outbox.sms(
        tenant,
        message_id=unique("msg"),
        to=number,
        kind="incident_alert",
        text=ALERTS.render("incident_alert", Locale.DA, {"summary": "Databrud mistænkt"}),
    )
    wait_state(tenant, request.id, MessageState.SENT)
    [sms] = sms_to(number)
    assert sms["message"] == "Trivsel ALARM: Databrud mistænkt"


def test_the_same_request_twice_sends_one_email(tenant: TenantData) -> None:
    to = f"{unique('r')}@example.dk"
    message_id = unique("msg")
    first = reset_email(tenant, to, message_id)
    reset_email(tenant, to, message_id)  # the caller retried
    publish(first)  # and Pub/Sub delivered it yet again

    wait_until(lambda: (found := record(tenant, message_id)) is not None and found.received >= 3)

    assert len(emails_to(to)) == 1
    final = record(tenant, message_id)
    assert final is not None
    assert final.state is MessageState.SENT
    assert final.attempts == 1


def test_rejected_sender_ends_failed_with_the_providers_reason(tenant: TenantData) -> None:
    ses = ses_client()
    ses.delete_identity(Identity=SENDER)
    try:
        to = f"{unique('r')}@example.dk"
        request = reset_email(tenant, to)
        failed = wait_state(tenant, request.id, MessageState.FAILED)
    finally:
        ses.verify_email_identity(EmailAddress=SENDER)

    assert failed.failure_reason is not None
    # SES's own words (moto's for a raw message: "Did not have authority to send from").
    assert failed.failure_reason.startswith("MessageRejected: ")
    assert SENDER in failed.failure_reason
    assert failed.attempts == 1  # a permanent error is not retried
    assert emails_to(to) == []
    events = (
        tenant.collection("events")
        .where(filter=FieldFilter("subject", "==", f"messages/{request.id}"))
        .get()
    )
    assert [e.get("action") for e in events] == ["message.failed"]


class SimulatedCrash(BaseException):
    """The delivery process dying: not an Exception, so nothing catches it."""


class CrashOnce:
    """Wraps the real SES provider; the first call dies before SES has the message."""

    def __init__(self, real: SesEmailProvider) -> None:
        self.real = real
        self.calls = 0

    def send_email(self, to: str, subject: str, text: str, html: str) -> str:
        self.calls += 1
        if self.calls == 1:
            raise SimulatedCrash()
        return self.real.send_email(to, subject, text, html)


def real_providers(sender: str = f"Trivsel <{SENDER}>") -> Providers:
    return Providers(
        email=SesEmailProvider(ses_client(), sender),
        sms=SnsSmsProvider(boto3.client("sns", region_name=get_settings().aws_region), "Trivsel"),
    )


def test_a_crash_mid_send_is_retried_after_the_lease_and_sends_once(tenant: TenantData) -> None:
    settings = get_settings()
    to = f"{unique('r')}@example.dk"
    message = reset_request(tenant, to)
    crashing = CrashOnce(real_providers().email)  # type: ignore[arg-type]
    providers = Providers(email=crashing, sms=real_providers().sms)
    db = firestore_client()

    with pytest.raises(SimulatedCrash):
        deliver(message, db=db, providers=providers, settings=settings)
    stuck = record(tenant, message.id)
    assert stuck is not None
    assert stuck.state is MessageState.SENDING
    assert stuck.attempts == 1

    # A redelivery while the crashed attempt's lease runs does nothing ...
    assert deliver(message, db=db, providers=providers, settings=settings) is Outcome.RETRY_LATER
    # ... and one after the lease sends, once.
    later = datetime.now(UTC) + timedelta(seconds=settings.message_lease_s + 1)
    assert (
        deliver(message, db=db, providers=providers, settings=settings, now=later) is Outcome.SENT
    )
    assert deliver(message, db=db, providers=providers, settings=settings) is Outcome.DUPLICATE

    assert len(emails_to(to)) == 1
    final = record(tenant, message.id)
    assert final is not None
    assert final.state is MessageState.SENT
    assert final.attempts == 2


def test_pubsub_redelivers_a_message_held_by_a_crashed_attempt(tenant: TenantData) -> None:
    """Through the stack: the push is refused while a dead attempt holds the lease,
    Pub/Sub redelivers, and the first delivery after the lease sends one e-mail."""
    to = f"{unique('r')}@example.dk"
    message_id = unique("msg")
    now = datetime.now(UTC)
    held = datetime.now(UTC) + timedelta(seconds=get_settings().message_lease_s)
    message = reset_request(tenant, to, message_id)
    crashed = MessageRecord(
        request=message,
        state=MessageState.SENDING,
        attempts=1,
        received=1,
        created_at=now,
        updated_at=now,
        lease_until=held,
    )
    tenant.document(MESSAGES, message_id).set(crashed.to_firestore())

    publish(message)
    sent = wait_state(tenant, message_id, MessageState.SENT)

    assert len(emails_to(to)) == 1
    assert sent.attempts == 2
    assert sent.received >= 2  # refused at least once while the lease was held


def test_transient_errors_are_retried_with_backoff_then_fail_with_the_reason(
    tenant: TenantData,
) -> None:
    settings = get_settings()
    message = reset_request(tenant, "nobody@example.dk")
    # A real SES client whose endpoint does not answer: botocore's connection error.
    unreachable = boto3.client(
        "ses",
        region_name=get_settings().aws_region,
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    providers = Providers(email=SesEmailProvider(unreachable, SENDER), sms=real_providers().sms)
    db = firestore_client()
    clock = datetime.now(UTC)

    for attempt in range(1, settings.message_max_attempts):
        assert deliver(message, db=db, providers=providers, settings=settings, now=clock) is (
            Outcome.RETRY_LATER
        )
        waiting = record(tenant, message.id)
        assert waiting is not None
        assert waiting.state is MessageState.QUEUED
        assert waiting.attempts == attempt
        assert waiting.last_error is not None
        assert "EndpointConnectionError" in waiting.last_error
        assert waiting.next_attempt_at is not None
        # Too early: still backing off, the provider is not called.
        assert deliver(message, db=db, providers=providers, settings=settings, now=clock) is (
            Outcome.RETRY_LATER
        )
        assert record(tenant, message.id).attempts == attempt  # type: ignore[union-attr]
        clock = waiting.next_attempt_at + timedelta(milliseconds=1)

    assert deliver(message, db=db, providers=providers, settings=settings, now=clock) is (
        Outcome.FAILED
    )
    failed = record(tenant, message.id)
    assert failed is not None
    assert failed.state is MessageState.FAILED
    assert failed.failure_reason is not None
    assert "EndpointConnectionError" in failed.failure_reason
    assert f"gave up after {settings.message_max_attempts} attempts" in failed.failure_reason


def test_backoff_doubles_and_is_capped() -> None:
    settings = get_settings().model_copy(
        update={"message_backoff_base_s": 10, "message_backoff_max_s": 60}
    )
    assert [backoff(n, settings).total_seconds() for n in range(1, 6)] == [10, 20, 40, 60, 60]


@pytest.mark.parametrize(
    ("channel", "to", "content", "problem"),
    [
        (Channel.EMAIL, "not-an-address", {"subject": "s", "html": "h"}, "valid email"),
        (Channel.SMS, "12345678", {}, "valid sms"),
        (Channel.EMAIL, "a@example.dk", {}, "a subject and an HTML part"),
        (Channel.EMAIL, "a@example.dk", {"kind": "Not A Kind"}, "should match pattern"),
    ],
)
def test_an_invalid_request_is_refused_and_nothing_is_written(
    tenant: TenantData, channel: Channel, to: str, content: dict[str, str], problem: str
) -> None:
    message_id = unique("msg")
    fields = {
        "id": message_id,
        "tenant_id": tenant.tenant_id,
        "channel": channel,
        "to": to,
        "kind": "password_reset",
        "text": "Hej",
        **content,
    }
    with pytest.raises(ValueError, match=problem):
        outbox.request_message(tenant, MessageRequest.model_validate(fields))
    assert record(tenant, message_id) is None


def test_a_scheduled_message_waits_in_cloud_tasks_until_its_time(tenant: TenantData) -> None:
    to = f"{unique('r')}@example.dk"
    send_at = datetime.now(UTC) + timedelta(seconds=3)
    request = outbox.request_message(tenant, reset_request(tenant, to), send_at=send_at)
    waiting = record(tenant, request.id)
    assert waiting is not None
    assert waiting.state is MessageState.QUEUED
    assert waiting.scheduled_for == send_at
    assert emails_to(to) == []

    sent = wait_state(tenant, request.id, MessageState.SENT)

    assert sent.sent_at is not None
    assert sent.sent_at >= send_at
    assert len(emails_to(to)) == 1


def test_a_release_for_an_erased_or_finished_message_sends_nothing(tenant: TenantData) -> None:
    from tests.helpers import call

    gone = call(
        "POST",
        "/release_scheduled_message/",
        json={"tenant_id": tenant.tenant_id, "message_ids": [unique("msg")]},
    )
    assert gone.status_code == 204
    to = f"{unique('r')}@example.dk"
    request = reset_email(tenant, to)
    wait_state(tenant, request.id, MessageState.SENT)
    again = call(
        "POST",
        "/release_scheduled_message/",
        json={"tenant_id": tenant.tenant_id, "message_ids": [request.id]},
    )
    assert again.status_code == 204
    # What the release publishes, recorded in this process instead of done: nothing.
    from unittest import mock

    from functions.messaging import main as messaging
    from shared.messaging.models import ScheduledRelease

    published: list[str] = []
    with mock.patch.object(
        messaging, "dispatch", lambda requests: published.extend(r.id for r in requests)
    ):
        messaging.release(ScheduledRelease(tenant_id=tenant.tenant_id, message_ids=[request.id]))
    assert published == []
    final = record(tenant, request.id)
    assert final is not None
    assert final.state is MessageState.SENT
    assert len(emails_to(to)) == 1
    bad = call("POST", "/release_scheduled_message/", json={"tenant_id": "../x"})
    assert bad.status_code == 422


def test_a_malformed_pubsub_payload_is_acknowledged_not_retried_forever() -> None:
    from tests.helpers import call

    envelope: dict[str, Any] = {
        "subscription": "projects/p/subscriptions/s",
        "message": {"data": "not base64!", "messageId": "1"},
    }
    assert call("POST", "/deliver_message/", json=envelope).status_code == 200
    envelope["message"]["data"] = "eyJ4IjogMX0="  # {"x": 1}: JSON, but no message request
    assert call("POST", "/deliver_message/", json=envelope).status_code == 200


def test_delivery_sends_the_stored_request_not_the_payload(tenant: TenantData) -> None:
    to = f"{unique('r')}@example.dk"
    stored = reset_email(tenant, to)
    wait_state(tenant, stored.id, MessageState.SENT)
    other = f"{unique('r')}@example.dk"
    reset_email(tenant, other, stored.id)  # the same id reused for someone else
    wait_until(lambda: (found := record(tenant, stored.id)) is not None and found.received >= 2)
    assert emails_to(other) == []
    assert len(emails_to(to)) == 1


def test_the_longest_message_id_is_delivered_and_logged(tenant: TenantData) -> None:
    message_id = "m" * 100
    request = reset_email(tenant, f"{unique('r')}@example.dk", message_id)
    wait_state(tenant, request.id, MessageState.SENT)
    assert tenant.document("events", f"{message_id}-message-sent").get().exists


class RedeliveredWhileSending:
    """Wraps the real SES provider; while the first attempt sends, Pub/Sub delivers the
    message again (that delivery finds it held and only counts itself)."""

    def __init__(self, real: SesEmailProvider, again: Any) -> None:
        self.real, self.again = real, again

    def send_email(self, to: str, subject: str, text: str, html: str) -> str:
        assert self.again() is Outcome.RETRY_LATER
        return self.real.send_email(to, subject, text, html)


def test_a_redelivery_while_sending_does_not_supersede_the_sender(tenant: TenantData) -> None:
    settings, db = get_settings(), firestore_client()
    to = f"{unique('r')}@example.dk"
    message = reset_request(tenant, to)
    real = real_providers()

    def again() -> Outcome:
        return deliver(message, db=db, providers=real, settings=settings)

    providers = Providers(email=RedeliveredWhileSending(real.email, again), sms=real.sms)  # type: ignore[arg-type]

    assert deliver(message, db=db, providers=providers, settings=settings) is Outcome.SENT
    final = record(tenant, message.id)
    assert final is not None
    assert (final.state, final.attempts, final.received) == (MessageState.SENT, 1, 2)
    assert len(emails_to(to)) == 1
    assert tenant.document("events", f"{message.id}-message-sent").get().exists


def test_an_attempt_whose_lease_ran_out_cannot_overwrite_the_one_that_took_over(
    tenant: TenantData,
) -> None:
    from shared.messaging.delivery import _claim, _finish

    settings, db = get_settings(), firestore_client()
    message = reset_request(tenant, f"{unique('r')}@example.dk")
    outbox.request_message(tenant, message, send_at=datetime.now(UTC) + timedelta(days=1))
    ref = tenant.document(MESSAGES, message.id)
    start = datetime.now(UTC)
    slow = _claim(tenant, ref, message, settings, start)
    later = start + timedelta(seconds=settings.message_lease_s + 1)
    fast = _claim(tenant, ref, message, settings, later)  # the lease ran out: taken over
    assert (slow.attempt, fast.attempt) == (1, 2)
    assert _finish(db, ref, fast, {"state": "sent", "provider_message_id": "fast"})
    assert not _finish(db, ref, slow, {"state": "failed", "failure_reason": "slow"})
    final = record(tenant, message.id)
    assert final is not None
    assert (final.state, final.provider_message_id, final.failure_reason) == (
        MessageState.SENT,
        "fast",
        None,
    )


def test_scheduling_the_same_message_twice_names_one_task(tenant: TenantData) -> None:
    """Cloud Tasks refuses a second task of a name (the emulator does not, so the test
    checks what our code decides: the name), and delivery sends each message id once."""
    from shared.gcp import queue_path, tasks_client

    message = reset_request(tenant, f"{unique('r')}@example.dk")
    when = datetime.now(UTC) + timedelta(days=2)
    outbox.request_message(tenant, message, send_at=when)
    outbox.request_message(tenant, message, send_at=when)  # the caller retried
    queue = get_settings().queue("scheduled_message_queue").name
    named = [t for t in tasks_client().list_tasks(parent=queue_path(queue)) if message.id in t.name]
    assert named
    assert {t.name.rsplit("/", 1)[1] for t in named} == {message.id}


def test_a_log_entry_recorded_already_does_not_keep_the_outcome_from_being_written(
    tenant: TenantData,
) -> None:
    settings, db = get_settings(), firestore_client()
    to = f"{unique('r')}@example.dk"
    message = reset_request(tenant, to)
    tenant.document("events", f"{message.id}-message-sent").set({"action": "message.sent"})
    assert deliver(message, db=db, providers=real_providers(), settings=settings) is Outcome.SENT
    final = record(tenant, message.id)
    assert final is not None
    assert final.state is MessageState.SENT
    assert len(emails_to(to)) == 1


def test_a_message_erased_while_it_was_sent_is_not_recreated(tenant: TenantData) -> None:
    settings, db = get_settings(), firestore_client()
    message = reset_request(tenant, f"{unique('r')}@example.dk")
    real = real_providers()

    class ErasedMeanwhile:
        def send_email(self, to: str, subject: str, text: str, html: str) -> str:
            tenant.document(MESSAGES, message.id).delete()  # the client's erasure ran
            return real.email.send_email(to, subject, text, html)

    providers = Providers(email=ErasedMeanwhile(), sms=real.sms)
    assert deliver(message, db=db, providers=providers, settings=settings) is Outcome.SUPERSEDED
    assert record(tenant, message.id) is None
