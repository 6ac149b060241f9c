"""The whole-tenant export (functions/support/exports/archive.py) of 20,000 documents and
200 MB of files, against a raw read of the same documents and files in the same run.

Seeded with the backup bench's builder (bench/backup.py `shape`: clients, courses,
items, events). Three figures:

- documents/s: `write_archive` of the tenant's documents (before its files exist) into
  the exports bucket, against a raw read of the same documents (the backups' stream,
  `snapshot.documents`, nothing encoded or written); target >= 0.7x;
- the full export of documents and 200 MB of files, against the raw read plus a raw
  download of the same files;
- peak memory: the exporting process's resident set (sampled every 10 ms, less what it
  held before) for a tenant of 20,000 documents and 200 MB, and for one of 5,000 and
  50 MB: bounded by the upload's part (8 MB) and a file copy's buffer, not the tenant.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.backup import WRITERS, shape, write
from bench.common import heading

FILE_MB = 2  # each file; 100 of them make 200 MB
PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


@contextmanager
def peak_rss() -> Iterator[Callable[[], int]]:
    """The process's peak resident set above its level at the start, sampled."""
    start, peak, stop = _rss(), [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss() - start)
            stop.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield lambda: peak[0]
    finally:
        stop.set()
        sampler.join()


def _files(tenant_id: str, megabytes: int) -> None:
    from shared.storage import uploads_bucket

    bucket = uploads_bucket()
    chunk = os.urandom(FILE_MB * 1024 * 1024)  # incompressible, as scans and photos are
    for n in range(megabytes // FILE_MB):
        blob = bucket.blob(f"{tenant_id}/clients/c{n:05}/files/f{n}")
        blob.upload_from_string(chunk, content_type="application/octet-stream")


def _export(db: Any, tenant_id: str) -> tuple[float, int, dict[str, Any]]:
    """Seconds, peak memory above the start and the manifest of one export."""
    from functions.support.exports.archive import CHUNK, write_archive
    from shared.exports import archive_name, exports_bucket

    blob = exports_bucket().blob(archive_name(tenant_id, f"bench-{uuid.uuid4().hex[:6]}"))
    blob.chunk_size = CHUNK
    with peak_rss() as peak:
        started = time.perf_counter()
        with blob.open("wb", content_type="application/zip", ignore_flush=True) as out:
            manifest = write_archive(db, tenant_id, out)
        seconds = time.perf_counter() - started
        used = peak()
    blob.delete()
    return seconds, used, manifest


def _raw_documents(db: Any, tenant_id: str) -> tuple[float, int]:
    from functions.support.maintenance.backups import snapshot

    started = time.perf_counter()
    count = sum(1 for _ in snapshot.documents(db, tenant_id))
    return time.perf_counter() - started, count


def _raw_files(tenant_id: str) -> float:
    from functions.support.maintenance.backups import snapshot
    from shared.storage import uploads_bucket

    started = time.perf_counter()
    for blob in snapshot.objects(uploads_bucket(), tenant_id):
        with blob.open("rb") as source:
            while source.read(1024 * 1024):
                pass
    return time.perf_counter() - started


def _tenant(db: Any, count: int) -> str:
    tenant_id = f"bench-export-{uuid.uuid4().hex[:6]}"
    write(db, tenant_id, shape(count), WRITERS)
    db.document(f"tenants/{tenant_id}").set({"display_name": "Bench", "status": "active"})
    return tenant_id


def bench_export(count: int = 20_000, megabytes: int = 200) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore

    anonymous = AnonymousCredentials()  # type: ignore[no-untyped-call]
    db = firestore.Client(project=os.environ["GOOGLE_CLOUD_PROJECT"], credentials=anonymous)
    heading(f"Whole-tenant export of {count:,} documents and {megabytes} MB of files")
    large = _tenant(db, count)

    first_s, raw_count = _raw_documents(db, large)
    docs_s, docs_peak, manifest = _export(db, large)
    raw_s = min(first_s, _raw_documents(db, large)[0])  # the faster of two: no cold start
    exported = int(manifest["documents"])
    raw_rate, export_rate = raw_count / raw_s, exported / docs_s
    print(
        f"  raw read (snapshot.documents, {raw_count:,} docs): {raw_s:6.2f} s  "
        f"{raw_rate:8.0f} docs/s\n"
        f"  export, documents only ({exported:,} docs): {docs_s:6.2f} s  "
        f"{export_rate:8.0f} docs/s  ratio {export_rate / raw_rate:.2f}x (target >= 0.7x)  "
        f"peak +{docs_peak / 2**20:.0f} MB",
        flush=True,
    )

    _files(large, megabytes)
    files_s = _raw_files(large)
    full_s, full_peak, manifest = _export(db, large)
    raw_total = raw_s + files_s
    print(
        f"  raw read + raw download of {manifest['files']} files ({megabytes} MB): "
        f"{raw_total:6.2f} s\n"
        f"  export, documents and files: {full_s:6.2f} s  {megabytes / full_s:6.1f} MB/s  "
        f"ratio {raw_total / full_s:.2f}x  peak +{full_peak / 2**20:.0f} MB",
        flush=True,
    )

    small_count, small_mb = count // 4, megabytes // 4
    small = _tenant(db, small_count)
    _files(small, small_mb)
    small_s, small_peak, _ = _export(db, small)
    print(
        f"  memory: {small_count:,} docs + {small_mb} MB: peak +{small_peak / 2**20:.0f} MB "
        f"({small_s:.1f} s); {count:,} docs + {megabytes} MB: peak +{full_peak / 2**20:.0f} MB "
        f"(bounded by the 8 MB upload part, not the tenant)",
        flush=True,
    )
