"""Faults of the providers and redeliveries of the platform, against moto and the stack:
SES throttling and 5xx are retried with backoff and end sent once or failed with the
reason at the bound; a burst of the same push, or a release task delivered twice at
once, sends one e-mail.

SES is made to fail by a small proxy in front of moto (started by the test): it answers
the first N SendRawEmail calls (how Trivsel sends) with the error SES would give, then
forwards to moto.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.gcp import firestore_client
from shared.messaging import outbox
from shared.messaging.delivery import Outcome, deliver
from shared.messaging.models import MESSAGES, MessageRecord, MessageRequest, MessageState
from shared.messaging.providers import Providers, SesEmailProvider, _provider_error
from shared.retrying import aws_config
from shared.settings import get_settings
from shared.tenancy import TenantData
from tests.helpers import create_tenant, emails_to, functions_url, unique, wait_until
from tests.messaging.test_delivery import SENDER, real_providers, record, reset_request

pytestmark = pytest.mark.usefixtures("stack")
THROTTLED = (
    400,
    b'<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender'
    b"</Type><Code>Throttling</Code><Message>Maximum sending rate exceeded.</Message></Error>"
    b"<RequestId>r</RequestId></ErrorResponse>",
)
UNAVAILABLE = (
    503,
    b'<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Receiver'
    b"</Type><Code>ServiceUnavailable</Code><Message>Service is unavailable.</Message></Error>"
    b"<RequestId>r</RequestId></ErrorResponse>",
)


@dataclass
class FaultySes:
    """A proxy before moto: the first `failures` SendRawEmail calls get `error`."""

    upstream: str
    error: tuple[int, bytes] = THROTTLED
    failures: int = 0
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        with self.lock:
            sending = b"Action=SendRawEmail" in body
            self.calls += sending
            failing = sending and self.failures > 0
            self.failures -= failing
        if failing:
            return self.error
        reply = requests.post(self.upstream + path, data=body, headers=headers, timeout=10)
        return reply.status_code, reply.content


@pytest.fixture
def faulty_ses(stack: dict[str, str]) -> Iterator[FaultySes]:
    proxy = FaultySes(upstream=stack["AWS_ENDPOINT_URL"])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            forwarded = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            status, content = proxy.answer(self.path, forwarded, body)
            self.send_response(status)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tenant() -> TenantData:
    return TenantData(firestore_client(), create_tenant())


def through(proxy: FaultySes) -> Providers:
    """The production providers' configuration (shared/retrying.aws_config), via the proxy."""
    ses = boto3.client(
        "ses", region_name=get_settings().aws_region, endpoint_url=proxy.url, config=aws_config()
    )
    return Providers(email=SesEmailProvider(ses, SENDER), sms=real_providers().sms)


def events_of(tenant: TenantData, message_id: str) -> list[dict[str, Any]]:
    found = (
        tenant.collection("events")
        .where(filter=FieldFilter("subject", "==", f"messages/{message_id}"))
        .get()
    )
    return [e.to_dict() or {} for e in found]


def test_ses_throttling_is_retried_with_backoff_and_the_email_is_sent_once(
    tenant: TenantData, faulty_ses: FaultySes
) -> None:
    settings = get_settings()
    to = f"{unique('r')}@example.dk"
    message = reset_request(tenant, to)
    faulty_ses.failures = 4  # three tries in the first attempt, one in the second
    providers = through(faulty_ses)
    db = firestore_client()

    first = deliver(message, db=db, providers=providers, settings=settings)
    assert first is Outcome.RETRY_LATER
    waiting = record(tenant, message.id)
    assert waiting is not None
    assert waiting.state is MessageState.QUEUED
    assert waiting.attempts == 1
    assert waiting.last_error is not None
    assert waiting.last_error.startswith("Throttling: Maximum sending rate exceeded")
    assert waiting.next_attempt_at is not None
    assert faulty_ses.calls == 3  # botocore's own retries inside the attempt

    later = waiting.next_attempt_at
    assert deliver(message, db=db, providers=providers, settings=settings, now=later) is (
        Outcome.SENT
    )
    assert faulty_ses.calls == 5  # one more throttled, then through to moto
    sent = record(tenant, message.id)
    assert sent is not None
    assert sent.state is MessageState.SENT
    assert sent.attempts == 2
    assert len(emails_to(to)) == 1
    assert deliver(message, db=db, providers=providers, settings=settings) is Outcome.DUPLICATE
    assert len(emails_to(to)) == 1


