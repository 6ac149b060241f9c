"""Backup and restore of one tenant of 20,000 documents, against the emulator's own tools.

Seeded with batched raw writes: clients (mixed sizes) with courses below them and items
below those (three levels), and events. Backup (functions/support/maintenance/backups)
in documents/s against the Firestore emulator's own export of the database in the same
run; restore (into a new tenant id) against raw batched writes of the same documents;
and the nightly job's time for 500 such tenants against a third of the 3-hour window:
the job backs up TENANTS_AT_ONCE tenants at a time, so the projection is measured on
`backup_tenants` itself, running over that many tenants of count/TENANTS_AT_ONCE
documents each (the same documents in all), as 500 x count documents at the documents/s
the job reached. Round trips are counted in this process (emulators/roundtrips.py)."""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from bench.common import heading

BATCH = 500
WRITERS = 4
TENANTS = 500
BUDGET_S = 3600.0  # a third of the 00:00-03:00 window
SIZES = (200, 1_000, 5_000)  # bytes of free text per document, mixed


def _doc(rng: random.Random, i: int) -> dict[str, Any]:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i)
    return {
        "n": i,
        "text": "x" * rng.choice(SIZES),
        "at": at,
        "ratio": rng.random(),
        "tags": [f"tag{j}" for j in range(rng.randint(0, 6))],
        "nested": {"level": {"deeper": [i, str(i), None, True]}},
    }


def shape(count: int) -> list[tuple[str, dict[str, Any]]]:
    """(path below the tenant, fields): a quarter clients, each with 2 courses, each
    course with 2 items (clients/courses/items: three levels), and events."""
    rng = random.Random(12)
    docs: list[tuple[str, dict[str, Any]]] = []
    clients = count // 8
    for c in range(clients):
        base = f"clients/c{c:05}"
        docs.append((base, _doc(rng, len(docs))))
        for k in range(2):
            docs.append((f"{base}/courses/k{k}", _doc(rng, len(docs))))
            for i in range(2):
                docs.append((f"{base}/courses/k{k}/items/i{i}", _doc(rng, len(docs))))
    while len(docs) < count:
        docs.append((f"events/e{len(docs):06}", _doc(rng, len(docs))))
    return docs


def write(db: Any, tenant_id: str, docs: list[tuple[str, dict[str, Any]]], writers: int) -> float:
    """Raw batched writes of `docs` below the tenant; seconds taken."""
    started = time.perf_counter()
    chunks = [docs[i : i + BATCH] for i in range(0, len(docs), BATCH)]

    def commit(chunk: list[tuple[str, dict[str, Any]]]) -> None:
        batch = db.batch()
        for path, fields in chunk:
            batch.set(db.document(f"tenants/{tenant_id}/{path}"), fields)
        batch.commit()

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(commit, chunks))
    return time.perf_counter() - started


def _export(directory: str) -> float:
    host = os.environ["FIRESTORE_EMULATOR_HOST"]
    project = os.environ["GOOGLE_CLOUD_PROJECT"]
    started = time.perf_counter()
    reply = requests.post(
        f"http://{host}/emulator/v1/projects/{project}:export",
        json={"database": f"projects/{project}/databases/(default)", "export_directory": directory},
        timeout=600,
    )
    reply.raise_for_status()
    return time.perf_counter() - started


def _trips(before: dict[str, Any], after: dict[str, Any]) -> str:
    methods = after["methods"]
    diff = {k: v - before["methods"].get(k, 0) for k, v in methods.items()}
    shown = {k.split("/", 1)[1]: v for k, v in diff.items() if v and k.startswith("firestore/")}
    return f"Firestore {sum(shown.values())} ({', '.join(f'{k} {v}' for k, v in shown.items())})"


def _names(db: Any, tenant_id: str, read_time: datetime) -> Any:
    """The keys-only pass the backup does not make (README: it costs about what reading the
    tenant does on the emulator): every document's name below the tenant, in order."""
    from functions.support.maintenance.backups.snapshot import _documents, _query

    root = f"{db._database_string}/documents/tenants/{tenant_id}"
    request = _query(root, read_time)
    request.structured_query.select.fields.add().field_path = "__name__"
    for document in _documents(db, request, None):
        yield document.name


def _read_alone(
    db: Any, tenant_id: str, read_time: datetime, spans: list[dict[str, Any]]
) -> list[str]:
    """Where the backup's time goes: the keys-only pass that splits it, and its ranges read
    (and encoded) alone, nothing stored: one stream, then every range at once."""
    from functions.support.maintenance.backups import snapshot

    def read(span: dict[str, Any]) -> int:
        found = snapshot.encoded_range(db, tenant_id, read_time, span["start"], span["end"])
        return sum(1 for _ in found)

    lines: list[str] = []
    started = time.perf_counter()
    keys = sum(1 for _ in _names(db, tenant_id, read_time))
    lines.append(f"keys-only pass ({keys:,} names): {time.perf_counter() - started:6.2f} s")
    started = time.perf_counter()
    read({"start": None, "end": None})
    lines.append(f"read alone, one stream: {time.perf_counter() - started:6.2f} s")
    started = time.perf_counter()
    with ThreadPoolExecutor(len(spans)) as pool:
        list(pool.map(read, spans))
    elapsed = time.perf_counter() - started
    lines.append(f"read alone, {len(spans)} streams at once: {elapsed:6.2f} s")
    return lines


