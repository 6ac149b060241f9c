"""Run every benchmark and print figures with their same-run baselines.

    make bench                      # a fresh test-profile stack, this, then stop
    python -m emulators --profile test run -- python -m bench --quick

The bench starts functions hosts of its own (TRIVSEL_ROUNDTRIPS=1, free ports, the
stack's emulators): one on plain loopback and one that waits 5 ms before each
Firestore call and 30 ms before each Auth call, so what production pays per round trip
shows. They count every round trip (emulators/roundtrips.py) and serve the baseline
functions (bench/baseline_function.py); the stack's own host stays uninstrumented and
still delivers the e-mails (Pub/Sub push). The machines are noisy: read the ratios.

    latency.py      client get / create / list (25), remote-task page: p50, p99, round trips
    observability.py  client get with structured logs and metrics on vs off
    sync.py         offline sync: 500 records by POST /sync vs raw batched writes of them
    coldstart.py    every HTTP function: fresh process, import + first request
    delivery.py     fan-out to 100 contact persons, 1,000 e-mails end to end
    growth.py       100 vs 10,000 clients (100,000 events), export memory (5,000 events)
    backup.py       one tenant of 20,000 documents: backup vs the emulator's export, restore
                    vs raw batched writes, 500 tenants projected against the window
    export.py       the whole-tenant export of 20,000 documents and 200 MB of files vs a raw
                    read of the same, peak memory for two tenant sizes
    load.py         200 users over 5 tenants, a realistic mix for 60 s: p50/p99 per operation,
                    server errors, cross-tenant reads (also alone: python -m bench.load)
    wellbeing.py    a group trend over 30 checks of 30 clients vs reading each check; the
                    nightly usage count of 10,000 events vs raw count() aggregations
    vr.py           a VR command until each of 50 headsets' listeners (Firebase JS SDK)
                    saw it, vs one raw write seen by one listener
    certification.py  client list by a certified professional (licence requires it) and by
                    a user no requirement names, each vs the bare function: round trips
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from bench import (
    backup,
    certification,
    coldstart,
    common,
    delivery,
    export,
    growth,
    latency,
    load,
    observability,
    sync,
    vr,
    wellbeing,
)

SECTIONS = (
    "backup",
    "export",
    "requests",
    "observability",
    "sync",
    "cold",
    "fanout",
    "mail",
    "growth",
    "load",
    "vr",
    "certification",
    "wellbeing",
)
DELAYED = {"firestore": 5, "auth": 30}


@dataclass(frozen=True)
class Sizes:
    requests: int
    cold_runs: int
    contacts: int
    messages: int
    small: tuple[int, int]  # clients, events
    large: tuple[int, int]
    export_events: int
    growth_requests: int
    seed_seconds: float
    load_users: int
    load_seconds: float
    backup_documents: int
    export_megabytes: int  # of files, with backup_documents documents
    vr_commands: int


FULL = Sizes(
    200, 5, 100, 1000, (100, 1_000), (10_000, 100_000), 5_000, 20, 240, 200, 60, 20_000, 200, 40
)
QUICK = Sizes(20, 1, 100, 100, (100, 1_000), (1_000, 10_000), 5_000, 5, 60, 20, 10, 2_000, 20, 5)


def _section(name: str, failures: list[str], run: Callable[[], None]) -> None:
    started = time.perf_counter()
    try:
        run()
    except Exception:
        failures.append(name)
        print(f"\n[{name}] FAILED:\n{traceback.format_exc(limit=6)}", flush=True)
    else:
        print(f"  [{name}: {time.perf_counter() - started:.0f} s]", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Trivsel benchmarks")
    parser.add_argument("--quick", action="store_true", help="small counts, for development")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--requests", type=int, help="requests per operation and host")
    parser.add_argument("--messages", type=int, help="e-mails for the throughput figure")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    n_requests = args.requests or sizes.requests
    n_messages = args.messages or sizes.messages
    started = time.perf_counter()
    failures: list[str] = []
    print(f"Trivsel benchmarks ({'quick' if args.quick else 'full'} run)", flush=True)
    specs = {"plain": {}, "delayed": DELAYED} if "requests" in args.only else {"plain": {}}
    with common.hosts(specs) as hosts:
        plain = hosts["plain"]
        catalogue = common.catalogue()
        tenant = common.tenant([catalogue.area])
        print(f"  bench hosts: {', '.join(f'{h.name} {h.url}' for h in hosts.values())}")

        if "backup" in args.only:  # first: the export covers the whole database
            _section("backup", failures, lambda: backup.bench_backup(sizes.backup_documents))

        if "export" in args.only:
            _section(
                "export",
                failures,
                lambda: export.bench_export(sizes.backup_documents, sizes.export_megabytes),
            )

        if "requests" in args.only:

            def requests_section() -> None:
                world = latency.prepare(tenant, catalogue, list(hosts.values()), n_requests)
                for host in hosts.values():
                    latency.bench_requests(world, host, n_requests)

            _section("requests", failures, requests_section)

        if "observability" in args.only:
            _section(
                "observability",
                failures,
                lambda: observability.bench_observability(tenant, catalogue, plain, n_requests),
            )

        if "sync" in args.only:
            _section("sync", failures, lambda: sync.bench_sync(tenant, plain))

        if "cold" in args.only:

            def cold_section() -> None:
                [link] = latency.scheduled_links(tenant, catalogue, 1)
                client_id = latency.new_client(tenant)
                latency.assign(tenant, client_id, catalogue.course)
                first = coldstart.first_requests(
                    coldstart.World(
                        tenant.tenant_id,
                        tenant.token,
                        common.owner(),
                        client_id,
                        link.task_id,
                        link.version,
                        link.token,
                    )
                )
                coldstart.bench_cold_starts(first, tenant.tenant_id, sizes.cold_runs)

            _section("cold", failures, cold_section)

        if "fanout" in args.only:
            _section(
                "fanout",
                failures,
                lambda: delivery.bench_fan_out(tenant, catalogue, plain, sizes.contacts),
            )

        if "mail" in args.only:
            _section("mail", failures, lambda: delivery.bench_mail(n_messages))
            _section("mail", failures, lambda: delivery.bench_mail_pushed(n_messages))

        if "growth" in args.only:

            def growth_section() -> None:
                seeding = time.perf_counter()
                deadline = time.monotonic() + sizes.seed_seconds
                small = growth.seed(common.tenant([]), *sizes.small, deadline)
                large = growth.seed(common.tenant([]), *sizes.large, deadline)
                written = small.clients + small.events + large.clients + large.events
                print(
                    f"\n  (seeded {written:,} documents in {time.perf_counter() - seeding:.0f} s, "
                    "batched raw writes)"
                )
                growth.bench_growth(plain, small, large, sizes.growth_requests)
                growth.bench_export_memory(
                    plain, small, sizes.export_events, time.monotonic() + sizes.seed_seconds
                )

            _section("growth", failures, growth_section)

        if "load" in args.only:

            def load_section() -> None:
                # Against the stack's own host, which also delivers the e-mails it sends.
                tally = load.run(users=sizes.load_users, seconds=sizes.load_seconds)
                if tally.server_errors or tally.cross_tenant or tally.failed_connections:
                    raise RuntimeError("the load run had server errors or cross-tenant reads")

            _section("load", failures, load_section)

        if "vr" in args.only:

            def vr_section() -> None:
                vr.bench_vr(catalogue.area, sizes.vr_commands)

            _section("vr", failures, vr_section)

        if "certification" in args.only:
            _section(
                "certification",
                failures,
                lambda: certification.bench_certification(tenant, catalogue, plain, n_requests),
            )
        if "wellbeing" in args.only:
            _section("wellbeing", failures, wellbeing.bench_wellbeing)

    print(f"\nDone in {time.perf_counter() - started:.0f} s", flush=True)
    if failures:
        print(f"failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
