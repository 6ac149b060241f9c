"""The business clock of a support contract: pure arithmetic, no I/O.

Support time is the union of each open day's window (support hours, local time in
Europe/Copenhagen, so a DST switch moves the window with the wall clock). A day is
closed when it is not an open weekday or is one of the contract's closed days. A target
in support hours or working days counts only support time (a working day is one day's
window, so "2 working days" from Tuesday 10:00 is Thursday 10:00); a target in calendar
hours counts elapsed time ("2 døgn" is 48 real hours, also across a DST switch). Every
clock starts at the next opening when its start event falls outside support hours,
except an around-the-clock target. A resolution target's clock stands still while the
ticket waits for the customer; a response target's does not.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from shared.contracts import SupportHours
from shared.subscriptions import COPENHAGEN
from shared.support_terms import ClosedDays, Target, Unit

# No contract closes for this long; a calendar that does is a configuration fault.
MAX_CLOSED_DAYS = 400

# A pause: (from, until); until None while the ticket still waits for the customer.
Pause = tuple[datetime, datetime | None]


class ClockError(ValueError):
    """The calendar has no opening within MAX_CLOSED_DAYS, or a moment has no time zone."""


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ClockError("a moment without a time zone")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Calendar:
    hours: SupportHours
    closed: ClosedDays

    def is_open_day(self, day: date) -> bool:
        return day.weekday() in self.hours.days and day not in self.closed.dates(day.year)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's support window in UTC, or None when the day is closed."""
        if not self.is_open_day(day):
            return None
        opens = datetime.combine(day, self.hours.opens, COPENHAGEN).astimezone(UTC)
        closes = datetime.combine(day, self.hours.closes, COPENHAGEN).astimezone(UTC)
        return opens, closes

    @property
    def day_seconds(self) -> float:
        """One working day's support time (the window's wall-clock length)."""
        opens = datetime.combine(date(2000, 1, 3), self.hours.opens)
        closes = datetime.combine(date(2000, 1, 3), self.hours.closes)
        return (closes - opens).total_seconds()

    def windows(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Every support window from `moment` on, the first clipped to start at it."""
        moment = _aware(moment)
        day = moment.astimezone(COPENHAGEN).date()
        closed_run = 0
        while True:
            window = self.window(day)
            day += timedelta(days=1)
            if window is None or window[1] <= moment:
                closed_run += 1
                if closed_run > MAX_CLOSED_DAYS:
                    raise ClockError("the support calendar has no opening")
                continue
            closed_run = 0
            yield max(window[0], moment), window[1]

    def is_open(self, moment: datetime) -> bool:
        start, _ = next(self.windows(moment))
        return start == _aware(moment)

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself when support is open then, else the next opening."""
        return next(self.windows(moment))[0]

    def add(self, moment: datetime, seconds: float) -> datetime:
        """The moment `seconds` of support time after `moment`. Landing exactly on a
        closing gives the closing (not the next opening)."""
        if seconds < 0:
            raise ClockError("support time is added forwards")
        remaining = seconds
        for start, end in self.windows(moment):
            length = (end - start).total_seconds()
            if remaining <= length:
                return start + timedelta(seconds=remaining)
            remaining -= length
        raise AssertionError("unreachable: windows() never ends")  # pragma: no cover

    def between(self, first: datetime, last: datetime) -> float:
        """Support time, in seconds, from `first` to `last` (0 when last is not later)."""
        first, last = _aware(first), _aware(last)
        total = 0.0
        if last <= first:
            return total
        for start, end in self.windows(first):
            if start >= last:
                break
            total += (min(end, last) - start).total_seconds()
        return total


def target_seconds(target: Target, calendar: Calendar) -> float:
    if target.unit is Unit.WORKING_DAYS:
        return target.amount * calendar.day_seconds
    return target.amount * 3600.0


def clock_start(target: Target, event: datetime, calendar: Calendar) -> datetime:
    """Where the target's clock starts for a start event at `event`."""
    event = _aware(event)
    return event if target.around_the_clock else calendar.next_opening(event)


def _measure(target: Target, calendar: Calendar, first: datetime, last: datetime) -> float:
    if target.unit is Unit.CALENDAR_HOURS:
        return max(0.0, (last - first).total_seconds())
    return calendar.between(first, last)


def _advance(target: Target, calendar: Calendar, moment: datetime, seconds: float) -> datetime:
    if target.unit is Unit.CALENDAR_HOURS:
        return moment + timedelta(seconds=seconds)
    return calendar.add(moment, seconds)


def due_at(
    target: Target,
    event: datetime,
    calendar: Calendar,
    pauses: Sequence[Pause] = (),
    fraction: float = 1.0,
) -> datetime | None:
    """When `fraction` of the target has run (1.0: the due time; 0.75: the warning), for
    a start event at `event`. Pauses count only for a resolution target; None while such
    a target is paused before reaching it."""
    remaining = target_seconds(target, calendar) * fraction
    cursor = clock_start(target, event, calendar)
    if target.resolution:
        for paused_from, paused_until in sorted(pauses, key=lambda p: _aware(p[0])):
            if paused_until is not None and _aware(paused_until) <= cursor:
                continue
            pause_start = max(_aware(paused_from), cursor)
            running = _measure(target, calendar, cursor, pause_start)
            if running >= remaining:
                break
            remaining -= running
            if paused_until is None:
                return None
            cursor = _aware(paused_until)
    return _advance(target, calendar, cursor, remaining)


def elapsed(
    target: Target,
    event: datetime,
    now: datetime,
    calendar: Calendar,
    pauses: Sequence[Pause] = (),
) -> float:
    """How much of the target has run by `now`, as a fraction (1.0 or more: breached)."""
    start = clock_start(target, event, calendar)
    now = _aware(now)
    used = _measure(target, calendar, start, now)
    if target.resolution:
        for paused_from, paused_until in pauses:
            begin = max(_aware(paused_from), start)
            end = min(_aware(paused_until) if paused_until else now, now)
            if end > begin:
                used -= _measure(target, calendar, begin, end)
    return used / target_seconds(target, calendar)
