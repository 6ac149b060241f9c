"""Whether a planned maintenance keeps a contract's notice rule (SPEC M-4, S-5): pure.

A maintenance that lies wholly inside one occurrence of the contract's maintenance
window needs no notice unless the rule covers the window too (SkoleRo announces every
planned update); otherwise it must be announced `days` whole days (of 24 hours) before
it starts. The window is Copenhagen wall-clock time, so it follows a DST switch.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.contracts import LocalWindow, MaintenanceNotice
from shared.subscriptions import COPENHAGEN


def inside_window(window: LocalWindow, start: datetime, end: datetime) -> bool:
    """Whether [start, end) lies inside one occurrence of the daily window."""
    day = start.astimezone(COPENHAGEN).date()
    for opens_on in (day - timedelta(days=1), day):
        closes_on = opens_on + timedelta(days=1) if window.end < window.start else opens_on
        opens = datetime.combine(opens_on, window.start, COPENHAGEN)
        closes = datetime.combine(closes_on, window.end, COPENHAGEN)
        if opens <= start and end <= closes:
            return True
    return False


def required_notice(
    rule: MaintenanceNotice, window: LocalWindow, start: datetime, end: datetime
) -> timedelta:
    """The notice this maintenance needs under the rule (zero: none)."""
    if not rule.inside_window and inside_window(window, start, end):
        return timedelta(0)
    return timedelta(days=rule.days)


def keeps_notice(
    rule: MaintenanceNotice,
    window: LocalWindow,
    start: datetime,
    end: datetime,
    announced_at: datetime,
) -> bool:
    return start - announced_at >= required_notice(rule, window, start, end)
