"""Continuous VR use (SPEC V-3), pure: when does a client need a break?

Use is the time a film plays. A pause does not count; a pause (or stop) of at least five
minutes is a break and starts a new run from zero. After 30 minutes of use in one run a
break is recommended.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

BREAK_AFTER = timedelta(minutes=30)
RESETTING_BREAK = timedelta(minutes=5)

# One stretch of playing: from `start` until `end` (None: still playing).
Interval = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class Use:
    continuous: timedelta  # in the current run
    run: int  # how many breaks of five minutes or more came before it
    playing: bool


def continuous_use(intervals: Sequence[Interval], now: datetime) -> Use:
    used = timedelta(0)
    run = 0
    last_end: datetime | None = None
    for start, end in sorted(intervals, key=lambda i: i[0]):
        if last_end is not None and start - last_end >= RESETTING_BREAK:
            used, run = timedelta(0), run + 1
        stop = end if end is not None else now
        used += max(stop - start, timedelta(0))
        last_end = stop
    playing = bool(intervals) and max(intervals, key=lambda i: i[0])[1] is None
    if not playing and last_end is not None and now - last_end >= RESETTING_BREAK:
        used, run = timedelta(0), run + 1
    return Use(continuous=used, run=run, playing=playing)


def break_due_at(intervals: Sequence[Interval], now: datetime) -> datetime | None:
    """When 30 minutes will be reached if the film plays on; None while nothing plays."""
    use = continuous_use(intervals, now)
    if not use.playing:
        return None
    return now + max(BREAK_AFTER - use.continuous, timedelta(0))


def break_due(intervals: Sequence[Interval], now: datetime) -> bool:
    return continuous_use(intervals, now).continuous >= BREAK_AFTER
