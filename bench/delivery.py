"""E-mail at provider speed: a remote task fanned out to 100 contact persons, and 1,000
e-mails end to end, each beside a raw SES `send_raw_email` loop run just before it."""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import requests

from bench.common import Catalogue, Host, Tenant, heading, methods, percentile, trips
from bench.latency import assign
from infra.deployment import ROOT


def _mail() -> Any:
    """A real e-mail of ours (the password reset), rendered by its own template."""
    from shared.templating import MailTemplates

    mail = MailTemplates(ROOT / "functions" / "auth" / "templates")
    return mail.render("password_reset", "da", {"link": "https://trivsel.dk/r"})


def raw_ses_loop(count: int, prefix: str) -> float:
    """Seconds for `count` plain boto3 calls, one after the other, each sending the same
    MIME message as Trivsel does (`send_raw_email`, built per recipient)."""
    import boto3

    from shared.messaging.providers import mime_message

    ses = boto3.client("ses")
    sender = os.environ["TRIVSEL_MAIL_SENDER"]
    message = _mail()
    started = time.perf_counter()
    for n in range(count):
        raw = mime_message(
            sender, f"{prefix}-{n}@example.dk", message.subject, message.text, message.html
        )
        ses.send_raw_email(Source=sender, RawMessage={"Data": raw})
    return time.perf_counter() - started


def _at_ses(prefix: str) -> int:
    data = requests.get(os.environ["AWS_ENDPOINT_URL"] + "/moto-api/data.json", timeout=30).json()
    ses = data.get("ses", {})
    # moto keeps a simple message's recipients by kind, a raw (MIME) message's as a list.
    first = [m["destinations"]["ToAddresses"][0] for m in ses.get("Message", [])]
    first += [m["destinations"][0] for m in ses.get("RawMessage", []) if m["destinations"]]
    return sum(address.startswith(prefix) for address in first)


def bench_fan_out(tenant: Tenant, catalogue: Catalogue, host: Host, count: int) -> None:
    heading(
        f"Remote task fanned out to {count} contact persons (target: answer <= 0.5 s, "
        "all at SES <= 2 s)"
    )
    from bench.common import api

    prefix = f"fan-{uuid.uuid4().hex[:8]}"
    body = {
        "profile": {"name": "Bench Barn"},
        "contacts": [
            {"name": f"Kontakt {n}", "relation": "forælder", "email": f"{prefix}-{n}@example.dk"}
            for n in range(count)
        ],
    }
    client_id = str(api("POST", "/clients_api/clients", tenant.token, json=body)["id"])
    course_ref = assign(tenant, client_id, catalogue.course)
    baseline = raw_ses_loop(count, f"raw-{prefix}")
    path = f"/remote_tasks_api/clients/{client_id}/courses/{course_ref}/items/i0/remote-tasks"
    headers = {"Authorization": f"Bearer {tenant.token}"}
    host.reset()
    started = time.perf_counter()
    reply = requests.post(host.url + path, headers=headers, json={}, timeout=600)
    answered = time.perf_counter() - started
    if reply.status_code != 201:
        raise RuntimeError(f"fan-out: {reply.status_code} {reply.text[:300]}")
    counted = host.counts()
    delivered = 0
    while time.perf_counter() - started < 120:
        delivered = _at_ses(prefix)
        if delivered >= count:
            break
        time.sleep(0.1)
    total = time.perf_counter() - started
    print(f"  {'baseline: raw SES send_raw_email loop (moto)':<52} {baseline:7.2f} s  1.00x")
    if delivered < count:
        print(f"  only {delivered}/{count} e-mails at SES after {total:.0f} s")
        return
    print(
        f"  {'remote task: API call until all e-mails at SES':<52} {total:7.2f} s  "
        f"{total / baseline:5.2f}x  ({count / total:.0f} e-mails/s)"
    )
    print(
        f"  {'remote task: the API call returned after':<52} {answered:7.2f} s  "
        f"{answered / baseline:5.2f}x"
    )
    print(f"  round trips of the API call (in the host): {trips(counted)}")
    print(f"    {methods(counted)}")


