"""Run every benchmark and print figures with their same-run baselines.

    make bench     # starts a test-profile stack, runs this, stops the stack

The machines are noisy, so absolute times mean little: read the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from infra.deployment import ROOT, load

IMPORT_RUNS = 7


def _cold_import_seconds(module: str) -> float:
    code = (
        "import importlib, time; t = time.perf_counter(); "
        f"importlib.import_module({module!r}); print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return float(out.strip())


def bench_cold_imports() -> None:
    print(f"Cold import, fresh interpreter, median of {IMPORT_RUNS} runs")
    modules = {"baseline: bare functions-framework hello": "bench.hello_function"}
    for fn in load().functions:
        modules[f"{fn.module} ({fn.name})"] = fn.module
    medians: dict[str, float] = {}
    for label, module in modules.items():
        runs = [_cold_import_seconds(module) for _ in range(IMPORT_RUNS)]
        medians[label] = statistics.median(runs)
    baseline = next(iter(medians.values()))
    for label, seconds in medians.items():
        print(f"  {label:<55} {seconds * 1000:8.1f} ms  {seconds / baseline:5.2f}x")


def _reset_mail() -> Any:
    """The password-reset e-mail, rendered by the auth area's own template."""
    from shared.templating import MailTemplates

    mail = MailTemplates(ROOT / "functions" / "auth" / "templates")
    return mail.render("password_reset", "da", {"link": "https://x.dk/r"})


def put_item(kind: str, item_id: str, body: dict[str, Any]) -> None:
    """A catalogue item, through the owner's API as the owner would."""
    import os

    import requests

    from tests.accounts import owner_token

    global _OWNER
    _OWNER = _OWNER or owner_token()
    reply = requests.put(
        f"{os.environ['TRIVSEL_FUNCTIONS_URL']}/clients_api/catalogue/{kind}/{item_id}",
        headers={"Authorization": f"Bearer {_OWNER}"},
        json=body,
        timeout=60,
    )
    reply.raise_for_status()


_OWNER: str | None = None


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def bench_messaging(count: int) -> None:
    import boto3

    from shared.gcp import firestore_client
    from shared.messaging import outbox
    from shared.messaging.models import MESSAGES, MessageState
    from shared.messaging.providers import SesEmailProvider
    from shared.settings import get_settings
    from shared.tenancy import TENANTS, TenantData

    print(f"\nMessaging end to end, {count} e-mails (publish -> delivery function -> SES)")
    ses = SesEmailProvider(boto3.client("ses"), get_settings().mail_sender)
    message = _reset_mail()
    started = time.perf_counter()
    for n in range(count):
        ses.send_email(f"baseline-{n}@example.dk", message.subject, message.text, message.html)
    raw_rate = count / (time.perf_counter() - started)

    tenant_id = f"bench-{uuid.uuid4().hex[:8]}"
    firestore_client().collection(TENANTS).document(tenant_id).set({"status": "active"})
    tenant = TenantData(firestore_client(), tenant_id)
    ids = [f"bench-{n:06d}-{uuid.uuid4().hex[:6]}" for n in range(count)]

    def send(message_id: str) -> None:
        outbox.email(
            tenant,
            message_id=message_id,
            to=f"{message_id}@example.dk",
            kind="password_reset",
            content=message,
        )

    started_wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(send, ids))
    published = time.perf_counter()
    deadline = time.monotonic() + 600
    latencies: list[float] = []
    last_sent: datetime | None = None
    while time.monotonic() < deadline:
        docs = tenant.collection(MESSAGES).get()
        sent = [d.to_dict() or {} for d in docs if d.get("state") == MessageState.SENT.value]
        if len(sent) == count:
            latencies = [(d["sent_at"] - d["created_at"]).total_seconds() for d in sent]
            last_sent = max(d["sent_at"] for d in sent)
            break
        time.sleep(0.5)
    if last_sent is None:
        print(f"  not all messages were sent within 600 s ({len(sent)}/{count})")
        return
    first_created = min(d.get("created_at") for d in tenant.collection(MESSAGES).get())
    span = (last_sent - first_created).total_seconds()
    rate = count / span
    print(f"  {'baseline: raw SES send_email loop (moto)':<55} {raw_rate:8.1f} msg/s  1.00x")
    print(
        f"  {'pipeline: request -> Pub/Sub -> function -> SES':<55} {rate:8.1f} msg/s  "
        f"{rate / raw_rate:5.2f}x"
    )
    print(f"  publishing {count} requests took {published - started_wall:.1f} s (16 threads)")
    print(
        f"  latency request -> sent: p50 {_percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {_percentile(latencies, 0.99) * 1000:.0f} ms"
    )


