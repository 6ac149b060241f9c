"""Each tenant's own maintenance window, decided by an injected clock (pure, no stack)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from functions.support.maintenance.windows import DEFAULT_WINDOW, closes_at
from shared.contracts import MAINTENANCE_WINDOWS, LocalWindow

HANDSONSIMPLY = MAINTENANCE_WINDOWS["handsonsimply"]  # 23:00-02:00
KONFRONT = MAINTENANCE_WINDOWS["konfront"]  # 00:00-03:00


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("window", "now", "closes"),
    [
        # Winter (CET, UTC+1): 23:30 local opens Handsonsimply's window until 02:00 local.
        (HANDSONSIMPLY, utc(2026, 1, 14, 22, 30), utc(2026, 1, 15, 1, 0)),
        # ... and 01:59 local is still inside it, 02:00 is not.
        (HANDSONSIMPLY, utc(2026, 1, 15, 0, 59), utc(2026, 1, 15, 1, 0)),
        (HANDSONSIMPLY, utc(2026, 1, 15, 1, 0), None),
        # Summer (CEST, UTC+2): 23:30 local is 21:30 UTC.
        (HANDSONSIMPLY, utc(2026, 7, 1, 21, 30), utc(2026, 7, 2, 0, 0)),
        # 22:30 local: Konfront's window is closed, Handsonsimply's not yet open.
        (HANDSONSIMPLY, utc(2026, 7, 1, 20, 30), None),
        (KONFRONT, utc(2026, 7, 1, 21, 30), None),
        (KONFRONT, utc(2026, 7, 1, 22, 30), utc(2026, 7, 2, 1, 0)),
        # Noon: every window is closed.
        (KONFRONT, utc(2026, 7, 1, 10, 0), None),
        (HANDSONSIMPLY, utc(2026, 7, 1, 10, 0), None),
        # Clocks go forward (29 March 2026, 02:00 CET -> 03:00 CEST): 02:00 never comes,
        # the window closes when the clock jumps (01:00 UTC), not an hour later.
        (HANDSONSIMPLY, utc(2026, 3, 28, 22, 30), utc(2026, 3, 29, 1, 0)),
        (HANDSONSIMPLY, utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 1, 0)),
        (HANDSONSIMPLY, utc(2026, 3, 29, 1, 0), None),
        (KONFRONT, utc(2026, 3, 28, 23, 30), utc(2026, 3, 29, 1, 0)),
        # Clocks go back (25 October 2026, 03:00 CEST -> 02:00 CET): 02:00 comes twice;
        # Handsonsimply's window closes at the first, Konfront's at 03:00 CET (4 h long).
        (HANDSONSIMPLY, utc(2026, 10, 24, 21, 30), utc(2026, 10, 25, 0, 0)),
        (HANDSONSIMPLY, utc(2026, 10, 25, 0, 30), None),
        (KONFRONT, utc(2026, 10, 24, 22, 30), utc(2026, 10, 25, 2, 0)),
        (KONFRONT, utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 2, 0)),
    ],
)
def test_a_window_is_open_until_its_local_end_across_daylight_saving(
    window: LocalWindow, now: datetime, closes: datetime | None
) -> None:
    assert closes_at(window, now) == closes


def test_a_tenant_without_a_contract_has_the_window_00_to_03() -> None:
    assert (DEFAULT_WINDOW.start, DEFAULT_WINDOW.end) == (time(0), time(3))
    assert closes_at(DEFAULT_WINDOW, utc(2026, 1, 14, 23, 10)) == utc(2026, 1, 15, 2, 0)
