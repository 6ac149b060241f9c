"""Writing one backup job's parts from its checkpoint on (see backup.py for the job)."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from google.api_core.exceptions import NotFound
from google.cloud import firestore

from functions.support.maintenance import jobstore
from functions.support.maintenance.backups import document_parts, snapshot
from shared.backups import codec, layout
from shared.backups.layout import Manifest, Part
from shared.backups.reading import backups_bucket
from shared.faults import crash_point
from shared.gcp import firebase_app
from shared.jobs import Clock
from shared.storage import uploads_bucket

OBJECT_BATCH = 50  # objects copied between checkpoints
JSON = "application/json"
GZIP_LINES = "application/gzip"

Progress = Callable[[str, int], None]  # (what, how many more) for a progress bar


def quiet(_what: str, _count: int) -> None:
    return None


def now() -> datetime:
    return datetime.now(UTC)


def write_backup(
    db: firestore.Client,
    job: jobstore.MaintenanceJob,
    lease: jobstore.Lease,
    deadline: datetime | None,
    clock: Clock,
    progress: Progress = quiet,
) -> bool:
    """Write the job's backup from its checkpoint on: the document parts, the objects
    (an index chunk per OBJECT_BATCH), the objects' index, the accounts, the manifest. The
    lease is renewed at every checkpoint (a batch of parts); False when the deadline
    stopped it between parts (released: the next run continues), True when the manifest
    is written."""
    state = dict(job.progress)
    read_time: datetime = state["read_time"]
    bucket = backups_bucket()
    base = layout.prefix(job.tenant_id, job.backup)
    parts = [Part.model_validate(p) for p in state["parts"]]
    counts: Counter[str] = Counter(state["collections"])

    def late() -> bool:
        return deadline is not None and clock() >= deadline

    def put(
        name: str,
        data: bytes,
        records: int,
        first: str | None = None,
        point: str = "backup.part.written",
    ) -> None:
        bucket.blob(base + name).upload_from_string(data, content_type=GZIP_LINES)
        parts.append(Part(name=name, sha256=layout.sha256(data), records=records, first=first))
        crash_point(point)

    def save(**changes: Any) -> None:
        state.update(changes)
        lease.checkpoint(
            progress=state | {"parts": [p.model_dump() for p in parts]},
            counts={"documents": state["documents_done"], "objects": state["objects"]},
        )

    if state["documents_done"]:
        progress("documents", state["documents_done"])
    if state["phase"] == "documents":
        if late():
            return _cut_off(lease)
        size = int(state["part_documents"])
        if "ranges" not in state:  # split at the read time once, kept in the job
            save(ranges=document_parts.split_ranges(job.tenant_id, read_time))
        spans: list[dict[str, Any]] = state["ranges"]

        def save_parts() -> None:
            parts.sort(key=lambda p: p.name)  # in number order, however they were stored
            save(documents_done=sum(r["documents"] for r in spans))

        store = document_parts.store_parts(put, spans, save_parts, late, progress)
        if not document_parts.read_ranges(db, job.tenant_id, read_time, spans, size, store):
            return _cut_off(lease)
        counts = Counter[str]()
        for span in spans:
            counts.update(span["collections"])
        save(phase="objects", collections=dict(counts))
    if state["phase"] == "objects":
        if not _copy_objects(job, bucket, base, state, save, late, progress):
            return _cut_off(lease)
        chunks = [layout.object_chunk(i) for i in range(state["object_chunks"])]
        index = [
            line for c in chunks for line in codec.unpack(bucket.blob(base + c).download_as_bytes())
        ]
        put(layout.OBJECTS_INDEX, codec.pack(index), len(index), point="backup.objects.indexed")
        save(phase="accounts")
        for chunk in chunks:  # the index part holds them now
            with contextlib.suppress(NotFound):
                bucket.blob(base + chunk).delete()
    if state["phase"] == "accounts":
        accounts = list(snapshot.accounts(firebase_app(), job.tenant_id))
        put(layout.ACCOUNTS, codec.pack(accounts), len(accounts), point="backup.accounts.written")
        progress("accounts", len(accounts))
        save(phase="manifest", accounts=len(accounts))
    manifest = Manifest(
        format_version=layout.FORMAT_VERSION,
        tenant_id=job.tenant_id,
        taken_at=layout.taken_at(job.backup),
        read_time=read_time,
        parts=parts,
        collections=dict(sorted(counts.items())),
        objects=state["objects"],
        accounts=state["accounts"],
    )
    bucket.blob(base + layout.MANIFEST).upload_from_string(
        manifest.model_dump_json(), content_type=JSON
    )
    crash_point("backup.manifest.written")
    lease.release(state=jobstore.JobState.DONE.value, finished_at=clock())
    return True


def _cut_off(lease: jobstore.Lease) -> bool:
    lease.release()
    return False


def _copy_objects(
    job: jobstore.MaintenanceJob,
    bucket: Any,
    base: str,
    state: dict[str, Any],
    save: Callable[..., None],
    late: Callable[[], bool],
    progress: Progress,
) -> bool:
    """Copy the tenant's objects after the cursor (by name, as Storage lists them), an
    index chunk and a checkpoint every OBJECT_BATCH; False when the deadline came."""
    cursor: str | None = state["objects_cursor"]
    if state["objects"]:
        progress("objects", state["objects"])
    chunk: list[dict[str, Any]] = []

    def flush() -> None:
        name = layout.object_chunk(state["object_chunks"])
        bucket.blob(base + name).upload_from_string(codec.pack(chunk), content_type=GZIP_LINES)
        save(
            objects_cursor=chunk[-1]["name"],
            object_chunks=state["object_chunks"] + 1,
            objects=state["objects"] + len(chunk),
        )
        chunk.clear()

    for blob in snapshot.objects(uploads_bucket(), job.tenant_id):
        name = blob.name[len(job.tenant_id) + 1 :]
        if cursor is not None and name <= cursor:
            continue  # copied before the checkpoint
        if late():
            if chunk:
                flush()
            return False
        data = blob.download_as_bytes()
        bucket.blob(f"{base}objects/{name}").upload_from_string(
            data, content_type=blob.content_type
        )
        crash_point("backup.object.copied")
        chunk.append(
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
        if len(chunk) == OBJECT_BATCH:
            flush()
    if chunk:
        flush()
    return True
