"""Load: simulated users over several tenants doing a realistic mix, for a bounded time.

    python -m emulators --profile test run -- python -m bench.load            # 200 users, 60 s
    python -m emulators --profile test run -- python -m bench.load --seconds 5 --users 4

Each tenant is created through the HTTP API as the demo seed does (the owner provisions
it, its administrator and professionals follow their welcome links and sign in), with
clients whose names carry the tenant's marker. Every simulated user is a thread acting
as one of its tenant's accounts (several users share an account, as colleagues at one
desk would not, but the server cannot tell): it lists, reads, creates clients, reads a
client's log, sends a remote task, opens and answers links (from an address of its own,
as contact persons have), with a pause between actions. Every response is counted by
operation and status; a response that names another tenant's marker is a cross-tenant
read. Printed: p50/p99 per operation, server errors (5xx), failed connections and
cross-tenant reads.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from bench.common import Catalogue, Tenant, catalogue, env_url, owner, percentile
from bench.latency import CLIENT_BODY, assign, new_client, scheduled_links

# Weights of the mix: mostly reading, some writing, the links contact persons use.
MIX = {
    "list": 30,
    "get": 22,
    "log": 12,
    "create": 8,
    "send": 6,
    "open": 16,
    "answer": 6,
}
PROFESSIONALS = 2  # per tenant, besides its administrator
CLIENTS = 6  # marked clients per tenant before the run
LINKS = 20  # links per tenant to open and answer


@dataclass
class Site:
    """One tenant as the load sees it: its accounts, clients and links."""

    marker: str
    tenant: Tenant
    tokens: list[str]
    clients: list[tuple[str, str]]  # (client id, course ref)
    links: list[str]
    answered: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Tally:
    """What happened, by operation; thread-safe."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    failed_connections: Counter[str] = field(default_factory=Counter)
    cross_tenant: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, op: str, status: int, seconds: float, leaked: str | None) -> None:
        with self.lock:
            self.times[op].append(seconds)
            self.statuses[op][status] += 1
            if leaked is not None:
                self.cross_tenant.append(f"{op} saw {leaked}")

    @property
    def server_errors(self) -> int:
        return sum(n for c in self.statuses.values() for s, n in c.items() if s >= 500)

    @property
    def requests(self) -> int:
        return sum(sum(c.values()) for c in self.statuses.values())


def leaked_marker(body: str, own: str, markers: list[str]) -> str | None:
    """Another tenant's marker in a response, if any: a cross-tenant read."""
    return next((m for m in markers if m != own and m in body), None)


def prepare_site(index: int, cat: Catalogue) -> Site:
    """A tenant with its administrator and professionals signed in, marked clients on a
    course, and links (scheduled, so no e-mail yet) to open and answer."""
    from tests.accounts import activate, active_tenant, add_professional

    marker = f"Mrk{index}{uuid.uuid4().hex[:6]}"
    created = active_tenant(owner(), seats=PROFESSIONALS, focus_areas=[cat.area])
    tenant = Tenant(str(created["slug"]), str(created["admin_token"]), str(created["admin_uid"]))
    tokens = [tenant.token]
    for _ in range(PROFESSIONALS):
        tokens.append(activate(add_professional(tenant.token)["email"]))
    clients = []
    for n in range(CLIENTS):
        client_id = new_client(tenant, name=f"Klient {marker} {n}")
        clients.append((client_id, assign(tenant, client_id, cat.course)))
    links = [link.token for link in scheduled_links(tenant, cat, LINKS)]
    return Site(marker, tenant, tokens, clients, links)


