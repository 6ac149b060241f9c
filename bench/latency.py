"""Request figures: client get, create, list (25) and a remote-task page opened, Trivsel
against the baseline functions (bench/baseline_function.py) on the same host, with the
round trips each made, counted inside the host (emulators/roundtrips.py)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from bench.common import (
    Catalogue,
    Host,
    Tenant,
    add_counts,
    api,
    heading,
    methods,
    per_request,
    percentile,
    trips,
)

CHUNK = 10  # baseline and Trivsel alternate in chunks, so drift hits both alike
WARMUP = 3
CLIENT_BODY = {
    "profile": {"name": "Ida Jensen", "birth_date": "2014-03-02", "gender": "female"},
    "contacts": [{"name": "Mette", "relation": "mor", "email": "m@example.dk"}],
}
MAX_CONTACTS = 100  # a client has at most 100 contact persons


@dataclass
class Figures:
    """One operation measured on one host."""

    operation: str
    baseline: list[float] = field(default_factory=list)
    trivsel: list[float] = field(default_factory=list)
    baseline_trips: dict[str, Any] = field(default_factory=dict)
    trivsel_trips: dict[str, Any] = field(default_factory=dict)


# A request: (session, host url, request number) -> response.
Call = Callable[[requests.Session, str, int], requests.Response]


@dataclass(frozen=True)
class Operation:
    name: str
    trivsel: Call
    baseline: Call
    status: int = 200


@dataclass
class World:
    """What the request figures read: one tenant, its clients, links to open."""

    tenant: Tenant
    clients: list[str]  # each with one course assigned
    links: dict[str, list[str]]  # "<host> trivsel|baseline" -> unopened link tokens

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tenant.token}"}


def new_client(tenant: Tenant, contacts: int = 1, name: str = "Ida Jensen") -> str:
    body = {
        "profile": {**CLIENT_BODY["profile"], "name": name},  # type: ignore[dict-item]
        "contacts": [
            {"name": f"Kontakt {n}", "relation": "forælder", "email": f"k{n}@example.dk"}
            for n in range(contacts)
        ],
    }
    return str(api("POST", "/clients_api/clients", tenant.token, json=body)["id"])


def assign(tenant: Tenant, client_id: str, course: str) -> str:
    path = f"/clients_api/clients/{client_id}/courses"
    return str(api("POST", path, tenant.token, json={"course_id": course})["id"])


@dataclass(frozen=True)
class Link:
    task_id: str
    version: int
    token: str  # signed, as the task's e-mail carries it


def scheduled_links(tenant: Tenant, catalogue: Catalogue, count: int) -> list[Link]:
    """`count` remote tasks, scheduled for the day after tomorrow (so no e-mail goes
    now), and the signed link of each."""
    from functions.tasks import links

    tokens: list[Link] = []
    send_at = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    while len(tokens) < count:
        client_id = new_client(tenant, min(MAX_CONTACTS, count - len(tokens)))
        course_ref = assign(tenant, client_id, catalogue.course)
        path = f"/remote_tasks_api/clients/{client_id}/courses/{course_ref}/items/i0/remote-tasks"
        sent = api("POST", path, tenant.token, json={"send_at": send_at})["remote_tasks"]
        for task in sent:
            expires = int(datetime.fromisoformat(task["link_expires_at"]).timestamp())
            version = int(task["link_version"])
            link = links.Link(tenant.tenant_id, task["id"], version, expires)
            tokens.append(Link(task["id"], version, links.sign(link)))
    return tokens


def prepare(
    tenant: Tenant, catalogue: Catalogue, hosts: list[Host], count: int, readable: int = 10
) -> World:
    clients = [new_client(tenant) for _ in range(readable)]
    for client_id in clients:
        assign(tenant, client_id, catalogue.course)
    per_variant = count + WARMUP
    tokens = [
        link.token for link in scheduled_links(tenant, catalogue, per_variant * 2 * len(hosts))
    ]
    links = {}
    for n, (host, variant) in enumerate(itertools.product(hosts, ("trivsel", "baseline"))):
        links[f"{host.name} {variant}"] = tokens[n * per_variant : (n + 1) * per_variant]
    return World(tenant, clients, links)


def operations(world: World, host: Host) -> list[Operation]:
    headers = world.headers()
    clients = world.clients
    trivsel_links = iter(world.links[f"{host.name} trivsel"])
    baseline_links = iter(world.links[f"{host.name} baseline"])
    # Every opening comes from an address of its own, as contact persons' do.
    addresses = (f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" for n in itertools.count(1))

    def page(url: str, links: Any) -> Call:
        def call(s: requests.Session, base: str, n: int) -> requests.Response:
            forwarded = {"X-Forwarded-For": next(addresses)}
            return s.get(f"{base}/{url}/{next(links)}", headers=forwarded, timeout=60)

        return call

    return [
        Operation(
            "client get",
            lambda s, b, n: s.get(
                f"{b}/clients_api/clients/{clients[n % len(clients)]}", headers=headers, timeout=60
            ),
            lambda s, b, n: s.get(
                f"{b}/baseline_client_get/{clients[n % len(clients)]}", headers=headers, timeout=60
            ),
        ),
        Operation(
            "client create",
            lambda s, b, n: s.post(
                f"{b}/clients_api/clients", json=CLIENT_BODY, headers=headers, timeout=60
            ),
            lambda s, b, n: s.post(
                f"{b}/baseline_client_create/", json=CLIENT_BODY, headers=headers, timeout=60
            ),
            status=201,
        ),
        Operation(
            "client list (25)",
            lambda s, b, n: s.get(
                f"{b}/clients_api/clients", params={"limit": 25}, headers=headers, timeout=60
            ),
            lambda s, b, n: s.get(
                f"{b}/baseline_client_list/", params={"limit": 25}, headers=headers, timeout=60
            ),
        ),
        Operation(
            "remote-task page open",
            page("remote_task_page", trivsel_links),
            page("baseline_remote_task_page", baseline_links),
        ),
    ]


def _run(
    session: requests.Session, host: Host, call: Call, status: int, numbers: range
) -> tuple[list[float], dict[str, Any]]:
    import time

    host.reset()
    times = []
    for n in numbers:
        started = time.perf_counter()
        reply = call(session, host.url, n)
        elapsed = time.perf_counter() - started
        if reply.status_code != status:
            raise RuntimeError(f"{reply.request.url}: {reply.status_code} {reply.text[:300]}")
        times.append(elapsed)
    return times, host.counts()


def measure(host: Host, operation: Operation, count: int) -> Figures:
    session = requests.Session()
    figures = Figures(operation.name)
    for call in (operation.baseline, operation.trivsel):
        _run(session, host, call, operation.status, range(WARMUP))
    b_counts: dict[str, Any] = {}
    t_counts: dict[str, Any] = {}
    for start in range(0, count, CHUNK):
        numbers = range(WARMUP + start, WARMUP + min(start + CHUNK, count))
        times, counted = _run(session, host, operation.baseline, operation.status, numbers)
        figures.baseline += times
        b_counts = add_counts(b_counts, counted)
        times, counted = _run(session, host, operation.trivsel, operation.status, numbers)
        figures.trivsel += times
        t_counts = add_counts(t_counts, counted)
    figures.baseline_trips = per_request(b_counts, len(figures.baseline))
    figures.trivsel_trips = per_request(t_counts, len(figures.trivsel))
    return figures


def report(title: str, rows: list[Figures]) -> None:
    heading(title)
    print(
        f"  {'operation':<22} {'baseline p50 / p99':>20} {'Trivsel p50 / p99':>20} "
        f"{'ratio p50 / p99':>16}   round trips per request: Trivsel | baseline"
    )
    for row in rows:
        b50, b99 = percentile(row.baseline, 0.5), percentile(row.baseline, 0.99)
        t50, t99 = percentile(row.trivsel, 0.5), percentile(row.trivsel, 0.99)
        print(
            f"  {row.operation:<22} {b50 * 1000:8.1f} / {b99 * 1000:6.1f} ms "
            f"{t50 * 1000:8.1f} / {t99 * 1000:6.1f} ms {t50 / b50:8.2f}x / {t99 / b99:4.2f}x"
            f"   {trips(row.trivsel_trips)} | {trips(row.baseline_trips)}"
        )
        print(f"  {'':<22}   Trivsel:  {methods(row.trivsel_trips)}")
        print(f"  {'':<22}   baseline: {methods(row.baseline_trips)}")


def bench_requests(world: World, host: Host, count: int) -> list[Figures]:
    delays = ", ".join(f"{ms} ms per {service} round trip" for service, ms in host.delays.items())
    where = f"with {delays}" if delays else "on plain loopback"
    rows = [measure(host, op, count) for op in operations(world, host)]
    report(
        f"Requests {where}, {count} of each, Trivsel vs the bare function "
        "(target p50 <= 1.3x, p99 <= 2x)",
        rows,
    )
    return rows
