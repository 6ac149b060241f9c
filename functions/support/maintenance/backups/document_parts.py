"""A backup's document phase: its ranges read at once, their parts stored and checkpointed.

Each range (ranges.py) is read by a thread of its own at the backup's read time and cut
into parts of `part_documents`, packed (JSON lines, gzip) on that thread; one storing
thread uploads the parts and checkpoints them, every part waiting at that moment in one
checkpoint, so the job's checkpoint always names exactly the parts stored. A range
resumes after the last document of its last stored part, so however often a backup is
cut off or killed, its parts are those of an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from google.cloud import firestore

from functions.support.maintenance.backups import ranges, snapshot
from shared.backups import codec, layout
from shared.backups.reading import backup_stamps, load_manifest
from shared.faults import crash_point

# Backups looked at for the newest one read before this one's read time.
PREVIOUS = 3

# (range, packed part or None for no part, documents in it, its first one, the range's changes)
Item = tuple[int, bytes | None, int, str | None, dict[str, Any]]
Store = Callable[[list[Item]], bool]


def split_ranges(tenant_id: str, read_time: datetime) -> list[dict[str, Any]]:
    """The ranges of the tenant's documents, cut where the parts of its newest backup read
    before `read_time` begin (one range when there is none)."""
    for backup_stamp in reversed(backup_stamps(tenant_id)[-PREVIOUS:]):
        previous = load_manifest(tenant_id, backup_stamp)
        if previous is not None and previous.read_time < read_time:
            return ranges.split([p.first for p in previous.parts if p.first is not None])
    return ranges.split([])


def read_ranges(
    db: firestore.Client,
    tenant_id: str,
    read_time: datetime,
    state: list[dict[str, Any]],
    part_documents: int,
    store: Store,
) -> bool:
    """Read every unfinished range of `state` at once and hand its parts to `store` (on
    one thread, in batches); True when every range is finished, False when `store`
    refused (the deadline: nothing more is stored). Raises what a reader or `store` raised."""
    with _Pipeline(store) as pipeline:
        todo = [n for n, r in enumerate(state) if not r["finished"]]
        with ThreadPoolExecutor(max(len(todo), 1), thread_name_prefix="backup-range") as pool:
            futures = [
                pool.submit(
                    _read_range, db, tenant_id, read_time, n, state[n], part_documents, pipeline
                )
                for n in todo
            ]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                pipeline.stop()  # the other readers stop at their next part
                raise
        return pipeline.finish()


def _read_range(
    db: firestore.Client,
    tenant_id: str,
    read_time: datetime,
    index: int,
    state: dict[str, Any],
    size: int,
    pipeline: _Pipeline,
) -> None:
    counts: Counter[str] = Counter(state["collections"])
    parts, documents, after = int(state["parts"]), int(state["documents"]), state["after"]
    lines: list[dict[str, Any]] = []

    def submit(finished: bool) -> bool:
        # A range with no documents (an empty tenant, or all deleted since the backup
        # whose parts split it) stores one empty part: every range has a part.
        data = codec.pack(lines) if lines or (finished and not parts) else None
        changes = {
            "parts": parts + (data is not None),
            "documents": documents + len(lines),
            "after": after,
            "collections": dict(counts),
            "finished": finished,
        }
        first = lines[0]["path"] if lines else None
        return pipeline.submit((index, data, len(lines), first, changes))

    found = snapshot.encoded_range(
        db, tenant_id, read_time, state["start"], state["end"], after=after or None
    )
    if after is None and state["start"] is None:  # the first range begins with the tenant's own
        root = snapshot.encoded_root(db, tenant_id, read_time)
        if root is not None:
            found = itertools.chain([("", root)], found)
    for path, fields in found:
        counts[layout.collection_key(path)] += 1
        lines.append({"path": path, "fields": fields})
        after = path
        if len(lines) == size:
            if not submit(False):
                return  # stopped: nothing more is stored
            parts, documents, lines = parts + 1, documents + len(lines), []
    submit(True)


class _Pipeline:
    """Parts stored on one thread of their own while the ranges are read: at most
    IN_FLIGHT wait, so memory stays bounded and the readers are throttled to what storing
    keeps up with. The parts waiting when the thread comes to them are stored and then
    checkpointed together (one transaction for several parts). A failure (a lost lease,
    an error) stops it and is raised again by `finish`."""

    IN_FLIGHT = ranges.STREAMS + 2

    def __init__(self, store: Store) -> None:
        self._store = store
        self._queue: queue.Queue[Item | None] = queue.Queue(self.IN_FLIGHT)
        self._stopped = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="backup-parts", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            batch, end = [item], False
            while not end:  # whatever else waits goes in the same checkpoint
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    end = True
                else:
                    batch.append(more)
            if not self._stopped.is_set():
                try:
                    if not self._store(batch):
                        self._stopped.set()
                except BaseException as error:  # handed to `finish`
                    self._error = error
                    self._stopped.set()
            if end:
                return

    def submit(self, item: Item) -> bool:
        """Queue one part (waits while IN_FLIGHT wait); False once stopped."""
        if self._stopped.is_set():
            return False
        self._queue.put(item)
        return True

    def stop(self) -> None:
        self._stopped.set()

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


def store_parts(
    put: Callable[[str, bytes, int, str | None], None],
    state: list[dict[str, Any]],
    save: Callable[[], None],
    late: Callable[[], bool],
    progress: Callable[[str, int], None],
) -> Store:
    """The storing thread's work: upload each part of a batch under its number, note its
    range's progress, then one checkpoint; False (nothing stored) once the deadline came."""

    def store(batch: list[Item]) -> bool:
        if late():
            return False
        for index, data, records, first, changes in batch:
            if data is not None:
                put(layout.document_part(state[index]["parts"], index), data, records, first)
            state[index].update(changes)
        save()
        crash_point("backup.parts.checkpointed")
        progress("documents", sum(item[2] for item in batch))
        return True

    return store