class User:
    """One simulated user: its tenant, account, address and HTTP session."""

    def __init__(self, number: int, site: Site, base: str, markers: list[str]) -> None:
        self.site, self.base, self.markers = site, base, markers
        self.token = site.tokens[number % len(site.tokens)]
        self.address = f"10.{number // 250}.{number % 250}.{random.randint(1, 250)}"
        self.session = requests.Session()
        self.rng = random.Random(number)

    def call(self, op: str, method: str, path: str, tally: Tally, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", "X-Forwarded-For": self.address}
        started = time.perf_counter()
        try:
            reply = self.session.request(
                method, self.base + path, headers=headers, timeout=30, **kwargs
            )
        except requests.RequestException as exc:
            with tally.lock:
                tally.failed_connections[f"{op}: {type(exc).__name__}"] += 1
            return None
        took = time.perf_counter() - started
        tally.add(
            op, reply.status_code, took, leaked_marker(reply.text, self.site.marker, self.markers)
        )
        return reply

    def act(self, op: str, tally: Tally) -> None:
        site, rng = self.site, self.rng
        client_id, course = rng.choice(site.clients)
        if op == "list":
            self.call(op, "GET", "/clients_api/clients?limit=25", tally)
        elif op == "get":
            self.call(op, "GET", f"/clients_api/clients/{client_id}", tally)
        elif op == "log":
            self.call(op, "GET", f"/clients_api/clients/{client_id}/log", tally)
        elif op == "create":
            name = f"Klient {site.marker} {uuid.uuid4().hex[:6]}"
            body = {"profile": {**CLIENT_BODY["profile"], "name": name}}  # type: ignore[dict-item]
            self.call(op, "POST", "/clients_api/clients", tally, json=body)
        elif op == "send":
            path = f"/remote_tasks_api/clients/{client_id}/courses/{course}/items/i0/remote-tasks"
            self.call(op, "POST", path, tally, json={})
        elif op == "open":
            self.call(op, "GET", f"/remote_task_page/{rng.choice(site.links)}", tally)
        elif op == "answer":
            link = rng.choice(site.links)
            self.call(op, "POST", f"/remote_task_page/{link}", tally, data={"a_a": "Et svar"})

    def run(self, until: float, think_s: float, tally: Tally) -> None:
        ops, weights = list(MIX), list(MIX.values())
        time.sleep(self.rng.uniform(0, think_s))  # users do not all start at once
        while time.monotonic() < until:
            self.act(self.rng.choices(ops, weights)[0], tally)
            time.sleep(self.rng.uniform(0, 2 * think_s))


def run(
    users: int = 200,
    tenants: int = 5,
    seconds: float = 60.0,
    think_s: float = 1.0,
    base: str | None = None,
    out: Callable[[str], None] = print,
) -> Tally:
    base = base or env_url("TRIVSEL_FUNCTIONS_URL")
    started = time.perf_counter()
    cat = catalogue()
    sites = [prepare_site(n, cat) for n in range(tenants)]
    markers = [s.marker for s in sites]
    out(f"  (prepared {tenants} tenants in {time.perf_counter() - started:.0f} s)")
    tally = Tally()
    until = time.monotonic() + seconds
    crowd = [User(n, sites[n % tenants], base, markers) for n in range(users)]
    threads = [
        threading.Thread(target=u.run, args=(until, think_s, tally), daemon=True) for u in crowd
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    report(tally, users, tenants, seconds, out)
    return tally


def report(
    tally: Tally, users: int, tenants: int, seconds: float, out: Callable[[str], None]
) -> None:
    out(f"\nLoad: {users} users over {tenants} tenants for {seconds:.0f} s")
    out(f"  {'operation':<10}{'count':>7}{'p50':>11}{'p99':>11}  statuses")
    for op in MIX:
        times = tally.times.get(op, [])
        if not times:
            out(f"  {op:<10}{0:>7}")
            continue
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses[op].items()))
        p50, p99 = percentile(times, 0.5) * 1000, percentile(times, 0.99) * 1000
        out(f"  {op:<10}{len(times):>7}{p50:>8.1f} ms{p99:>8.1f} ms  {statuses}")
    failed = sum(tally.failed_connections.values())
    out(
        f"  {tally.requests} responses ({tally.requests / seconds:.1f}/s); server errors "
        f"{tally.server_errors}; failed connections {failed}; cross-tenant reads "
        f"{len(tally.cross_tenant)}"
    )
    for what, n in tally.failed_connections.items():
        out(f"    {what}: {n}")
    for leak in tally.cross_tenant[:10]:
        out(f"    CROSS-TENANT {leak}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Trivsel load run")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--tenants", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between actions")
    args = parser.parse_args(argv)
    tally = run(args.users, args.tenants, args.seconds, args.think)
    clean = tally.server_errors == 0 and not tally.cross_tenant and not tally.failed_connections
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