def _signed_in_professional() -> tuple[str, str]:
    """A fresh tenant and professional for the benchmark: (tenant id, ID token)."""
    import os

    import requests
    from firebase_admin import auth

    from shared.gcp import firebase_app, firestore_client
    from shared.principal import ROLE_CLAIM, TENANT_CLAIM
    from shared.tenancy import TENANTS

    tenant_id = f"bench-{uuid.uuid4().hex[:8]}"
    firestore_client().collection(TENANTS).document(tenant_id).set(
        {"status": "active", "display_name": "Bench", "licence": {"focus_areas": []}}
    )
    email, password = f"{tenant_id}@example.dk", "Bench-password-1"
    user = auth.create_user(email=email, password=password, app=firebase_app())
    auth.set_custom_user_claims(
        user.uid, {TENANT_CLAIM: tenant_id, ROLE_CLAIM: "professional"}, app=firebase_app()
    )
    reply = requests.post(
        f"http://{os.environ['FIREBASE_AUTH_EMULATOR_HOST']}/identitytoolkit.googleapis.com"
        "/v1/accounts:signInWithPassword?key=any",
        json={"email": email, "password": password, "returnSecureToken": True},
        timeout=10,
    )
    return tenant_id, str(reply.json()["idToken"])


def _row(label: str, seconds: list[float], baseline: list[float] | None) -> None:
    p50, p99 = _percentile(seconds, 0.5) * 1000, _percentile(seconds, 0.99) * 1000
    ratio = "1.00x" if baseline is None else f"{p50 / (_percentile(baseline, 0.5) * 1000):.2f}x"
    print(f"  {label:<55} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  {ratio}")


def bench_clients(count: int) -> None:
    """Client create/get/list through clients_api vs the same Firestore work done directly."""
    import os
    from datetime import UTC, datetime

    import requests

    from shared.gcp import firestore_client
    from shared.tenancy import TenantData

    print(f"\nClients, {count} of each operation (p50 ratio against raw Firestore)")
    tenant_id, token = _signed_in_professional()
    base = os.environ["TRIVSEL_FUNCTIONS_URL"] + "/clients_api"
    headers = {"Authorization": f"Bearer {token}"}
    session = requests.Session()
    data = TenantData(firestore_client(), tenant_id)
    body = {
        "profile": {"name": "Ida Jensen", "birth_date": "2014-03-02", "gender": "female"},
        "contacts": [{"name": "Mette", "relation": "mor", "email": "m@example.dk"}],
    }

    def timed(action: Any) -> tuple[list[float], list[Any]]:
        times, results = [], []
        for n in range(count):
            started = time.perf_counter()
            results.append(action(n))
            times.append(time.perf_counter() - started)
        return times, results

    def raw_create(n: int) -> str:
        ref = data.collection("clients").document()
        now = datetime.now(UTC)
        ref.create(
            {
                **body,
                "search_name": f"ida jensen {n}",
                "created_at": now,
                "updated_at": now,
                "pseudonymised": False,
                "files": [],
            }
        )
        data.collection("events").document().create({"action": "client.created", "at": now})
        return str(ref.id)

    raw_times, raw_ids = timed(raw_create)
    api_times, api_ids = timed(
        lambda n: session.post(f"{base}/clients", json=body, headers=headers).json()["id"]
    )
    _row("create: raw Firestore (document + event)", raw_times, None)
    _row("create: POST /clients", api_times, raw_times)
    raw_times, _ = timed(lambda n: data.document("clients", raw_ids[n]).get().to_dict())
    api_times, _ = timed(
        lambda n: session.get(f"{base}/clients/{api_ids[n]}", headers=headers).json()
    )
    _row("get: raw Firestore (one document)", raw_times, None)
    _row("get: GET /clients/{id} (auth, tenant, audit, courses)", api_times, raw_times)
    raw_times, _ = timed(
        lambda n: data.collection("clients").order_by("search_name").limit(26).get()
    )
    api_times, _ = timed(
        lambda n: session.get(f"{base}/clients", params={"limit": 25}, headers=headers).json()
    )
    _row("list 25: raw Firestore query", raw_times, None)
    _row("list 25: GET /clients", api_times, raw_times)


