"""The business clock against the three seeded contracts (pure: no stack)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.support.sla.clock import Calendar, ClockError, due_at, elapsed
from shared.contracts import SUPPORT_HOURS, SupportHours, Weekday
from shared.subscriptions import COPENHAGEN
from shared.support_terms import SUPPORT_TERMS, ClosedDays, NamedDay, Target, Unit


def calendar(tenant: str) -> Calendar:
    return Calendar(SUPPORT_HOURS[tenant], SUPPORT_TERMS[tenant].closed_days)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=COPENHAGEN)


def target(tenant: str, priority: str) -> Target:
    found = SUPPORT_TERMS[tenant].target(priority)
    assert found is not None
    return found


# (tenant, priority, start event, expected due), in Copenhagen time. 2026: Easter Sunday
# 5 April, Whit Monday 25 May, DST begins 29 March and ends 25 October.
CASES = [
    # Konfront: Mon-Fri 09-15 (6 h a day), counted from receipt.
    ("konfront", "kritisk", local(2026, 3, 27, 14, 30), local(2026, 3, 30, 10, 30)),  # Fri 14:30
    ("konfront", "betydelig", local(2026, 3, 27, 14, 30), local(2026, 3, 31, 10, 30)),
    ("konfront", "prio-2", local(2026, 3, 27, 14, 30), local(2026, 3, 30, 14, 30)),  # "1 dag"
    # "2 døgn" over a weekend and the spring switch: 48 real hours, 15:30 on the wall
    ("konfront", "prio-3", local(2026, 3, 27, 14, 30), local(2026, 3, 29, 15, 30)),
    # ... and over the autumn switch: 48 real hours are 13:30 on the wall
    ("konfront", "prio-3", local(2026, 10, 23, 14, 30), local(2026, 10, 25, 13, 30)),
    ("konfront", "kritisk", local(2026, 3, 28, 10, 0), local(2026, 3, 30, 11, 0)),  # Saturday
    ("konfront", "prio-3", local(2026, 3, 28, 10, 0), local(2026, 4, 1, 9, 0)),  # from Monday
    ("konfront", "kritisk", local(2026, 3, 31, 23, 0), local(2026, 4, 1, 11, 0)),  # 23:00
    ("konfront", "kritisk", local(2026, 4, 2, 10, 0), local(2026, 4, 7, 11, 0)),  # Maundy Thu
    ("konfront", "kritisk", local(2026, 5, 25, 10, 0), local(2026, 5, 26, 11, 0)),  # Whit Mon
    ("konfront", "kritisk", local(2026, 12, 24, 10, 0), local(2026, 12, 28, 11, 0)),  # 24 Dec
    ("konfront", "kritisk", local(2026, 12, 31, 10, 0), local(2027, 1, 4, 11, 0)),  # 31 Dec
    ("konfront", "kritisk", local(2026, 5, 1, 10, 0), local(2026, 5, 1, 12, 0)),  # no Bededag
    ("konfront", "kritisk", local(2026, 10, 23, 14, 30), local(2026, 10, 26, 10, 30)),  # DST
    # SkoleRo: weekdays 07-17, counted from confirmed receipt.
    ("skolero", "kritisk", local(2026, 3, 27, 14, 30), local(2026, 3, 27, 15, 30)),
    ("skolero", "kritisk", local(2026, 3, 27, 16, 30), local(2026, 3, 30, 7, 30)),
    ("skolero", "betydelig", local(2026, 3, 28, 12, 0), local(2026, 3, 30, 9, 0)),  # Saturday
    ("skolero", "forhindrer-brug", local(2026, 3, 31, 23, 0), local(2026, 4, 1, 9, 0)),
    ("skolero", "paavirker-ikke-brug", local(2026, 3, 28, 10, 0), local(2026, 3, 31, 7, 0)),
    ("skolero", "kritisk", local(2026, 4, 2, 10, 0), local(2026, 4, 7, 8, 0)),  # Maundy Thu
    ("skolero", "kritisk", local(2026, 5, 25, 10, 0), local(2026, 5, 26, 8, 0)),  # Whit Mon
    ("skolero", "kritisk", local(2026, 12, 24, 10, 0), local(2026, 12, 28, 8, 0)),  # 24 Dec
    # the acute hour, around the clock: 03:00 on a Sunday (the spring switch's, too)
    ("skolero", "akut", local(2026, 11, 29, 3, 0), local(2026, 11, 29, 4, 0)),
    ("skolero", "akut", local(2026, 3, 29, 3, 0), local(2026, 3, 29, 4, 0)),
    ("skolero", "akut", local(2026, 12, 24, 23, 30), local(2026, 12, 25, 0, 30)),
    # Handsonsimply: Mon-Fri 08-16 (8 h), working days, its own holidays.
    ("handsonsimply", "meget-kritisk", local(2026, 3, 27, 14, 30), local(2026, 3, 31, 14, 30)),
    # 2 working days spanning Easter (Thu, Fri, Mon closed)
    ("handsonsimply", "meget-kritisk", local(2026, 4, 1, 12, 0), local(2026, 4, 8, 12, 0)),
    ("handsonsimply", "kritisk", local(2026, 3, 27, 14, 30), local(2026, 4, 10, 14, 30)),
    # Store Bededag (1 May 2026) is still closed under this contract
    ("handsonsimply", "meget-kritisk", local(2026, 4, 30, 12, 0), local(2026, 5, 5, 12, 0)),
    ("handsonsimply", "meget-kritisk", local(2026, 3, 28, 10, 0), local(2026, 3, 31, 16, 0)),
    ("handsonsimply", "meget-kritisk", local(2026, 3, 31, 23, 0), local(2026, 4, 7, 16, 0)),
    ("handsonsimply", "meget-kritisk", local(2026, 5, 25, 10, 0), local(2026, 5, 27, 16, 0)),
    ("handsonsimply", "meget-kritisk", local(2026, 12, 24, 10, 0), local(2026, 12, 29, 16, 0)),
    ("handsonsimply", "meget-kritisk", local(2026, 10, 23, 14, 30), local(2026, 10, 27, 14, 30)),
]


@pytest.mark.parametrize(("tenant", "priority", "event", "due"), CASES)
def test_due_times_of_the_seeded_contracts(
    tenant: str, priority: str, event: datetime, due: datetime
) -> None:
    assert due_at(target(tenant, priority), event, calendar(tenant)) == due


def test_the_warning_comes_at_three_quarters_of_the_target() -> None:
    # Konfront critical from Friday 14:30: 1.5 of 2 support hours (0.5 on Friday) is Monday 10:00
    warn = due_at(
        target("konfront", "kritisk"),
        local(2026, 3, 27, 14, 30),
        calendar("konfront"),
        fraction=0.75,
    )
    assert warn == local(2026, 3, 30, 10, 0)


def test_waiting_for_the_customer_pauses_a_resolution_clock() -> None:
    filed = local(2026, 11, 23, 8, 0)  # Monday
    pause = (local(2026, 11, 23, 12, 0), local(2026, 11, 24, 12, 0))  # 8 support hours
    due = due_at(
        target("handsonsimply", "meget-kritisk"), filed, calendar("handsonsimply"), [pause]
    )
    assert due == local(2026, 11, 25, 16, 0)


def test_waiting_for_the_customer_does_not_pause_a_response_clock() -> None:
    filed = local(2026, 11, 23, 9, 0)
    pause = (local(2026, 11, 23, 9, 30), local(2026, 11, 24, 12, 0))
    assert due_at(target("konfront", "kritisk"), filed, calendar("konfront"), [pause]) == local(
        2026, 11, 23, 11, 0
    )


def test_a_resolution_clock_still_waiting_has_no_due_time() -> None:
    filed = local(2026, 11, 23, 8, 0)
    pause = (local(2026, 11, 23, 12, 0), None)
    assert (
        due_at(target("handsonsimply", "kritisk"), filed, calendar("handsonsimply"), [pause])
        is None
    )


def test_a_pause_after_the_due_time_does_not_move_it() -> None:
    filed = local(2026, 11, 23, 8, 0)
    pause = (local(2026, 11, 26, 9, 0), None)
    assert due_at(
        target("handsonsimply", "meget-kritisk"), filed, calendar("handsonsimply"), [pause]
    ) == local(2026, 11, 24, 16, 0)


def test_elapsed_is_the_fraction_of_the_target_run_and_skips_pauses() -> None:
    cal = calendar("handsonsimply")
    rule = target("handsonsimply", "meget-kritisk")
    filed = local(2026, 11, 23, 8, 0)
    assert elapsed(rule, filed, local(2026, 11, 23, 16, 0), cal) == pytest.approx(0.5)
    pause = (local(2026, 11, 23, 12, 0), local(2026, 11, 24, 8, 0))
    assert elapsed(rule, filed, local(2026, 11, 23, 16, 0), cal, [pause]) == pytest.approx(0.25)
    assert elapsed(rule, filed, local(2026, 11, 25, 8, 0), cal) == pytest.approx(1.0)


def test_contract_holidays_add_and_remove_named_days() -> None:
    assert date(2026, 5, 1) not in ClosedDays().dates(2026)  # Store Bededag abolished
    assert date(2023, 5, 5) in ClosedDays().dates(2023)
    hands = SUPPORT_TERMS["handsonsimply"].closed_days.dates(2026)
    assert {date(2026, 5, 1), date(2026, 3, 29), date(2026, 12, 24)} <= hands
    fewer = ClosedDays(remove=[NamedDay.GOOD_FRIDAY]).dates(2026)
    assert date(2026, 4, 3) not in fewer
    assert date(2026, 4, 2) in fewer
    assert date(2026, 6, 5) in ClosedDays(add=[NamedDay.CONSTITUTION_DAY]).dates(2026)


def test_a_calendar_without_openings_is_refused() -> None:
    every_day = [date(2026, 1, 1) + timedelta(days=n) for n in range(100)]
    cal = Calendar(
        SupportHours(
            days=[Weekday.MONDAY],
            opens=datetime(2026, 1, 1, 9).time(),
            closes=datetime(2026, 1, 1, 10).time(),
        ),
        ClosedDays(extra_dates=every_day),
    )
    rule = Target(priority="x", label="x", amount=1, unit=Unit.SUPPORT_HOURS)
    assert due_at(rule, local(2026, 1, 1, 9), cal) == local(2026, 4, 13, 10)
    with pytest.raises(ClockError):
        due_at(rule, datetime(2026, 1, 1, 9), cal)  # no time zone


def test_the_seeds_tables_are_written_as_the_contracts_write_them() -> None:
    rows = {
        tenant: [
            (t.priority, t.amount, t.unit, t.starts, t.stops, t.around_the_clock)
            for t in terms.targets
        ]
        for tenant, terms in SUPPORT_TERMS.items()
    }
    assert rows["konfront"] == [
        ("kritisk", 2, "support_hours", "received", "work_started", False),
        ("betydelig", 8, "support_hours", "received", "work_started", False),
        ("prio-2", 1, "working_days", "received", "work_started", False),
        ("prio-3", 48, "calendar_hours", "received", "work_started", False),
    ]
    assert rows["skolero"] == [
        ("akut", 1, "calendar_hours", "received", "work_started", True),
        ("kritisk", 1, "support_hours", "confirmed", "work_started", False),
        ("betydelig", 2, "support_hours", "confirmed", "work_started", False),
        ("forhindrer-brug", 2, "support_hours", "confirmed", "work_started", False),
        ("paavirker-ikke-brug", 24, "calendar_hours", "confirmed", "work_started", False),
    ]
    assert rows["handsonsimply"] == [
        ("meget-kritisk", 2, "working_days", "received", "fix_released", False),
        ("kritisk", 7, "working_days", "received", "fix_released", False),
        ("mindre-kritisk", 30, "working_days", "received", "fix_released", False),
    ]


# -- properties ----------------------------------------------------------------------------

moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31)).map(
    lambda m: m.replace(second=0, microsecond=0, tzinfo=UTC)
)
tenants = st.sampled_from(sorted(SUPPORT_TERMS))
durations = st.integers(min_value=0, max_value=200 * 60).map(lambda minutes: minutes * 60.0)


@settings(max_examples=300, deadline=None)
@given(tenant=tenants, moment=moments, seconds=durations)
def test_adding_then_measuring_support_time_round_trips(
    tenant: str, moment: datetime, seconds: float
) -> None:
    cal = calendar(tenant)
    later = cal.add(moment, seconds)
    assert later >= moment
    assert cal.between(moment, later) == pytest.approx(seconds)


@settings(max_examples=300, deadline=None)
@given(tenant=tenants, first=moments, last=moments)
def test_measuring_then_adding_lands_on_the_last_open_moment(
    tenant: str, first: datetime, last: datetime
) -> None:
    cal = calendar(tenant)
    measured = cal.between(first, last)
    landed = cal.add(first, measured)
    if measured == 0:  # nothing open in between: adding nothing waits for the opening
        assert landed == cal.next_opening(first)
        return
    assert first < landed <= last
    assert cal.between(landed, last) == 0  # only closed time after it


@settings(max_examples=200, deadline=None)
@given(tenant=tenants, moment=moments, data=st.data())
def test_a_support_time_due_time_is_inside_support_hours(
    tenant: str, moment: datetime, data: st.DataObject
) -> None:
    cal = calendar(tenant)
    rule = data.draw(st.sampled_from(SUPPORT_TERMS[tenant].targets))
    due = due_at(rule, moment, cal)
    assert due is not None
    if rule.unit is not Unit.CALENDAR_HOURS:
        before = due - timedelta(seconds=1)
        assert cal.is_open(before)  # the last second counted was support time
        assert elapsed(rule, moment, due, cal) == pytest.approx(1.0)
