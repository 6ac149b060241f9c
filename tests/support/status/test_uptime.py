"""Uptime and availability from stored state changes (pure: no stack)."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from functions.support.sla.clock import Calendar
from functions.support.status.models import Component, ComponentState, StateChange
from functions.support.status.uptime import (
    Downtime,
    availability,
    intersect,
    merge,
    subtract,
    uptime,
)
from shared.contracts import SupportHours
from shared.subscriptions import COPENHAGEN
from shared.support_terms import ClosedDays

SIGN_IN, BACKUP = Component.SIGN_IN, Component.BACKUP


def local(day: int, hour: int = 0, minute: int = 0, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=COPENHAGEN)


def change(component: Component, state: ComponentState, at: datetime) -> StateChange:
    return StateChange(component=component, state=state, at=at, source="test")


# Monday 1 June 2026 ... Sunday 7 June; 5 June (Grundlovsdag) is not a public holiday.
WEEK = (local(1), local(8))
HOURS = SupportHours(opens=time(9), closes=time(15))
CALENDAR = Calendar(HOURS, ClosedDays())


def test_interval_arithmetic() -> None:
    a, b, c, d = local(1, 1), local(1, 2), local(1, 3), local(1, 4)
    assert merge([(c, d), (a, b), (b, c)]) == [(a, d)]
    assert subtract([(a, d)], [(b, c)]) == [(a, b), (c, d)]
    assert intersect([(a, c)], [(b, d)]) == [(b, c)]


def test_a_component_without_changes_was_up_the_whole_time() -> None:
    assert uptime([], SIGN_IN, *WEEK) == 1.0


def test_an_outage_counts_down_and_degraded_performance_does_not() -> None:
    changes = [
        change(SIGN_IN, ComponentState.MAJOR_OUTAGE, local(2, 10)),
        change(SIGN_IN, ComponentState.DEGRADED, local(2, 16)),  # 6 hours down
        change(SIGN_IN, ComponentState.OPERATIONAL, local(3, 10)),
        change(BACKUP, ComponentState.MAJOR_OUTAGE, local(1)),  # another component
    ]
    assert uptime(changes, SIGN_IN, *WEEK) == pytest.approx(1 - 6 / 168)


def test_a_state_set_before_the_period_carries_into_it() -> None:
    changes = [change(SIGN_IN, ComponentState.PARTIAL_OUTAGE, local(31, 12, month=5))]
    assert uptime(changes, SIGN_IN, *WEEK) == 0.0


def test_uptime_leaves_out_announced_maintenance_and_counts_an_emergency() -> None:
    # Down 2 hours during an announced 4-hour maintenance, and 2 hours outside it.
    changes = [
        change(SIGN_IN, ComponentState.MAJOR_OUTAGE, local(2, 1)),
        change(SIGN_IN, ComponentState.OPERATIONAL, local(2, 5)),
    ]
    announced = Downtime(local(2, 3), local(2, 7), announced=True)
    assert uptime(changes, SIGN_IN, *WEEK, [announced]) == pytest.approx(1 - 2 / 164)
    emergency = Downtime(local(4, 12), local(4, 13), announced=False)  # 1 hour, not announced
    found = uptime(changes, SIGN_IN, *WEEK, [announced, emergency])
    assert found == pytest.approx(1 - 3 / 164)
    without_exclusion = uptime(changes, SIGN_IN, *WEEK)
    assert without_exclusion == pytest.approx(1 - 4 / 168)


def test_a_period_that_is_all_announced_maintenance_has_no_uptime() -> None:
    assert uptime([], SIGN_IN, *WEEK, [Downtime(*WEEK, announced=True)]) is None


def test_availability_counts_only_support_hours() -> None:
    # Support hours that week: Mon-Fri 09-15 = 30 hours.
    changes = [
        change(SIGN_IN, ComponentState.MAJOR_OUTAGE, local(2, 14)),  # Tuesday 14:00 ...
        change(SIGN_IN, ComponentState.OPERATIONAL, local(3, 10)),  # ... Wednesday 10:00
    ]
    # 1 hour on Tuesday and 1 on Wednesday inside support hours; 20 hours around the clock.
    assert availability(changes, SIGN_IN, *WEEK, CALENDAR) == pytest.approx(1 - 2 / 30)
    assert uptime(changes, SIGN_IN, *WEEK) == pytest.approx(1 - 20 / 168)


def test_an_outage_at_night_or_on_a_closed_day_leaves_availability_whole() -> None:
    changes = [
        change(SIGN_IN, ComponentState.MAJOR_OUTAGE, local(6, 8)),  # Saturday, all day
        change(SIGN_IN, ComponentState.OPERATIONAL, local(7, 0)),
        change(SIGN_IN, ComponentState.MAJOR_OUTAGE, local(2, 20)),  # a night
        change(SIGN_IN, ComponentState.OPERATIONAL, local(3, 6)),
    ]
    assert availability(changes, SIGN_IN, *WEEK, CALENDAR) == 1.0
    assert uptime(changes, SIGN_IN, *WEEK) == pytest.approx(1 - 26 / 168)
    # A public holiday closes support too: Whit Monday, 25 May 2026.
    holiday = [
        change(SIGN_IN, ComponentState.MAJOR_OUTAGE, local(25, 8, month=5)),
        change(SIGN_IN, ComponentState.OPERATIONAL, local(26, 0, month=5)),
    ]
    may = (local(25, month=5), local(1))
    assert availability(holiday, SIGN_IN, *may, CALENDAR) == 1.0


def test_availability_leaves_out_announced_maintenance_in_support_hours() -> None:
    maintenance = Downtime(local(1, 9), local(1, 12), announced=True)  # 3 support hours
    changes = [
        change(SIGN_IN, ComponentState.MAJOR_OUTAGE, local(1, 9)),
        change(SIGN_IN, ComponentState.OPERATIONAL, local(1, 13)),  # 1 hour past it
    ]
    found = availability(changes, SIGN_IN, *WEEK, CALENDAR, [maintenance])
    assert found == pytest.approx(1 - 1 / 27)
