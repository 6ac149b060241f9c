"""Uptime and availability of a component from its stored state changes: pure, no I/O.

A component is in the state of its last change (operational before the first). Time in a
partial or major outage is down; degraded performance still works. Maintenance is down
time too, except announced maintenance, which is left out of the count altogether (the
contracts exempt planned maintenance: Handsonsimply's "Oppetid ... fraregnet tid til
servicevinduer"); an emergency maintenance was not announced, so it counts as down.
*Uptime* counts every hour of the period; *availability* only the support hours
(Handsonsimply's "Tilgængelighed ... i forhold til aftalt åbningstid").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from functions.support.sla.clock import Calendar
from functions.support.status.models import DOWN, Component, ComponentState, StateChange

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Downtime:
    """A maintenance of the component: `announced` ones are left out of the count."""

    start: datetime
    end: datetime
    announced: bool


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union, sorted, with touching intervals joined and empty ones dropped."""
    found: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if found and start <= found[-1][1]:
            found[-1] = (found[-1][0], max(found[-1][1], end))
        else:
            found.append((start, end))
    return found


def intersect(first: Iterable[Interval], second: Iterable[Interval]) -> list[Interval]:
    a, b = merge(first), merge(second)
    found, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            found.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return found


def subtract(base: Iterable[Interval], cut: Iterable[Interval]) -> list[Interval]:
    found = []
    cuts = merge(cut)
    for start, end in merge(base):
        cursor = start
        for cut_start, cut_end in cuts:
            if cut_end <= cursor or cut_start >= end:
                continue
            if cut_start > cursor:
                found.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
        if cursor < end:
            found.append((cursor, end))
    return found


def seconds(intervals: Iterable[Interval]) -> float:
    return sum((end - start).total_seconds() for start, end in merge(intervals))


def states(
    changes: Sequence[StateChange], component: Component, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, ComponentState]]:
    """The component's states over [start, end), from its changes (any order)."""
    own = sorted((c for c in changes if c.component is component), key=lambda c: c.at)
    state, cursor, found = ComponentState.OPERATIONAL, start, []
    for change in own:
        if change.at <= start:
            state = change.state
            continue
        if change.at >= end:
            break
        found.append((cursor, change.at, state))
        cursor, state = change.at, change.state
    found.append((cursor, end, state))
    return [(s, e, st) for s, e, st in found if e > s]


def _down(
    changes: Sequence[StateChange],
    component: Component,
    start: datetime,
    end: datetime,
    maintenance: Sequence[Downtime],
) -> list[Interval]:
    down = [(s, e) for s, e, state in states(changes, component, start, end) if state in DOWN]
    down += [(m.start, m.end) for m in maintenance if not m.announced]
    return intersect(down, [(start, end)])


def _ratio(counted: list[Interval], down: list[Interval]) -> float | None:
    total = seconds(counted)
    if total == 0:
        return None  # nothing to count (the whole period was announced maintenance)
    return 1 - seconds(intersect(down, counted)) / total


def uptime(
    changes: Sequence[StateChange],
    component: Component,
    start: datetime,
    end: datetime,
    maintenance: Sequence[Downtime] = (),
) -> float | None:
    """The share of [start, end) the component was up, around the clock, leaving out
    announced maintenance; None when nothing is left to count."""
    counted = subtract([(start, end)], [(m.start, m.end) for m in maintenance if m.announced])
    return _ratio(counted, _down(changes, component, start, end, maintenance))


def support_windows(calendar: Calendar, start: datetime, end: datetime) -> list[Interval]:
    found = []
    for window_start, window_end in calendar.windows(start):
        if window_start >= end:
            break
        found.append((window_start, min(window_end, end)))
    return found


def availability(
    changes: Sequence[StateChange],
    component: Component,
    start: datetime,
    end: datetime,
    calendar: Calendar,
    maintenance: Sequence[Downtime] = (),
) -> float | None:
    """As `uptime`, counting only the support hours of `calendar`."""
    announced = [(m.start, m.end) for m in maintenance if m.announced]
    counted = subtract(support_windows(calendar, start, end), announced)
    return _ratio(counted, _down(changes, component, start, end, maintenance))