def bench_mail(count: int) -> None:
    """Request (record + publish, 16 threads) -> Pub/Sub push -> delivery -> SES."""
    from google.cloud.firestore_v1.base_query import FieldFilter

    from shared.gcp import firestore_client
    from shared.messaging import outbox
    from shared.messaging.models import MESSAGES, MessageState
    from shared.tenancy import TENANTS, TenantData

    heading(f"Mail throughput, {count} e-mails end to end (target >= 0.5x the raw SES loop)")
    raw_rate = count / raw_ses_loop(count, f"raw-mail-{uuid.uuid4().hex[:6]}")
    tenant_id = f"bench-{uuid.uuid4().hex[:8]}"
    firestore_client().collection(TENANTS).document(tenant_id).set({"status": "active"})
    tenant = TenantData(firestore_client(), tenant_id)
    message = _mail()
    ids = [f"bench-{n:06d}-{uuid.uuid4().hex[:6]}" for n in range(count)]

    def send(message_id: str) -> None:
        outbox.email(
            tenant,
            message_id=message_id,
            to=f"{message_id}@example.dk",
            kind="password_reset",
            content=message,
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(send, ids))
    published = time.perf_counter() - started
    sent_query: Any = tenant.collection(MESSAGES).where(
        filter=FieldFilter("state", "==", MessageState.SENT.value)
    )
    sent = 0
    while time.perf_counter() - started < 600:
        sent = int(sent_query.count().get()[0][0].value)
        if sent >= count:
            break
        time.sleep(0.25)
    if sent < count:
        print(f"  not all messages were sent within 600 s ({sent}/{count})")
        return
    docs = [d.to_dict() or {} for d in tenant.collection(MESSAGES).get()]
    latencies = [(d["sent_at"] - d["created_at"]).total_seconds() for d in docs]
    first: datetime = min(d["created_at"] for d in docs)
    last: datetime = max(d["sent_at"] for d in docs)
    rate = count / max((last - first).total_seconds(), 1e-3)
    print(f"  {'baseline: raw SES send_raw_email loop (moto)':<52} {raw_rate:7.1f} msg/s  1.00x")
    print(
        f"  {'pipeline: request -> Pub/Sub -> function -> SES':<52} {rate:7.1f} msg/s  "
        f"{rate / raw_rate:5.2f}x"
    )
    print(
        f"  requests took {published:.1f} s (16 threads); request -> sent: "
        f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
    )


def bench_mail_pushed(count: int, pushers: int = 16) -> None:
    """The delivery function at a push concurrency like production's. The Pub/Sub
    emulator pushes one subscription's messages at most two at a time (measured in the
    host's request log), where Pub/Sub ramps concurrent pushes up while they succeed; so
    the same push requests are sent to the stack's host here by `pushers` threads."""
    import base64

    from shared.gcp import firestore_client
    from shared.messaging import outbox
    from shared.messaging.models import MESSAGES, MessageRequest
    from shared.tenancy import TENANTS, TenantData

    heading(f"Mail throughput, {count} e-mails pushed {pushers} at a time to the delivery function")
    raw_rate = count / raw_ses_loop(count, f"raw-push-{uuid.uuid4().hex[:6]}")
    tenant_id = f"bench-{uuid.uuid4().hex[:8]}"
    db = firestore_client()
    db.collection(TENANTS).document(tenant_id).set({"status": "active"})
    tenant = TenantData(db, tenant_id)
    message = _mail()
    queued: list[MessageRequest] = []
    for first in range(0, count, 400):
        batch = db.batch()
        for n in range(first, min(first + 400, count)):
            request = outbox.email_request(
                tenant,
                message_id=f"push-{n:06d}-{uuid.uuid4().hex[:6]}",
                to=f"push-{n}@example.dk",
                kind="password_reset",
                content=message,
            )
            batch.create(tenant.document(MESSAGES, request.id), outbox.queued(request))
            queued.append(request)
        batch.commit()
    url = os.environ["TRIVSEL_FUNCTIONS_URL"].rstrip("/") + "/deliver_message/"
    session = requests.Session()

    def push(request: MessageRequest) -> int:
        envelope = {
            "message": {
                "data": base64.b64encode(request.model_dump_json().encode()).decode(),
                "messageId": request.id,
            },
            "subscription": "projects/bench/subscriptions/pushed",
        }
        return session.post(url, json=envelope, timeout=120).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=pushers) as pool:
        statuses = list(pool.map(push, queued))
    elapsed = time.perf_counter() - started
    failed = sum(1 for s in statuses if s >= 300)
    rate = count / elapsed
    print(f"  {'baseline: raw SES send_raw_email loop (moto)':<52} {raw_rate:7.1f} msg/s  1.00x")
    print(
        f"  {'pushed: push -> function -> SES, all sent':<52} {rate:7.1f} msg/s  "
        f"{rate / raw_rate:5.2f}x  ({failed} pushes not acknowledged)"
    )
