"""The whole-tenant export (SPEC T-4, GDPR Art. 20): one zip archive, built by a job.

An administrator asks for it (routes.py); the job (`maintenance_jobs/{id}`, kind `export`,
leased like a backup) is run by the nightly and hourly maintenance runs
(`build_tenant_exports`). The archive `<tenant>/<job>.zip` in the exports bucket holds:

- `documents.jsonl`: one line per document below `tenants/{t}` at any depth and the tenant
  document itself: `{"path": <below the tenant>, "fields": <tagged JSON>}`, the backups'
  exact-type encoding (shared/backups/codec.py: integers, doubles, timestamps, bytes,
  references, geo points keep their type);
- `files/<name>`: every Storage object of the tenant, as it is;
- `accounts.jsonl`: the tenant's Auth accounts (uid, e-mail, name, phone, role);
- `manifest.json`, last: the format, counts per collection, files, accounts.

It is streamed: zipfile writes into Storage's resumable upload, so memory is bounded by the
upload's chunk, not the tenant. A run killed half-way leaves an unfinished upload that
Storage discards; the job's lease runs out and the next run builds the archive again from
the start (an export is minutes of work, so no part-level resume).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections import Counter
from datetime import datetime
from typing import Any

from google.cloud import firestore

from functions.support.maintenance import jobstore
from functions.support.maintenance.backups import snapshot
from functions.support.maintenance.jobstore import JobKind, JobState, Lease, MaintenanceJob
from shared.backups import codec, layout
from shared.exports import archive_name, exports_bucket
from shared.gcp import firebase_app
from shared.jobs import Clock, JobResult
from shared.storage import uploads_bucket

FORMAT = "trivsel-tenant-export/1"
CHUNK = 8 * 1024 * 1024  # Storage's upload chunk: what the archive holds in memory
CHECKPOINT_EVERY = 2000  # documents between checkpoints (progress and the lease)


def write_archive(
    db: firestore.Client, tenant_id: str, out: Any, lease: Lease | None = None
) -> dict[str, Any]:
    """Write the tenant's archive into the binary stream `out`; its counts."""
    collections: Counter[str] = Counter()
    files = accounts = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("documents.jsonl", "w", force_zip64=True) as lines:
            for path, fields in snapshot.documents(db, tenant_id):
                line = {"path": path, "fields": codec.encode_fields(fields)}
                lines.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")
                collections[layout.collection_key(path) if path else "(tenant)"] += 1
                total = sum(collections.values())
                if lease is not None and total % CHECKPOINT_EVERY == 0:
                    lease.checkpoint(**{"progress.phase": "documents", "progress.documents": total})
        for blob in snapshot.objects(uploads_bucket(), tenant_id):
            name = "files/" + blob.name[len(tenant_id) + 1 :]
            with zf.open(name, "w", force_zip64=True) as target, blob.open("rb") as source:
                shutil.copyfileobj(source, target, 1024 * 1024)
            files += 1
        with zf.open("accounts.jsonl", "w") as lines:
            for account in snapshot.accounts(firebase_app(), tenant_id):
                kept = {k: account[k] for k in ("uid", "email", "display_name", "phone_number")}
                kept["role"] = account["custom_claims"].get("role")
                lines.write(json.dumps(kept).encode() + b"\n")
                accounts += 1
        manifest = {
            "format": FORMAT,
            "tenant_id": tenant_id,
            "documents": sum(collections.values()),
            "collections": dict(sorted(collections.items())),
            "files": files,
            "accounts": accounts,
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
    return manifest


def build(db: firestore.Client, job: MaintenanceJob, lease: Lease, clock: Clock) -> bool:
    """The job's work: the archive, then the job `done` with its counts."""
    blob = exports_bucket().blob(archive_name(job.tenant_id, job.id))
    blob.chunk_size = CHUNK
    with blob.open("wb", content_type="application/zip", ignore_flush=True) as out:
        manifest = write_archive(db, job.tenant_id, out, lease)
    lease.release(
        state=JobState.DONE.value,
        finished_at=clock(),
        counts={k: manifest[k] for k in ("documents", "files", "accounts")},
        progress={"phase": "done", "documents": manifest["documents"]},
    )
    return True


def queue_export(
    db: firestore.Client, tenant_id: str, requested_by: str, now: datetime, job_id: str
) -> MaintenanceJob:
    job = MaintenanceJob(
        id=job_id,
        kind=JobKind.EXPORT,
        tenant_id=tenant_id,
        requested_by=requested_by,
        created_at=now,
        updated_at=now,
    )
    return jobstore.create(db, job)


def build_tenant_exports(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """The nightly (and hourly) job: build every queued export, oldest first."""
    name, done = "build_tenant_exports", 0
    for job in jobstore.unfinished(db, JobKind.EXPORT):
        if clock() >= deadline:
            return JobResult(name=name, processed=done, finished=False)
        if jobstore.run_claimed(db, job.id, clock, lambda j, lease: build(db, j, lease, clock)):
            done += 1
    return JobResult(name=name, processed=done, finished=True)
