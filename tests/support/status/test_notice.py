"""The notice rules of the three seeded contracts for planned maintenance (pure: no stack)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from functions.support.status.notice import inside_window, keeps_notice, required_notice
from shared.contracts import MAINTENANCE_NOTICE, MAINTENANCE_WINDOWS
from shared.subscriptions import COPENHAGEN


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=COPENHAGEN)


@pytest.mark.parametrize(
    ("tenant", "start", "end", "inside"),
    [
        ("konfront", local(6, 10, 0, 30), local(6, 10, 2, 30), True),
        ("konfront", local(6, 10, 2, 30), local(6, 10, 3, 30), False),  # runs past 03:00
        ("konfront", local(6, 9, 23, 30), local(6, 10, 1), False),  # starts before 00:00
        ("handsonsimply", local(6, 9, 23, 30), local(6, 10, 1, 30), True),  # past midnight
        ("handsonsimply", local(6, 10, 0, 30), local(6, 10, 1, 59), True),
        ("handsonsimply", local(6, 10, 1, 30), local(6, 10, 2, 30), False),
        ("handsonsimply", local(6, 9, 22), local(6, 9, 23, 30), False),
        # The night of the autumn switch (25 October): 00:00-03:00 wall clock is 4 hours.
        ("konfront", local(10, 25, 0), local(10, 25, 2, 59), True),
    ],
)
def test_inside_the_maintenance_window(
    tenant: str, start: datetime, end: datetime, inside: bool
) -> None:
    assert inside_window(MAINTENANCE_WINDOWS[tenant], start, end) is inside


def needs(tenant: str, start: datetime, end: datetime) -> timedelta:
    return required_notice(MAINTENANCE_NOTICE[tenant], MAINTENANCE_WINDOWS[tenant], start, end)


def test_konfront_needs_notice_only_outside_its_window() -> None:
    assert needs("konfront", local(6, 10, 1), local(6, 10, 2)) == timedelta(0)
    assert needs("konfront", local(6, 10, 14), local(6, 10, 15)) == timedelta(days=5)


def test_skolero_announces_every_planned_update_five_days_ahead() -> None:
    assert needs("skolero", local(6, 10, 1), local(6, 10, 2)) == timedelta(days=5)


def test_handsonsimply_needs_no_notice_inside_its_window_and_five_days_outside() -> None:
    assert needs("handsonsimply", local(6, 9, 23, 30), local(6, 10, 0, 30)) == timedelta(0)
    assert needs("handsonsimply", local(6, 10, 12), local(6, 10, 13)) == timedelta(days=5)


def test_five_days_are_exactly_enough_and_a_second_less_is_not() -> None:
    rule, window = MAINTENANCE_NOTICE["skolero"], MAINTENANCE_WINDOWS["skolero"]
    start = local(6, 10, 1)
    end = start + timedelta(hours=1)
    assert keeps_notice(rule, window, start, end, start - timedelta(days=5))
    assert not keeps_notice(rule, window, start, end, start - timedelta(days=5, seconds=-1))
