"""Offline sync: a batch of 500 records applied by POST /sync against raw batched writes
of the same records (the same log entries, 500 a commit, the admin SDK, no HTTP), in the
same run, alternating, several rounds; the figure is the median time's ratio."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from bench import common
from shared.events import Event
from shared.gcp import firestore_client

RECORDS = 500


def _records(client_id: str) -> list[dict[str, Any]]:
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    return [
        {
            "id": uuid.uuid4().hex,
            "kind": "log_entry",
            "device_time": at,
            "client_id": client_id,
            "text": f"Noteret offline i hjemmet, besøg {n}: talte om skolen og om søvn",
        }
        for n in range(RECORDS)
    ]


def _raw(tenant_id: str, uid: str, records: list[dict[str, Any]]) -> float:
    """The same entries written straight: one batch of 500 creates."""
    db = firestore_client()
    started = time.perf_counter()
    batch = db.batch()
    for record in records:
        event = Event(
            actor=uid,
            action="client.note",
            subject=f"clients/{record['client_id']}",
            at=datetime.now(UTC),
            client_id=record["client_id"],
            details={"text": record["text"], "offline": True, "record_id": record["id"]},
        )
        ref = db.document(f"tenants/{tenant_id}/events/raw-{uid}-{record['id']}")
        batch.create(ref, event.model_dump())
    batch.commit()
    return time.perf_counter() - started


def _sync(host: common.Host, token: str, records: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    reply = requests.post(
        f"{host.url}/clients_api/sync",
        json={"records": records},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    elapsed = time.perf_counter() - started
    reply.raise_for_status()
    assert all(r["status"] == "applied" for r in reply.json()["results"])
    return elapsed


def bench_sync(tenant: common.Tenant, host: common.Host, rounds: int = 7) -> None:
    common.heading(f"offline sync: a batch of {RECORDS} records vs raw batched writes")
    client = common.api(
        "POST",
        "/clients_api/clients",
        tenant.token,
        json={"profile": {"name": "Bench Synk"}, "contacts": []},
    )
    _sync(host, tenant.token, _records(client["id"]))  # warm: models, connections
    _raw(tenant.tenant_id, tenant.uid, _records(client["id"]))
    ours: list[float] = []
    raw: list[float] = []
    host.reset()
    for n in range(rounds):
        first, second = (_sync, _raw) if n % 2 else (_raw, _sync)
        for kind in (first, second):
            records = _records(client["id"])
            if kind is _sync:
                ours.append(_sync(host, tenant.token, records))
            else:
                raw.append(_raw(tenant.tenant_id, tenant.uid, records))
    counted = common.per_request(host.counts(), rounds)
    ratio = common.median(raw) / common.median(ours)
    print(
        f"  raw batched writes p50 {common.ms(common.median(raw))}, POST /sync p50 "
        f"{common.ms(common.median(ours))} ({RECORDS / common.median(ours):,.0f} records/s): "
        f"{ratio:.2f}x the raw throughput (target >= 0.7x); round trips per batch "
        f"{common.trips(counted)}"
    )