def bench_remote_tasks(count: int) -> None:
    """One remote task fanned out to `count` contact persons: API call to e-mails at SES."""
    import os

    import boto3
    import requests

    from shared.gcp import firestore_client
    from shared.messaging.providers import SesEmailProvider
    from shared.settings import get_settings
    from shared.tenancy import TENANTS

    print(f"\nRemote task fanned out to {count} contact persons (API call -> e-mails at SES)")
    tenant_id, token = _signed_in_professional()
    area = f"bench-{uuid.uuid4().hex[:6]}"
    put_item("focus-areas", area, {"name": "Bench"})
    put_item(
        "exercises",
        f"{area}-ex",
        {
            "focus_area": area,
            "title": "Refleksion",
            "content": {"kind": "reflection", "fields": [{"id": "a", "label": "A?"}]},
        },
    )
    put_item(
        "courses",
        f"{area}-course",
        {
            "focus_area": area,
            "title": "Forløb",
            "modules": [{"id": "m", "title": "M", "exercise_ids": [f"{area}-ex"]}],
        },
    )
    firestore_client().collection(TENANTS).document(tenant_id).update(
        {"licence.focus_areas": [area]}
    )
    base = os.environ["TRIVSEL_FUNCTIONS_URL"]
    headers = {"Authorization": f"Bearer {token}"}
    contacts = [
        {"name": f"Kontakt {n}", "relation": "forælder", "email": f"{area}-{n}@example.dk"}
        for n in range(count)
    ]
    client = requests.post(
        f"{base}/clients_api/clients",
        headers=headers,
        timeout=60,
        json={"profile": {"name": "Bench Barn"}, "contacts": contacts},
    ).json()
    course = requests.post(
        f"{base}/clients_api/clients/{client['id']}/courses",
        headers=headers,
        json={"course_id": f"{area}-course"},
        timeout=60,
    ).json()
    moto = os.environ["AWS_ENDPOINT_URL"] + "/moto-api/data.json"

    def delivered() -> int:
        messages = requests.get(moto, timeout=30).json()["ses"]["Message"]
        return sum(m["destinations"]["ToAddresses"][0].startswith(area) for m in messages)

    message = _reset_mail()
    ses = SesEmailProvider(boto3.client("ses"), get_settings().mail_sender)
    started = time.perf_counter()
    for n in range(count):
        ses.send_email(f"baseline-rt-{n}@example.dk", message.subject, message.text, message.html)
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    reply = requests.post(
        f"{base}/remote_tasks_api/clients/{client['id']}/courses/{course['id']}/items/i0"
        "/remote-tasks",
        headers=headers,
        json={},
        timeout=600,
    )
    answered = time.perf_counter() - started
    assert reply.status_code == 201, reply.text
    while delivered() < count and time.perf_counter() - started < 600:
        time.sleep(0.5)
    total = time.perf_counter() - started
    print(
        f"  {'baseline: raw SES send_email loop (moto)':<55} {baseline:7.2f} s  "
        f"{count / baseline:7.1f} e-mails/s  1.00x"
    )
    print(
        f"  {'remote task: API call until all e-mails at SES':<55} {total:7.2f} s  "
        f"{count / total:7.1f} e-mails/s  {baseline / total:.2f}x"
    )
    print(f"  (the API call itself returned after {answered:.2f} s: tasks, links, reminders)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Trivsel benchmarks")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--contacts", type=int, default=100)
    args = parser.parse_args(argv)
    bench_cold_imports()
    bench_clients(args.clients)
    bench_remote_tasks(args.contacts)
    bench_messaging(args.messages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
