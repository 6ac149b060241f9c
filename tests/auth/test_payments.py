"""The 10-day rule of a written payment demand (pure; the routes are in test_contracts)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from functions.auth.payments import DEMAND_NOTICE, demand_allows_suspension, pay_by
from shared.subscriptions import COPENHAGEN

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_a_demand_allows_suspension_from_exactly_10_days_and_not_one_second_before() -> None:
    demand = NOW - timedelta(days=10)
    assert demand_allows_suspension([demand], None, NOW)
    assert not demand_allows_suspension([demand + timedelta(seconds=1)], None, NOW)
    assert not demand_allows_suspension([NOW - timedelta(days=9)], None, NOW)
    assert not demand_allows_suspension([], None, NOW)
    # A reactivation (payment received) closes the demands before it.
    assert not demand_allows_suspension([demand], demand + timedelta(days=1), NOW)


@pytest.mark.parametrize(
    ("demanded_at", "named"),
    [
        (datetime(2026, 3, 1, 9, 0, tzinfo=UTC), date(2026, 3, 10)),  # 10:00 in Copenhagen
        # 00:30 on 2 March in Copenhagen (still 1 March in UTC): suspension from 12 March 00:30
        (datetime(2026, 3, 1, 23, 30, tzinfo=UTC), date(2026, 3, 11)),
        # exactly midnight in Copenhagen (summer time, UTC+2): 10 days end at a midnight
        (datetime(2026, 6, 30, 22, 0, tzinfo=UTC), date(2026, 7, 10)),
    ],
)
def test_the_letter_names_the_last_copenhagen_day_before_suspension_is_allowed(
    demanded_at: datetime, named: date
) -> None:
    assert pay_by(demanded_at) == named
    # The day named has ended in Copenhagen when the suspension becomes allowed, and the
    # day after it has not: the customer keeps every day the letter gives them.
    day_after = datetime.combine(named + timedelta(days=1), time(0), COPENHAGEN)
    allowed = demanded_at + DEMAND_NOTICE
    assert day_after <= allowed < day_after + timedelta(days=1)
    assert not demand_allows_suspension([demanded_at], None, day_after - timedelta(seconds=1))
