"""Subscription periods and cancellation deadlines: pure date arithmetic, no I/O.

A subscription runs in 12-month periods from its start, renewed automatically: period
n runs from `start + 12n months` up to (not including) `start + 12(n+1) months`
(python-dateutil's month arithmetic: a start on 29 February renews on 28 February).
Every deadline is a date in Europe/Copenhagen: a cancellation counts as received on the
Copenhagen date of its UTC moment, and is in time when that date is on or before the
deadline's `last_day`.

The two rules of the contracts (../shared/seeds):

* `end_of_tenth_month` (Konfront, § 11): "skriftligt i hænde senest ved udgangen af 10.
  kalendermåned i den igangværende 12 måneders abonnementsperiode". The calendar month in
  which a period starts counts as its first, so a period starting 1 January has its
  deadline on 31 October, and one starting 15 March on 31 December. In time, the
  subscription ends with that same period.
* `before_15th_of_new_period` (SkoleRo, § 11 and the subscription terms): "inden den 15. i
  første kalendermåned i en ny 12 måneders abonnementsperiode" ("herefter vil Kunden være
  forpligtet til at betale årsabonnementet"). "Before the 15th" means by the end of the
  14th. The first calendar month of the new period is the month it starts in when it
  starts before the 15th, else the month after (a 15th before the period's first day is
  not "in" the new period): a period starting 1 August has its deadline on 14 August, one
  starting 20 August on 14 September. In time, the renewal is void: the subscription ends
  with the period before (its end has passed by then, so access may close at once). The
  first period has no such deadline (nothing was renewed; the contract runs at least 12
  months).

A cancellation received after a deadline takes effect at the end of the next period:
for both rules it takes effect at the earliest period end whose deadline it still meets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
PERIOD_MONTHS = 12


class CancellationRule(StrEnum):
    END_OF_TENTH_MONTH = "end_of_tenth_month"  # Konfront
    BEFORE_15TH_OF_NEW_PERIOD = "before_15th_of_new_period"  # SkoleRo


@dataclass(frozen=True)
class Deadline:
    """The last day a cancellation may be received on, and the last day of the
    subscription when it is (`ends_on`, inclusive)."""

    last_day: date
    ends_on: date
    period: int  # the period this deadline belongs to


@dataclass(frozen=True)
class Effect:
    """What a cancellation received on `received_on` does."""

    received_on: date
    deadline: Deadline  # the deadline it meets
    late: bool  # it missed the deadline of the period it was received in

    @property
    def ends_on(self) -> date:
        return self.deadline.ends_on


def period_start(start: date, period: int) -> date:
    begins: date = start + relativedelta(months=PERIOD_MONTHS * period)
    return begins


def period_end(start: date, period: int) -> date:
    """The last day of the period (inclusive)."""
    return period_start(start, period + 1) - timedelta(days=1)


def period_of(start: date, day: date) -> int:
    """The period `day` falls in (0 for any day before the start)."""
    if day < start:
        return 0
    period = day.year - start.year  # at most one too many (a start later in the year)
    if period_start(start, period) > day:
        period -= 1
    return period


def deadline_of(rule: CancellationRule, start: date, period: int) -> Deadline | None:
    """The deadline that belongs to `period` (None: the first period under SkoleRo)."""
    begins = period_start(start, period)
    if rule is CancellationRule.END_OF_TENTH_MONTH:
        tenth = begins.replace(day=1) + relativedelta(months=10)  # first day of the 11th
        return Deadline(tenth - timedelta(days=1), period_end(start, period), period)
    if period == 0:
        return None
    month = begins.replace(day=1)
    if begins.day >= 15:
        month += relativedelta(months=1)
    last_day = month.replace(day=14)
    return Deadline(last_day, period_end(start, period - 1), period)


def next_deadline(rule: CancellationRule, start: date, today: date) -> Deadline:
    """The first deadline on or after `today`."""
    period = period_of(start, today)
    while True:
        found = deadline_of(rule, start, period)
        if found is not None and found.last_day >= today:
            return found
        period += 1


def received_on(moment: datetime) -> date:
    """The Copenhagen date of a moment (which must carry a time zone)."""
    if moment.tzinfo is None:
        raise ValueError("a moment without a time zone")
    return moment.astimezone(COPENHAGEN).date()


def cancellation(rule: CancellationRule, start: date, moment: datetime) -> Effect:
    """What a cancellation received at `moment` does: the deadline it meets and the last
    day of the subscription; `late` when it missed its own period's deadline."""
    day = max(received_on(moment), start)
    current = deadline_of(rule, start, period_of(start, day))
    met = next_deadline(rule, start, day)
    return Effect(
        received_on=received_on(moment), deadline=met, late=current is not None and current != met
    )