def test_ses_5xx_past_the_bound_dead_letters_the_message_with_the_reason(
    tenant: TenantData, faulty_ses: FaultySes
) -> None:
    settings = get_settings().model_copy(update={"message_max_attempts": 2})
    to = f"{unique('r')}@example.dk"
    message = reset_request(tenant, to)
    faulty_ses.error, faulty_ses.failures = UNAVAILABLE, 1000
    providers = through(faulty_ses)
    db = firestore_client()

    assert deliver(message, db=db, providers=providers, settings=settings) is Outcome.RETRY_LATER
    waiting = record(tenant, message.id)
    assert waiting is not None
    assert waiting.next_attempt_at is not None
    later = waiting.next_attempt_at
    assert deliver(message, db=db, providers=providers, settings=settings, now=later) is (
        Outcome.FAILED
    )

    failed = record(tenant, message.id)
    assert failed is not None
    assert failed.state is MessageState.FAILED
    assert failed.attempts == 2
    assert failed.failure_reason is not None
    assert failed.failure_reason.startswith("ServiceUnavailable: Service is unavailable.")
    assert failed.failure_reason.endswith("(gave up after 2 attempts)")
    assert faulty_ses.calls == 2 * 3
    assert emails_to(to) == []
    [event] = events_of(tenant, message.id)
    assert event["action"] == "message.failed"
    assert event["details"]["attempts"] == 2
    assert event["details"]["reason"] == failed.failure_reason
    # Dead: a later delivery (a Pub/Sub redelivery) sends nothing.
    faulty_ses.failures = 0
    assert deliver(message, db=db, providers=providers, settings=settings) is Outcome.DUPLICATE
    assert emails_to(to) == []


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "SendRawEmail",
    )


@pytest.mark.parametrize(
    ("code", "status", "permanent"),
    [
        ("Throttling", 400, False),
        ("TooManyRequestsException", 429, False),
        ("ServiceUnavailable", 503, False),
        ("InternalFailure", 500, False),
        ("MessageRejected", 400, True),
        ("InvalidParameterValue", 400, True),
        ("InvalidParameterValue", 500, False),  # a 5xx is the service's fault, whatever it says
    ],
)
def test_throttling_and_5xx_are_transient_and_rejections_permanent(
    code: str, status: int, permanent: bool
) -> None:
    error = _provider_error(_client_error(code, status))
    assert error.permanent is permanent
    assert error.reason == f"{code}: m"


def test_a_5xx_that_is_not_even_xml_is_transient() -> None:
    from botocore.parsers import ResponseParserError

    error = _provider_error(ResponseParserError("invalid XML received: b'Service Unavailable'"))
    assert not error.permanent
    assert error.reason.startswith("ResponseParserError: invalid XML")


def push(request: MessageRequest, delivery: int) -> int:
    """What Pub/Sub's push sends the delivery function (one delivery of the message)."""
    envelope = {
        "message": {
            "data": base64.b64encode(request.model_dump_json().encode()).decode(),
            "messageId": f"{request.id}-{delivery}",
            "attributes": {"tenant_id": request.tenant_id, "message_id": request.id},
        },
        "subscription": "projects/p/subscriptions/burst",
    }
    return requests.post(functions_url("/deliver_message/"), json=envelope, timeout=60).status_code


def test_a_burst_of_the_same_push_at_once_sends_one_email(tenant: TenantData) -> None:
    to = f"{unique('r')}@example.dk"
    message = reset_request(tenant, to)
    tenant.document(MESSAGES, message.id).create(outbox.queued(message))

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda n: push(message, n), range(16)))

    # Each push is done: sent, acknowledged as a duplicate, or refused while held (2xx/5xx).
    assert all(s < 300 or s >= 500 for s in statuses), statuses
    sent = record(tenant, message.id)
    assert sent is not None
    assert sent.state is MessageState.SENT
    assert sent.attempts == 1
    assert len(emails_to(to)) == 1
    assert [e["action"] for e in events_of(tenant, message.id)] == ["message.sent"]


def test_a_release_task_delivered_twice_at_once_sends_one_email(tenant: TenantData) -> None:
    to = f"{unique('r')}@example.dk"
    message = reset_request(tenant, to)
    tenant.document(MESSAGES, message.id).create(outbox.queued(message))
    body = {"tenant_id": tenant.tenant_id, "message_ids": [message.id]}

    def release(_: int) -> int:
        reply = requests.post(functions_url("/release_scheduled_message/"), json=body, timeout=60)
        return reply.status_code

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(release, range(2))) == [204, 204]

    def both_handed_on() -> MessageRecord | None:
        found = record(tenant, message.id)
        sent = found is not None and found.state is MessageState.SENT
        return found if sent and found is not None and found.received >= 2 else None

    done = wait_until(both_handed_on)
    assert done is not None
    assert done.attempts == 1
    assert len(emails_to(to)) == 1
