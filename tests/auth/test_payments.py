"""The 10-day rule of a written payment demand (pure; the routes are in test_contracts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.auth.payments import demand_allows_suspension

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_a_demand_allows_suspension_from_exactly_10_days_and_not_one_second_before() -> None:
    demand = NOW - timedelta(days=10)
    assert demand_allows_suspension([demand], None, NOW)
    assert not demand_allows_suspension([demand + timedelta(seconds=1)], None, NOW)
    assert not demand_allows_suspension([NOW - timedelta(days=9)], None, NOW)
    assert not demand_allows_suspension([], None, NOW)
    # A reactivation (payment received) closes the demands before it.
    assert not demand_allows_suspension([demand], demand + timedelta(days=1), NOW)
