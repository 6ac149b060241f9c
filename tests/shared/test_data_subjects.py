"""Deadlines of data-subject requests (GDPR Art. 12(3)) and when their reminders are due."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from shared.data_subjects import (
    DataSubjectRequest,
    Reminder,
    RequestKind,
    RequestStatus,
    due_thresholds,
    extended_deadline,
    first_deadline,
)


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (date(2027, 1, 15), date(2027, 2, 15)),
        (date(2027, 1, 31), date(2027, 2, 28)),  # February has no 31st: its last day
        (date(2028, 1, 31), date(2028, 2, 29)),  # a leap year
        (date(2027, 3, 31), date(2027, 4, 30)),
        (date(2027, 12, 31), date(2028, 1, 31)),  # across the new year
        (date(2027, 2, 28), date(2027, 3, 28)),  # the same date, not the month's end
    ],
)
def test_the_deadline_is_the_same_date_next_month_or_that_months_last_day(
    received: date, deadline: date
) -> None:
    assert first_deadline(received) == deadline


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        # Three months from receipt, not two months after the first deadline (28 April).
        (date(2027, 1, 31), date(2027, 4, 30)),
        (date(2027, 11, 30), date(2028, 2, 29)),
        (date(2027, 6, 10), date(2027, 9, 10)),
    ],
)
def test_an_extension_gives_two_further_months_counted_from_receipt(
    received: date, deadline: date
) -> None:
    assert extended_deadline(received) == deadline


def _request(deadline: date, *reminded: int, status: RequestStatus = RequestStatus.OPEN) -> Any:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    return DataSubjectRequest(
        id="r1",
        kind=RequestKind.ACCESS,
        received_on=date(2027, 1, 1),
        deadline=deadline,
        handler="u1",
        status=status,
        reminders=[Reminder(days_before=d, at=now, message_ids=[]) for d in reminded],
        created_by="u1",
        created_at=now,
    )


def test_reminders_fall_due_7_days_and_1_day_before_the_deadline_once_each() -> None:
    deadline = date(2027, 2, 1)
    assert due_thresholds(_request(deadline), date(2027, 1, 24)) == []
    assert due_thresholds(_request(deadline), date(2027, 1, 25)) == [7]
    assert due_thresholds(_request(deadline, 7), date(2027, 1, 30)) == []
    assert due_thresholds(_request(deadline, 7), date(2027, 1, 31)) == [1]
    assert due_thresholds(_request(deadline, 7, 1), date(2027, 2, 3)) == []


def test_a_missed_night_makes_every_passed_threshold_due_and_an_answered_request_none() -> None:
    deadline = date(2027, 2, 1)
    assert due_thresholds(_request(deadline), date(2027, 2, 1)) == [7, 1]
    answered = _request(deadline, status=RequestStatus.COMPLETED)
    assert due_thresholds(answered, date(2027, 1, 31)) == []
