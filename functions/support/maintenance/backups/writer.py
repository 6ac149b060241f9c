"""Writing one backup job's parts from its checkpoint on (see backup.py for the job)."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from google.api_core.exceptions import NotFound
from google.cloud import firestore

from functions.support.maintenance import jobstore
from functions.support.maintenance.backups import snapshot
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
    lease is renewed at every part; False when the deadline stopped it between parts
    (released: the next run continues), True when the manifest is written."""
    state = dict(job.progress)
    read_time: datetime = state["read_time"]
    bucket = backups_bucket()
    base = layout.prefix(job.tenant_id, job.backup)
    parts = [Part.model_validate(p) for p in state["parts"]]
    counts: Counter[str] = Counter(state["collections"])

    def late() -> bool:
        return deadline is not None and clock() >= deadline

    def put(name: str, data: bytes, records: int, point: str = "backup.part.written") -> None:
        bucket.blob(base + name).upload_from_string(data, content_type=GZIP_LINES)
        parts.append(Part(name=name, sha256=layout.sha256(data), records=records))
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
        size, done, lines = int(state["part_documents"]), 0, []
        queued = len(parts)

        def store(lines: list[dict[str, Any]], changes: dict[str, Any]) -> bool:
            """Store one part and checkpoint it (on the pipeline's thread, in order); False
            once the deadline has come: this part and the rest are not stored."""
            if late():
                return False
            put(layout.document_part(len(parts)), codec.pack(lines), len(lines))
            save(**changes)
            progress("documents", len(lines))
            return True

        # The last checkpoint of this phase moves on to the objects, with the last part.
        last: dict[str, Any] = {"phase": "objects"}
        with _Pipeline() as stored:
            for path, fields in snapshot.encoded(db, job.tenant_id, read_time):
                done += 1
                if done <= state["documents_done"]:
                    continue  # in a part written before the checkpoint
                counts[layout.collection_key(path)] += 1
                lines.append({"path": path, "fields": fields})
                if len(lines) == size:
                    changes = {"documents_done": done, "collections": dict(counts)}
                    if not stored.submit(store, lines, changes):
                        break  # cut off: the parts stored are checkpointed, no others
                    queued, lines = queued + 1, []
            else:
                last |= {"documents_done": done, "collections": dict(counts)}
                if lines or not queued:
                    stored.submit(store, lines, last)
                    last = {}
            if not stored.finish():
                return _cut_off(lease)
        if last:
            save(**last)
    if state["phase"] == "objects":
        if not _copy_objects(job, bucket, base, state, save, late, progress):
            return _cut_off(lease)
        chunks = [layout.object_chunk(i) for i in range(state["object_chunks"])]
        index = [
            line for c in chunks for line in codec.unpack(bucket.blob(base + c).download_as_bytes())
        ]
        put(layout.OBJECTS_INDEX, codec.pack(index), len(index), "backup.objects.indexed")
        save(phase="accounts")
        for chunk in chunks:  # the index part holds them now
            with contextlib.suppress(NotFound):
                bucket.blob(base + chunk).delete()
    if state["phase"] == "accounts":
        accounts = list(snapshot.accounts(firebase_app(), job.tenant_id))
        put(layout.ACCOUNTS, codec.pack(accounts), len(accounts), "backup.accounts.written")
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


class _Pipeline:
    """Document parts stored on one thread of their own, in order, while the reading goes
    on: at most IN_FLIGHT parts wait, so memory stays bounded and the reading is throttled
    to what storing keeps up with. Each part is checkpointed after it is stored and before
    the next one is, so the checkpoint always names exactly the parts stored. A failure
    (a lost lease, an error) stops it and is raised again by the reader."""

    IN_FLIGHT = 2

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Callable[..., bool], tuple[Any, ...]] | None] = queue.Queue(
            self.IN_FLIGHT
        )
        self._stopped = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="backup-parts", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._stopped.is_set():
                continue  # drained without storing
            work, args = item
            try:
                if not work(*args):
                    self._stopped.set()
            except BaseException as error:  # handed to the reader
                self._error = error
                self._stopped.set()

    def submit(self, work: Callable[..., bool], *args: Any) -> bool:
        """Queue `work(*args)` (waits while IN_FLIGHT parts wait); False once stopped."""
        if self._stopped.is_set():
            self.finish()
            return False
        self._queue.put((work, args))
        return True

    def finish(self) -> bool:
        """Wait for every part queued; True if each was stored (raises what failed)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error
        return not self._stopped.is_set()

    def __enter__(self) -> _Pipeline:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:  # the reading failed: store nothing more, end the thread
            self._stopped.set()
            with contextlib.suppress(BaseException):
                self.finish()


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
