"""The support terms of a tenant's contract (SPEC S-2): closed days and the priority table.

Part of the contract record (`shared.contracts.ContractTerms.support`): the support
hours themselves stay `ContractTerms.support_hours`. Each target of the priority table
has its own unit (support hours, working days or calendar hours), its own start event
(receipt, or confirmed receipt) and its own stop event (a named person has taken the
ticket and begun, or a fix is released). functions/support/sla/clock.py does the
arithmetic; the seeds' three tables are `SUPPORT_TERMS`, written as the contracts
write them.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Self

from pydantic import Field, model_validator

from shared.models import SLUG, Strict

MONTH_DAY = r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


class Unit(StrEnum):
    SUPPORT_HOURS = "support_hours"  # hours counted inside the support hours only
    WORKING_DAYS = "working_days"  # whole support days ("hverdage"), counted as support time
    CALENDAR_HOURS = "calendar_hours"  # elapsed hours ("døgn" = 24), nights and weekends too


class StartEvent(StrEnum):
    RECEIVED = "received"  # the supplier received the escalated ticket
    CONFIRMED = "confirmed"  # the supplier confirmed receipt (SkoleRo: an event of its own)


class StopEvent(StrEnum):
    WORK_STARTED = "work_started"  # a named person has taken the ticket and begun
    FIX_RELEASED = "fix_released"  # a fix is released (a resolution target)


class NamedDay(StrEnum):
    """Days a contract names, to add to or remove from the Danish public holidays."""

    NEW_YEARS_DAY = "new_years_day"
    PALM_SUNDAY = "palm_sunday"
    MAUNDY_THURSDAY = "maundy_thursday"
    GOOD_FRIDAY = "good_friday"
    EASTER_SUNDAY = "easter_sunday"
    EASTER_MONDAY = "easter_monday"
    GREAT_PRAYER_DAY = "great_prayer_day"  # Store Bededag: abolished from 2024
    ASCENSION_DAY = "ascension_day"
    WHIT_SUNDAY = "whit_sunday"
    WHIT_MONDAY = "whit_monday"
    CONSTITUTION_DAY = "constitution_day"
    CHRISTMAS_DAY = "christmas_day"
    SECOND_CHRISTMAS_DAY = "second_christmas_day"


def named_day(day: NamedDay, year: int) -> date:
    from dateutil.easter import easter

    fixed = {
        NamedDay.NEW_YEARS_DAY: (1, 1),
        NamedDay.CONSTITUTION_DAY: (6, 5),
        NamedDay.CHRISTMAS_DAY: (12, 25),
        NamedDay.SECOND_CHRISTMAS_DAY: (12, 26),
    }
    if day in fixed:
        return date(year, *fixed[day])
    offsets = {
        NamedDay.PALM_SUNDAY: -7,
        NamedDay.MAUNDY_THURSDAY: -3,
        NamedDay.GOOD_FRIDAY: -2,
        NamedDay.EASTER_SUNDAY: 0,
        NamedDay.EASTER_MONDAY: 1,
        NamedDay.GREAT_PRAYER_DAY: 26,  # the fourth Friday after Easter
        NamedDay.ASCENSION_DAY: 39,
        NamedDay.WHIT_SUNDAY: 49,
        NamedDay.WHIT_MONDAY: 50,
    }
    return easter(year) + timedelta(days=offsets[day])


class ClosedDays(Strict):
    """Danish public holidays (the `holidays` package), with the contract's own changes,
    plus the days the supplier closes (month-day, every year)."""

    public_holidays: bool = True
    add: list[NamedDay] = Field(default_factory=list, max_length=20)
    remove: list[NamedDay] = Field(default_factory=list, max_length=20)
    supplier_closed: list[Annotated[str, Field(pattern=MONTH_DAY)]] = Field(
        default_factory=list, max_length=30, description="MM-DD, e.g. 12-24"
    )
    extra_dates: list[date] = Field(default_factory=list, max_length=100)

    def dates(self, year: int) -> frozenset[date]:
        return _closed_dates(self.model_dump_json(), year)


@lru_cache(maxsize=64)
def _closed_dates(terms_json: str, year: int) -> frozenset[date]:
    import holidays  # only where the clock runs

    terms = ClosedDays.model_validate_json(terms_json)
    found: set[date] = set()
    if terms.public_holidays:
        found |= set(holidays.country_holidays("DK", years=year))
    found -= {named_day(day, year) for day in terms.remove}
    found |= {named_day(day, year) for day in terms.add}
    for month_day in terms.supplier_closed:
        month, day = (int(part) for part in month_day.split("-"))
        try:
            found.add(date(year, month, day))
        except ValueError:  # 02-29 in a common year
            continue
    found |= {day for day in terms.extra_dates if day.year == year}
    return frozenset(found)


class Target(Strict):
    """One row of the priority table."""

    priority: str = Field(pattern=SLUG, max_length=50)
    label: str = Field(min_length=1, max_length=300, description="as the contract writes it")
    amount: int = Field(ge=1, le=10_000)
    unit: Unit
    starts: StartEvent = StartEvent.RECEIVED
    stops: StopEvent = StopEvent.WORK_STARTED
    # Counted from receipt at any hour (SkoleRo's acute case not caused by the customer).
    around_the_clock: bool = False

    @property
    def resolution(self) -> bool:
        """A resolution clock pauses while waiting for the customer; a response clock not."""
        return self.stops is StopEvent.FIX_RELEASED


class SupportTerms(Strict):
    closed_days: ClosedDays = ClosedDays()
    targets: list[Target] = Field(min_length=1, max_length=20)
    # Incidents the customer caused leave the SLA and are billed by the hour (DKK).
    customer_caused_hourly_rate: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_row_per_priority(self) -> Self:
        names = [target.priority for target in self.targets]
        if len(names) != len(set(names)):
            raise ValueError("each priority appears once in the table")
        return self

    def target(self, priority: str) -> Target | None:
        return next((t for t in self.targets if t.priority == priority), None)


SUPPLIER_CLOSED = ["12-24", "12-31"]

# The seeds' tables (../shared/seeds), as the contracts write them.
SUPPORT_TERMS = {
    # Konfront, Bilag 4 "Serviceniveau": counted from receipt; stopped when a responsible
    # person is assigned and analysis and repair have begun.
    "konfront": SupportTerms(
        closed_days=ClosedDays(supplier_closed=SUPPLIER_CLOSED),
        customer_caused_hourly_rate=1500,
        targets=[
            Target(
                priority="kritisk",
                label="1. prioritet, kritisk support/fejl: tildelt en ansvarlig medarbejder og "
                "påbegyndt analyse og fejlrettelse inden for 2 timer efter modtagelsen",
                amount=2,
                unit=Unit.SUPPORT_HOURS,
            ),
            Target(
                priority="betydelig",
                label="1. prioritet, betydelig support/fejl: tildelt en ansvarlig medarbejder og "
                "påbegyndt analyse og fejlrettelse inden for 8 timer efter modtagelsen",
                amount=8,
                unit=Unit.SUPPORT_HOURS,
            ),
            Target(
                priority="prio-2",
                label="2. prioritet: fejl, der forhindrer en eller flere brugere i at arbejde på "
                "Platformen. Løsning påbegyndes inden for 1 dag",
                amount=1,
                unit=Unit.WORKING_DAYS,
            ),
            Target(
                priority="prio-3",
                label="3. prioritet: driftsforstyrrelser, der hindrer brugere i at anvende "
                "programmet optimalt. Løsning påbegyndes inden for 2 døgn",
                amount=48,
                unit=Unit.CALENDAR_HOURS,
            ),
        ],
    ),
    # SkoleRo, Bilag 4 1.4: counted from confirmed receipt; stopped when repair has begun.
    # Outside support time from the next working day, except the acute case not caused by
    # the customer: repair begun within 1 hour of receipt, at any hour.
    "skolero": SupportTerms(
        closed_days=ClosedDays(supplier_closed=SUPPLIER_CLOSED),
        customer_caused_hourly_rate=1500,
        targets=[
            Target(
                priority="akut",
                label="Akut tilfælde som ikke skyldes Kunden: fejlrettelse påbegyndes senest "
                "1 time efter modtagelse af henvendelse",
                amount=1,
                unit=Unit.CALENDAR_HOURS,
                around_the_clock=True,
            ),
            Target(
                priority="kritisk",
                label="1.4.1 Kritisk support/fejl: påbegynde fejlrettelse senest 1 time efter "
                "bekræftet modtagelse af henvendelse",
                amount=1,
                unit=Unit.SUPPORT_HOURS,
                starts=StartEvent.CONFIRMED,
            ),
            Target(
                priority="betydelig",
                label="1.4.2 Betydelig support/fejl: påbegynde fejlrettelse senest 2 timer efter "
                "bekræftet modtagelse af henvendelse",
                amount=2,
                unit=Unit.SUPPORT_HOURS,
                starts=StartEvent.CONFIRMED,
            ),
            Target(
                priority="forhindrer-brug",
                label="1.4.3 Fejl der forhindrer brug af Løsningen: påbegynde fejlrettelse senest "
                "2 timer efter bekræftet modtagelse af henvendelse",
                amount=2,
                unit=Unit.SUPPORT_HOURS,
                starts=StartEvent.CONFIRMED,
            ),
            Target(
                priority="paavirker-ikke-brug",
                label="1.4.4 Fejl/forstyrrelser der ikke påvirker brug af Løsningen: påbegynde "
                "fejlrettelse senest 1 døgn efter bekræftet modtagelse af henvendelse",
                amount=24,
                unit=Unit.CALENDAR_HOURS,
                starts=StartEvent.CONFIRMED,
            ),
        ],
    ),
    # Handsonsimply's SLA "Responstid": from when the incident is created until a fix is
    # released, in working days; its own list of holidays adds Palm Sunday and Store Bededag.
    "handsonsimply": SupportTerms(
        closed_days=ClosedDays(
            add=[NamedDay.PALM_SUNDAY, NamedDay.GREAT_PRAYER_DAY], supplier_closed=SUPPLIER_CLOSED
        ),
        targets=[
            Target(
                priority="meget-kritisk",
                label="Meget kritisk: en funktion er ikke tilgængelig, og der findes ikke en anden "
                "måde at foretage handlingen på. Responstid 2 hverdage",
                amount=2,
                unit=Unit.WORKING_DAYS,
                stops=StopEvent.FIX_RELEASED,
            ),
            Target(
                priority="kritisk",
                label="Kritisk: en given funktion kan ikke anvendes, men der findes en anden måde. "
                "Responstid 7 hverdage",
                amount=7,
                unit=Unit.WORKING_DAYS,
                stops=StopEvent.FIX_RELEASED,
            ),
            Target(
                priority="mindre-kritisk",
                label="Mindre kritisk: kosmetisk fejl uden driftsforstyrrende indvirkning. "
                "Responstid normalt inden for 30 hverdage",
                amount=30,
                unit=Unit.WORKING_DAYS,
                stops=StopEvent.FIX_RELEASED,
            ),
        ],
    ),
}
