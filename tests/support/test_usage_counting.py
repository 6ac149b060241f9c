"""Usage statistics' counting and suppression (pure logic, issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.support.usage.counting import cells, count, month_of, suppress


def test_a_cell_of_3_is_suppressed_and_5_and_0_are_shown() -> None:
    assert suppress(3) is None
    assert suppress(4) is None
    assert suppress(5) == 5
    assert suppress(0) == 0
    row = cells({"courses_assigned": 3, "exercises_performed": 12}, actors=7, clients=1)
    assert row["courses_assigned"] is None
    assert row["exercises_performed"] == 12
    assert row["active_users"] == 7
    assert row["clients"] is None
    assert row["vr_sessions"] == 0


def test_events_are_counted_by_copenhagen_month_with_distinct_users_and_clients() -> None:
    late = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 November in Copenhagen
    events = [
        {"at": late, "action": "course.assigned", "actor": "u1", "client_id": "c1"},
        {"at": late, "action": "course.assigned", "actor": "u1", "client_id": "c2"},
        {"at": datetime(2026, 10, 5, tzinfo=UTC), "action": "remote_task.sent", "actor": "u2"},
        {"at": datetime(2026, 10, 6, tzinfo=UTC), "action": "client.read", "actor": "system"},
    ]
    months = count(events)
    assert month_of(late) == "2026-11"
    assert months["2026-11"].counts == {"courses_assigned": 2}
    assert months["2026-11"].actors == {"u1"}
    assert months["2026-11"].clients == {"c1", "c2"}
    assert months["2026-10"].counts == {"remote_tasks_sent": 1}
    assert months["2026-10"].actors == {"u2"}
