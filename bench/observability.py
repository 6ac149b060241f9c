"""What structured logging and metrics cost a request: the same client get, p50 and p99,
on a host with them on (the bench's plain host) and on one with TRIVSEL_OBSERVABILITY=off,
alternating in chunks in the same run (shared/observability)."""

from __future__ import annotations

import time

import requests

from bench.common import Catalogue, Host, Tenant, heading, percentile, start_host, wait_ready
from bench.latency import CHUNK, WARMUP, assign, new_client

TARGET = 1.05  # p50 with them on, over off


def _get(session: requests.Session, host: Host, client_id: str, token: str) -> float:
    started = time.perf_counter()
    reply = session.get(
        f"{host.url}/clients_api/clients/{client_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    elapsed = time.perf_counter() - started
    if reply.status_code != 200:
        raise RuntimeError(f"{reply.request.url}: {reply.status_code} {reply.text[:300]}")
    return elapsed


def bench_observability(tenant: Tenant, catalogue: Catalogue, on: Host, count: int) -> None:
    heading("Structured logging and metrics: on vs off (client get)")
    off = start_host("observability-off", extra_env={"TRIVSEL_OBSERVABILITY": "off"})
    try:
        wait_ready(off)
        client_id = new_client(tenant)
        assign(tenant, client_id, catalogue.course)
        times: dict[str, list[float]] = {"on": [], "off": []}
        with requests.Session() as session:
            for host in (on, off):
                for _ in range(WARMUP):
                    _get(session, host, client_id, tenant.token)
            while len(times["on"]) < count:
                for name, host in (("off", off), ("on", on)):
                    times[name] += [
                        _get(session, host, client_id, tenant.token) for _ in range(CHUNK)
                    ]
    finally:
        off.stop()
    p50 = {name: percentile(values, 0.5) * 1000 for name, values in times.items()}
    p99 = {name: percentile(values, 0.99) * 1000 for name, values in times.items()}
    ratio = p50["on"] / p50["off"]
    print(
        f"  off p50 {p50['off']:.1f} ms, p99 {p99['off']:.1f} ms; "
        f"on p50 {p50['on']:.1f} ms, p99 {p99['on']:.1f} ms; "
        f"ratio p50 {ratio:.2f}x, p99 {p99['on'] / p99['off']:.2f}x "
        f"(target <= {TARGET}x: {'met' if ratio <= TARGET else 'NOT met'}; {count} requests each)",
        flush=True,
    )
