"""Scale with data: client list, search and the client log in a tenant of 100 clients
against one of 10,000 clients and 100,000 events (seeded with batched raw writes), and
the peak memory of one client export with 5,000 events, measured inside the host."""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import requests

from bench.common import Host, Tenant, heading, per_request, percentile, trips

BATCH = 500  # writes per commit (Firestore's limit)
WRITERS = 4
FIRST = ["Ida", "Emil", "Freja", "Noah", "Alma", "Oscar", "Ella", "William", "Karla", "Lucas"]
LAST = ["Jensen", "Hansen", "Nielsen"]  # a search for "jensen" finds a third
TARGET_EVENTS = 60  # the measured client's own log: more than one page of 50
ACTIONS = ["client.read", "client.updated", "course.assigned", "exercise.performed"]


@lru_cache(maxsize=1)
def raw_db() -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore

    project = os.environ["GOOGLE_CLOUD_PROJECT"]
    return firestore.Client(project=project, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]


def _client_doc(name: str, uid: str, at: datetime) -> dict[str, Any]:
    """A client as clients_api stores one (functions/clients/clients.py)."""
    key = " ".join(name.lower().split())
    return {
        "profile": {
            "name": name,
            "birth_date": "2014-03-02",
            "gender": "unknown",
            "institution": None,
            "notes": None,
        },
        "contacts": [{"name": "Mette", "relation": "mor", "email": "m@example.dk", "phone": None}],
        "search_name": key,
        "search_prefixes": sorted({w[:n] for w in key.split() for n in range(1, 21)}),
        "consent": None,
        "pseudonymised": False,
        "sealed_identity": None,
        "files": [],
        "created_at": at,
        "updated_at": at,
        "created_by": uid,
    }


def _event_doc(uid: str, client_id: str, at: datetime) -> dict[str, Any]:
    return {
        "actor": uid,
        "action": random.choice(ACTIONS),
        "subject": f"clients/{client_id}",
        "at": at,
        "details": {},
        "client_id": client_id,
        "exercise_id": None,
    }


def _write(docs: Iterator[tuple[Any, dict[str, Any]]], deadline: float) -> int:
    """Create every document, BATCH to a commit, WRITERS commits at a time, until the
    deadline; returns how many were written."""
    db = raw_db()

    def commit(chunk: list[tuple[Any, dict[str, Any]]]) -> int:  # documents written
        batch = db.batch()
        for ref, doc in chunk:
            batch.set(ref, doc)
        batch.commit()
        return len(chunk)

    written = 0
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        pending: list[Any] = []
        chunk: list[tuple[Any, dict[str, Any]]] = []
        for item in docs:
            chunk.append(item)
            if len(chunk) == BATCH:
                pending.append(pool.submit(commit, chunk))
                chunk = []
            if len(pending) >= WRITERS * 2:
                written += pending.pop(0).result()
                if time.monotonic() > deadline:
                    break
        else:
            if chunk:
                pending.append(pool.submit(commit, chunk))
        written += sum(int(f.result()) for f in pending)
    return written


@dataclass(frozen=True)
class Seeded:
    tenant: Tenant
    clients: int
    events: int
    target: str  # a client with TARGET_EVENTS events of its own


def seed(tenant: Tenant, clients: int, events: int, deadline: float) -> Seeded:
    db = raw_db()
    base = db.collection("tenants", tenant.tenant_id, "clients")
    log = db.collection("tenants", tenant.tenant_id, "events")
    now = datetime.now(UTC)
    ids = [uuid.uuid4().hex[:20] for _ in range(clients)]
    target = ids[0]

    def client_docs() -> Iterator[tuple[Any, dict[str, Any]]]:
        for n, client_id in enumerate(ids):
            name = "Ida Jensen" if n == 0 else f"{random.choice(FIRST)} {random.choice(LAST)} {n}"
            yield base.document(client_id), _client_doc(name, tenant.uid, now)

    def event_docs() -> Iterator[tuple[Any, dict[str, Any]]]:
        for n in range(TARGET_EVENTS):
            yield log.document(), _event_doc(tenant.uid, target, now - timedelta(minutes=n))
        for n in range(max(events - TARGET_EVENTS, 0)):
            at = now - timedelta(seconds=n * 7)
            yield log.document(), _event_doc(tenant.uid, random.choice(ids[1:] or ids), at)

    written_clients = _write(client_docs(), deadline)
    written_events = _write(event_docs(), deadline)
    return Seeded(tenant, written_clients, written_events, target)


def _p50_and_trips(
    host: Host, seeded: Seeded, path: str, params: dict[str, Any], count: int
) -> tuple[float, dict[str, Any]]:
    session = requests.Session()
    headers = {"Authorization": f"Bearer {seeded.tenant.token}"}
    url = host.url + path
    session.get(url, params=params, headers=headers, timeout=60).raise_for_status()
    host.reset()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        reply = session.get(url, params=params, headers=headers, timeout=60)
        times.append(time.perf_counter() - started)
        if reply.status_code != 200:
            raise RuntimeError(f"{path}: {reply.status_code} {reply.text[:300]}")
    return percentile(times, 0.5), per_request(host.counts(), count)