def bench_backup(count: int = 20_000) -> None:
    from emulators import roundtrips

    roundtrips.install()  # before the clients below are made
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore

    from functions.support.maintenance import jobstore
    from functions.support.maintenance.backups.backup import (
        TENANTS_AT_ONCE,
        backup_tenant,
        backup_tenants,
    )
    from functions.support.maintenance.backups.restore import restore_tenant
    from functions.support.maintenance.backups.writer import now
    from shared.backups.layout import stamp

    anonymous = AnonymousCredentials()  # type: ignore[no-untyped-call]
    db = firestore.Client(project=os.environ["GOOGLE_CLOUD_PROJECT"], credentials=anonymous)
    source = f"bench-backup-{uuid.uuid4().hex[:6]}"
    docs = shape(count)
    seeded = write(db, source, docs, WRITERS)
    db.document(f"tenants/{source}").set({"display_name": "Bench", "status": "active"})
    heading(f"Backup and restore of one tenant of {count:,} documents")
    print(f"  (seeded in {seeded:.0f} s, batched raw writes, {WRITERS} writers)")

    directory = tempfile.mkdtemp(prefix="trivsel-export-")
    try:
        export_s = _export(directory)
        print(f"  (export took {export_s:.1f} s)", flush=True)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    # Last night's backup (a first one is read in one stream); tonight's is split by its parts.
    started = time.perf_counter()
    backup_tenant(db, source, taken_at=now() - timedelta(days=1))
    first_s = time.perf_counter() - started
    before = roundtrips.snapshot()
    started = time.perf_counter()
    manifest = backup_tenant(db, source)
    backup_s = time.perf_counter() - started
    backup_trips = _trips(before, roundtrips.snapshot())
    backed = sum(manifest.collections.values())
    job = jobstore.load(db, f"backup-{source}-{stamp(manifest.taken_at)}")
    streams = len(job.progress["ranges"])
    # The export covers the whole database (these documents and the bench's few others).
    export_rate, backup_rate = count / export_s, backed / backup_s
    print(
        f"  emulator export (whole database): {export_s:6.2f} s  {export_rate:8.0f} docs/s\n"
        f"  backup_tenant ({backed:,} docs, {len(manifest.parts)} parts, {streams} streams): "
        f"{backup_s:6.2f} s  {backup_rate:8.0f} docs/s  ratio {backup_rate / export_rate:.2f}x  "
        f"[{backup_trips}]"
    )
    first_rate = backed / first_s
    print(f"  the tenant's first backup (one stream): {first_s:6.2f} s  {first_rate:8.0f} docs/s")
    for line in _read_alone(db, source, manifest.read_time, job.progress["ranges"]):
        print(f"  {line}", flush=True)

    raw_target = f"bench-raw-{uuid.uuid4().hex[:6]}"
    raw_s = write(db, raw_target, docs, 1)  # one writer, as the restore writes
    target = f"bench-restored-{uuid.uuid4().hex[:6]}"
    before = roundtrips.snapshot()
    started = time.perf_counter()
    restore_tenant(db, source, stamp(manifest.taken_at), target=target)
    restore_s = time.perf_counter() - started
    restore_trips = _trips(before, roundtrips.snapshot())
    print(
        f"  raw batched writes ({BATCH} a commit): {raw_s:6.2f} s  {count / raw_s:8.0f} docs/s\n"
        f"  restore_tenant --to: {restore_s:6.2f} s  {backed / restore_s:8.0f} docs/s  "
        f"ratio {(backed / restore_s) / (count / raw_s):.2f}x  [{restore_trips}]"
    )
    sequential = TENANTS * backup_s
    each = count // TENANTS_AT_ONCE
    many = [f"bench-night-{uuid.uuid4().hex[:6]}" for _ in range(TENANTS_AT_ONCE)]
    for tenant_id in many:
        write(db, tenant_id, docs[:each], WRITERS)
        db.document(f"tenants/{tenant_id}").set({"display_name": "Bench", "status": "active"})
    started = time.perf_counter()
    result = backup_tenants(db, datetime.now(UTC) + timedelta(hours=3), now, tenants=many)
    night_s = time.perf_counter() - started
    assert (result.finished, result.processed) == (True, len(many)), result
    night_rate = (each + 1) * len(many) / night_s
    projected = TENANTS * (count + 1) / night_rate
    print(
        f"  backup_tenants, {len(many)} tenants of {each:,} docs at once: {night_s:6.2f} s  "
        f"{night_rate:8.0f} docs/s ({night_rate / backup_rate:.2f}x one backup_tenant)\n"
        f"  projection: {TENANTS} tenants of {count:,} docs, {TENANTS_AT_ONCE} at a time: "
        f"{projected / 60:.0f} min against {BUDGET_S / 60:.0f} min "
        f"({projected / BUDGET_S:.2f}x the budget; one after another: {sequential / 60:.0f} min)"
    )
