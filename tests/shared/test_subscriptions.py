"""Cancellation deadlines of both contracts' rules, across start dates (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.subscriptions import (
    COPENHAGEN,
    CancellationRule,
    cancellation,
    deadline_of,
    next_deadline,
    period_end,
    period_of,
    period_start,
)

KONFRONT = CancellationRule.END_OF_TENTH_MONTH
SKOLERO = CancellationRule.BEFORE_15TH_OF_NEW_PERIOD
starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
periods = st.integers(min_value=0, max_value=8)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A moment on a Copenhagen date, as the UTC moment it is stored as."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=COPENHAGEN).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "period", "last_day", "ends_on"),
    [
        (date(2026, 1, 1), 0, date(2026, 10, 31), date(2026, 12, 31)),
        (date(2026, 1, 1), 1, date(2027, 10, 31), date(2027, 12, 31)),
        (date(2026, 3, 15), 0, date(2026, 12, 31), date(2027, 3, 14)),
        (date(2026, 8, 1), 0, date(2027, 5, 31), date(2027, 7, 31)),
        (date(2025, 5, 31), 0, date(2026, 2, 28), date(2026, 5, 30)),
        (date(2024, 2, 29), 1, date(2025, 11, 30), date(2026, 2, 27)),
    ],
)
def test_konfront_deadline_is_the_end_of_the_tenth_calendar_month_of_the_period(
    start: date, period: int, last_day: date, ends_on: date
) -> None:
    found = deadline_of(KONFRONT, start, period)
    assert found is not None
    assert (found.last_day, found.ends_on) == (last_day, ends_on)


@pytest.mark.parametrize(
    ("start", "period", "last_day", "ends_on"),
    [
        # Renewed 1 August: cancel by 14 August and the new period never binds.
        (date(2025, 8, 1), 1, date(2026, 8, 14), date(2026, 7, 31)),
        (date(2025, 8, 10), 1, date(2026, 8, 14), date(2026, 8, 9)),
        # A period starting on or after the 15th: the 15th of its start month is not in it.
        (date(2025, 8, 15), 1, date(2026, 9, 14), date(2026, 8, 14)),
        (date(2025, 8, 20), 2, date(2027, 9, 14), date(2027, 8, 19)),
        (date(2025, 1, 31), 1, date(2026, 2, 14), date(2026, 1, 30)),
    ],
)
def test_skolero_deadline_is_before_the_15th_of_the_new_periods_first_month(
    start: date, period: int, last_day: date, ends_on: date
) -> None:
    found = deadline_of(SKOLERO, start, period)
    assert found is not None
    assert (found.last_day, found.ends_on) == (last_day, ends_on)


def test_skolero_first_period_has_no_deadline_as_nothing_was_renewed() -> None:
    assert deadline_of(SKOLERO, date(2026, 8, 1), 0) is None
    # In the first period a cancellation ends the subscription with that period.
    effect = cancellation(SKOLERO, date(2026, 8, 1), at(date(2026, 9, 1)))
    assert (effect.ends_on, effect.late) == (date(2027, 7, 31), False)


def test_konfront_cancellation_on_the_last_day_is_in_time_and_a_day_later_is_late() -> None:
    start = date(2026, 1, 1)
    on_time = cancellation(KONFRONT, start, at(date(2026, 10, 31), 23, 59))
    assert (on_time.ends_on, on_time.late) == (date(2026, 12, 31), False)
    late = cancellation(KONFRONT, start, at(date(2026, 11, 1), 0, 0))
    assert (late.ends_on, late.late) == (date(2027, 12, 31), True)
    assert late.deadline.last_day == date(2027, 10, 31)


def test_skolero_cancellation_on_the_14th_is_in_time_and_on_the_15th_is_late() -> None:
    start = date(2025, 8, 1)
    on_time = cancellation(SKOLERO, start, at(date(2026, 8, 14), 23, 59))
    assert (on_time.ends_on, on_time.late) == (date(2026, 7, 31), False)
    late = cancellation(SKOLERO, start, at(date(2026, 8, 15), 0, 0))
    assert (late.ends_on, late.late) == (date(2027, 7, 31), True)


def test_the_copenhagen_date_counts_not_the_utc_date() -> None:
    # 31 Oct 23:30 UTC is already 1 November in Copenhagen (CET, UTC+1): late.
    moment = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    assert cancellation(KONFRONT, date(2026, 1, 1), moment).late
    # 31 Oct 22:30 UTC is 23:30 in Copenhagen: in time.
    moment = datetime(2026, 10, 31, 22, 30, tzinfo=UTC)
    assert not cancellation(KONFRONT, date(2026, 1, 1), moment).late


def test_a_moment_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        cancellation(KONFRONT, date(2026, 1, 1), datetime(2026, 3, 1))


@given(start=starts, period=periods)
def test_periods_follow_each_other_without_gap(start: date, period: int) -> None:
    assert period_end(start, period) + timedelta(days=1) == period_start(start, period + 1)
    assert period_of(start, period_start(start, period)) == period
    assert period_of(start, period_end(start, period)) == period


@given(start=starts, period=periods)
def test_konfront_deadline_lies_late_in_its_own_period(start: date, period: int) -> None:
    found = deadline_of(KONFRONT, start, period)
    assert found is not None
    assert period_of(start, found.last_day) == period
    assert 59 <= (found.ends_on - found.last_day).days <= 92
    assert found.ends_on == period_end(start, period)


@given(start=starts, period=st.integers(min_value=1, max_value=8))
def test_skolero_deadline_lies_early_in_the_new_period(start: date, period: int) -> None:
    found = deadline_of(SKOLERO, start, period)
    assert found is not None
    assert found.last_day.day == 14
    assert 0 <= (found.last_day - period_start(start, period)).days < 45
    assert found.ends_on == period_end(start, period - 1)


@given(
    rule=st.sampled_from(CancellationRule),
    start=starts,
    offset=st.integers(min_value=0, max_value=8 * 366),
)
def test_a_cancellation_meets_the_next_deadline_and_late_ones_end_a_period_later(
    rule: CancellationRule, start: date, offset: int
) -> None:
    day = start + timedelta(days=offset)
    effect = cancellation(rule, start, at(day))
    assert effect.deadline == next_deadline(rule, start, day)
    assert effect.deadline.last_day >= day
    # No deadline lies between the day and the one met.
    earlier = deadline_of(rule, start, effect.deadline.period - 1)
    assert earlier is None or earlier.last_day < day
    # Late: the period's own deadline was missed, so the end moves one period on.
    own = deadline_of(rule, start, period_of(start, day))
    if effect.late:
        assert own is not None
        assert own.last_day < day
        assert effect.ends_on == period_end(start, own.period + (rule is KONFRONT) * 1)
    else:
        assert own is None or own.last_day >= day