def bench_growth(host: Host, small: Seeded, large: Seeded, count: int) -> None:
    heading(
        f"Growth: a tenant of {small.clients:,} clients / {small.events:,} events against one "
        f"of {large.clients:,} / {large.events:,} (p50 of {count}; target ratio <= 1.2; the "
        "bare function's ratio beside it is what the emulator's own queries cost)"
    )
    checks: list[tuple[str, str, str, dict[str, Any]]] = [
        ("client list (25)", "/clients_api/clients", "/baseline_client_list/", {"limit": 25}),
        (
            "client search 'jensen' (25)",
            "/clients_api/clients",
            "/baseline_client_list/",
            {"q": "jensen", "limit": 25},
        ),
        (
            "client log (50)",
            "/clients_api/clients/{target}/log",
            "/baseline_client_log/{target}/log",
            {},
        ),
    ]
    print(
        f"  {'':<30} {'Trivsel small -> large':>26} {'ratio':>7} {'bare ratio':>11} "
        f"{'Trivsel/bare':>13}   Trivsel round trips small -> large"
    )
    for label, path, baseline, params in checks:
        figures = {}
        for name, route in (("trivsel", path), ("baseline", baseline)):
            for size, seeded in (("small", small), ("large", large)):
                figures[name, size] = _p50_and_trips(
                    host, seeded, route.format(target=seeded.target), params, count
                )
        (t_small, trips_small), (t_large, trips_large) = (
            figures["trivsel", "small"],
            figures["trivsel", "large"],
        )
        b_ratio = figures["baseline", "large"][0] / figures["baseline", "small"][0]
        print(
            f"  {label:<30} {t_small * 1000:9.1f} -> {t_large * 1000:7.1f} ms "
            f"{t_large / t_small:6.2f}x {b_ratio:10.2f}x {t_large / t_small / b_ratio:12.2f}x"
            f"   {trips(trips_small)} -> {trips(trips_large)}"
        )


def add_events(tenant: Tenant, client_id: str, events: int, deadline: float) -> int:
    log = raw_db().collection("tenants", tenant.tenant_id, "events")
    now = datetime.now(UTC)
    docs = (
        (log.document(), _event_doc(tenant.uid, client_id, now - timedelta(seconds=n)))
        for n in range(events)
    )
    return _write(docs, deadline)


def _export(host: Host, tenant: Tenant, path: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {tenant.token}", "X-Trivsel-Bench-Memory": "1"}
    started = time.perf_counter()
    reply = requests.get(host.url + path, headers=headers, timeout=300)
    elapsed = time.perf_counter() - started
    if reply.status_code != 200:
        raise RuntimeError(f"{path}: {reply.status_code} {reply.text[:300]}")
    return {**host.memory(), "seconds": elapsed}


def bench_export_memory(host: Host, seeded: Seeded, events: int, deadline: float) -> None:
    from bench.latency import new_client

    big = new_client(seeded.tenant, name="Export Jensen")
    added = add_events(seeded.tenant, big, events, deadline)
    heading(
        f"Peak memory of one client export, in the host (tracemalloc; peak RSS above the "
        f"RSS before), {added:,} events vs {TARGET_EVENTS}"
    )
    tenant = seeded.tenant
    for path in (
        f"/clients_api/clients/{seeded.target}/export",
        f"/baseline_client_export/{seeded.target}",
    ):
        _export(host, tenant, path)  # first use: clients, imports
    rows = [
        ("baseline: raw export, each query streamed", f"/baseline_client_export/{big}"),
        (
            f"Trivsel: GET /clients/{{id}}/export, {TARGET_EVENTS} events",
            f"/clients_api/clients/{seeded.target}/export",
        ),
        (
            f"Trivsel: GET /clients/{{id}}/export, {added:,} events",
            f"/clients_api/clients/{big}/export",
        ),
    ]
    baseline: dict[str, Any] = {}
    for label, path in rows:
        measured = _export(host, tenant, path)
        baseline = baseline or measured
        peak = measured["tracemalloc_peak_bytes"] / 2**10
        rss = _rss_growth(measured)
        ratio = measured["tracemalloc_peak_bytes"] / max(baseline["tracemalloc_peak_bytes"], 1)
        print(
            f"  {label:<52} {peak:8,.0f} KiB {ratio:6.2f}x   RSS +{rss:7,.0f} KiB   "
            f"{measured['response_bytes'] / 2**20:5.1f} MiB sent in {measured['seconds']:.2f} s"
        )


def _rss_growth(measured: dict[str, Any]) -> float:
    before, peak = measured.get("rss_before_bytes"), measured.get("rss_peak_bytes")
    if before is None or peak is None:
        return float("nan")
    return float(max(peak - before, 0)) / 2**10
