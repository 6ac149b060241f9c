"""A tenant's documents split into ranges of names, read at once by several streams.

One stream from the Firestore emulator is the ceiling of one reader (it waits on the next
document most of its time), so a backup reads its tenant in up to STREAMS ranges of
document names at once, every one at the backup's read time. The split points are the
first documents of the parts of the tenant's previous backup (its manifest names each
document part's first path), so splitting costs no read at all; a tenant's first backup
is read in one stream. Not chosen: PartitionQuery (unimplemented by the emulator, and
production accepts only the database root as its parent, not a tenant's document) and a
keys-only pass over the tenant's names at the read time (on the emulator it costs three
quarters of the read itself: bench/backup.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Streams read at once by one backup: on the 2-core emulator machine four streams read
# slower than one (bench/backup.py: the emulator pays each query by the whole tenant).
STREAMS = 2


def split(firsts: Sequence[str], streams: int | None = None) -> list[dict[str, Any]]:
    """Up to `streams` (default STREAMS) ranges, cut at evenly spaced ones of `firsts` (the
    previous backup's document parts' first paths, in order): each from its first path
    (None: from the first document) to before the next range's (None: to the last), with
    no progress yet. One range when there are fewer than two parts to cut at."""
    count = max(streams or STREAMS, 1)
    cuts: list[str] = []
    for n in range(1, count):
        path = firsts[len(firsts) * n // count] if len(firsts) > 1 else ""
        if path and (not cuts or path != cuts[-1]):  # in order: equal ones are neighbours
            cuts.append(path)
    bounds: list[str | None] = [None, *cuts, None]
    return [
        {
            "start": bounds[n],
            "end": bounds[n + 1],
            "parts": 0,  # parts stored
            "documents": 0,  # documents in them
            "after": None,  # the last document stored ("" the tenant's own)
            "collections": {},  # documents stored per collection key
            "finished": False,
        }
        for n in range(len(bounds) - 1)
    ]
