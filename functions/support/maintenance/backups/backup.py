"""One tenant's backup into the backups bucket, the nightly job, and retention (M-1).

The documents go in parts of PART_DOCUMENTS, then the objects (each copied, with an index
of their checksums), then the accounts; the manifest, written last, makes the backup
complete. Backups older than RETENTION are deleted by the nightly job (locally there is
no lifecycle rule; in production the bucket's rule in infra/deployment.toml does it too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import firestore

from functions.support.maintenance.backups import snapshot
from shared.backups import codec, layout
from shared.backups.layout import Manifest, Part
from shared.backups.reading import backup_stamps, backups_bucket, load_manifest
from shared.gcp import firebase_app
from shared.jobs import Clock, JobResult
from shared.storage import uploads_bucket

__all__ = ["backup_stamps", "backup_tenant", "backups_bucket", "load_manifest"]

RETENTION = timedelta(days=30)
# A tenant backed up this recently is not backed up again by a rerun of the same night.
FRESH = timedelta(hours=20)
JSON = "application/json"
GZIP_LINES = "application/gzip"

Progress = Callable[[str, int], None]  # (what, how many more) for a progress bar


def _quiet(_what: str, _count: int) -> None:
    return None


def backup_tenant(
    db: firestore.Client,
    tenant_id: str,
    *,
    taken_at: datetime | None = None,
    progress: Progress = _quiet,
) -> Manifest:
    """Write a complete backup of the tenant and return its manifest.

    `taken_at` names the backup (default now); the documents are read at one read time,
    now, whatever the name says (tests write backups under old dates)."""
    read_time = datetime.now(UTC)
    taken = taken_at or read_time
    bucket = backups_bucket()
    base = layout.prefix(tenant_id, layout.stamp(taken))
    parts: list[Part] = []
    counts: Counter[str] = Counter()

    def put(name: str, data: bytes, records: int, content_type: str = GZIP_LINES) -> None:
        bucket.blob(base + name).upload_from_string(data, content_type=content_type)
        parts.append(Part(name=name, sha256=layout.sha256(data), records=records))

    lines: list[dict[str, Any]] = []
    for path, fields in snapshot.documents(db, tenant_id, read_time):
        counts[layout.collection_key(path)] += 1
        lines.append({"path": path, "fields": codec.encode_fields(fields)})
        if len(lines) == layout.PART_DOCUMENTS:
            put(layout.document_part(len(parts)), codec.pack(lines), len(lines))
            progress("documents", len(lines))
            lines = []
    if lines or not parts:
        put(layout.document_part(len(parts)), codec.pack(lines), len(lines))
        progress("documents", len(lines))

    index = []
    for blob in snapshot.objects(uploads_bucket(), tenant_id):
        data = blob.download_as_bytes()
        name = blob.name[len(tenant_id) + 1 :]
        bucket.blob(f"{base}objects/{name}").upload_from_string(
            data, content_type=blob.content_type
        )
        index.append(
            {
                "name": name,
                "sha256": layout.sha256(data),
                "size": len(data),
                "content_type": blob.content_type,
                "metadata": blob.metadata or {},
                "md5": blob.md5_hash,
            }
        )
        progress("objects", 1)
    put(layout.OBJECTS_INDEX, codec.pack(index), len(index))

    accounts = list(snapshot.accounts(firebase_app(), tenant_id))
    put(layout.ACCOUNTS, codec.pack(accounts), len(accounts))
    progress("accounts", len(accounts))

    manifest = Manifest(
        format_version=layout.FORMAT_VERSION,
        tenant_id=tenant_id,
        taken_at=taken,
        read_time=read_time,
        parts=parts,
        collections=dict(sorted(counts.items())),
        objects=len(index),
        accounts=len(accounts),
    )
    bucket.blob(base + layout.MANIFEST).upload_from_string(
        manifest.model_dump_json(), content_type=JSON
    )
    return manifest


def _tenant_ids(db: firestore.Client) -> Iterator[str]:
    for ref in db.collection("tenants").list_documents():
        yield ref.id


def backup_tenants(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """The nightly job: back up every tenant not backed up in the last FRESH hours."""
    done = 0
    for tenant_id in _tenant_ids(db):
        if clock() >= deadline:
            return JobResult(name="backup_tenants", processed=done, finished=False)
        stamps = backup_stamps(tenant_id)
        if stamps and clock() - layout.taken_at(stamps[-1]) < FRESH:
            continue
        backup_tenant(db, tenant_id, taken_at=clock())
        done += 1
    return JobResult(name="backup_tenants", processed=done, finished=True)


def purge_old_backups(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """The nightly job: delete every backup (complete or not) taken over RETENTION ago."""
    del db
    deleted = 0
    cutoff = clock() - RETENTION
    for blob in backups_bucket().list_blobs():
        if clock() >= deadline:
            return JobResult(name="purge_old_backups", processed=deleted, finished=False)
        parts = blob.name.split("/")
        old = len(parts) >= 3 and layout.STAMP.match(parts[1])
        if old and layout.taken_at(parts[1]) < cutoff:
            blob.delete()
            deleted += 1
    return JobResult(name="purge_old_backups", processed=deleted, finished=True)
