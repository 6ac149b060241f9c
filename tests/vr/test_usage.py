"""The continuous-use arithmetic of the 30-minute break (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.vr.usage import break_due, break_due_at, continuous_use

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def m(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_thirty_minutes_of_playing_make_a_break_due() -> None:
    assert not break_due([(m(0), None)], m(29.9))
    assert break_due([(m(0), None)], m(30))
    assert break_due_at([(m(0), None)], m(10)) == m(30)


def test_a_short_pause_does_not_count_and_does_not_reset() -> None:
    played = [(m(0), m(20)), (m(24), None)]
    use = continuous_use(played, m(30))
    assert use.continuous == timedelta(minutes=26)
    assert use.run == 0
    assert break_due_at(played, m(30)) == m(34)


def test_a_break_of_five_minutes_starts_a_new_run() -> None:
    played = [(m(0), m(25)), (m(30), None)]
    use = continuous_use(played, m(40))
    assert use.continuous == timedelta(minutes=10)
    assert use.run == 1
    assert not break_due(played, m(54))


def test_nothing_is_due_while_paused_and_a_long_pause_resets() -> None:
    played = [(m(0), m(29))]
    assert break_due_at(played, m(30)) is None
    assert continuous_use(played, m(30)).run == 0
    assert continuous_use(played, m(34)).run == 1
    assert continuous_use([], m(0)).continuous == timedelta(0)
