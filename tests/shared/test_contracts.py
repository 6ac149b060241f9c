"""The contract record's model: identifiers, windows, support hours, notice recipients."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from pydantic import ValidationError

from shared.contracts import (
    MAINTENANCE_WINDOWS,
    SUPPORT_HOURS,
    ContactPerson,
    Contract,
    Customer,
    Licence,
    LocalWindow,
    NoticeTopic,
    SupportHours,
    gs1_check_digit,
    in_support_hours,
    recipients_of,
)
from shared.subscriptions import COPENHAGEN

SKOLERO_CVR = "45136639"  # the seeds' own CVR numbers
HANDSONSIMPLY_CVR = "35827218"
EAN = "5798000416604"


def local(*args: int) -> datetime:
    year, month, day, hour, minute = args
    return datetime(year, month, day, hour, minute, tzinfo=COPENHAGEN)


@pytest.mark.parametrize("cvr", [SKOLERO_CVR, HANDSONSIMPLY_CVR])
def test_real_cvr_numbers_pass_the_modulus_11_check(cvr: str) -> None:
    assert Customer(name="X", cvr=cvr).cvr == cvr


@pytest.mark.parametrize("cvr", ["45136638", "4513663", "451366390", "0513663a", "01000004"])
def test_a_cvr_number_failing_modulus_11_or_of_the_wrong_shape_is_refused(cvr: str) -> None:
    with pytest.raises(ValidationError, match="CVR"):
        Customer(name="X", cvr=cvr)


def test_an_ean_number_needs_its_gs1_check_digit() -> None:
    assert gs1_check_digit("579800041660") == 4
    assert gs1_check_digit("400638133393") == 1  # GS1's own worked example: 4006381333931
    assert Customer(name="X", cvr=SKOLERO_CVR, ean=EAN).ean == EAN
    for wrong in ("5798000416605", "579800041660", "57980004166041"):
        with pytest.raises(ValidationError, match="EAN"):
            Customer(name="X", cvr=SKOLERO_CVR, ean=wrong)


def test_a_licence_may_cover_every_professional_and_single_courses() -> None:
    licence = Licence(
        seats=None,
        period_start=date(2026, 8, 1),
        period_end=date(2027, 7, 31),
        courses=["angst-basis", "angst-basis"],
        client_ceiling=500,
    )
    assert (licence.seats, licence.courses) == (None, ["angst-basis"])
    with pytest.raises(ValidationError, match="slug"):
        Licence(seats=1, period_start=date(2026, 1, 1), period_end=date(2027, 1, 1), courses=["X"])


def test_the_seeds_maintenance_windows_including_the_one_past_midnight() -> None:
    konfront, handsonsimply = MAINTENANCE_WINDOWS["konfront"], MAINTENANCE_WINDOWS["handsonsimply"]
    assert konfront.contains(local(2026, 1, 15, 0, 0))
    assert konfront.contains(local(2026, 1, 15, 2, 59))
    assert not konfront.contains(local(2026, 1, 15, 3, 0))
    assert not konfront.contains(local(2026, 1, 14, 23, 30))
    assert handsonsimply.contains(local(2026, 1, 14, 23, 30))
    assert handsonsimply.contains(local(2026, 1, 15, 1, 59))
    assert not handsonsimply.contains(local(2026, 1, 15, 2, 0))
    assert not handsonsimply.contains(local(2026, 1, 14, 22, 59))
    # Summer time: 00:30 CEST is 22:30 UTC the evening before.
    assert konfront.contains(datetime(2026, 6, 30, 22, 30, tzinfo=UTC))
    with pytest.raises(ValidationError, match="differ"):
        LocalWindow(start=time(1), end=time(1))


def test_support_hours_are_weekdays_between_opening_and_closing_except_holidays() -> None:
    konfront = SUPPORT_HOURS["konfront"]
    assert in_support_hours(konfront, local(2026, 3, 4, 9, 0))  # a Wednesday
    assert in_support_hours(konfront, local(2026, 3, 4, 14, 59))
    assert not in_support_hours(konfront, local(2026, 3, 4, 15, 0))
    assert not in_support_hours(konfront, local(2026, 3, 4, 8, 59))
    assert not in_support_hours(konfront, local(2026, 3, 7, 10, 0))  # a Saturday
    assert not in_support_hours(konfront, local(2026, 4, 2, 10, 0))  # Maundy Thursday
    assert not in_support_hours(konfront, local(2026, 5, 14, 10, 0))  # Ascension Day
    assert in_support_hours(SUPPORT_HOURS["skolero"], local(2026, 3, 4, 7, 0))
    open_on_holidays = SupportHours(opens=time(9), closes=time(15), closed_on_public_holidays=False)
    assert in_support_hours(open_on_holidays, local(2026, 4, 2, 10, 0))
    # 08:30 UTC in winter is 09:30 in Copenhagen.
    assert in_support_hours(konfront, datetime(2026, 3, 4, 8, 30, tzinfo=UTC))
    with pytest.raises(ValueError, match="time zone"):
        in_support_hours(konfront, datetime(2026, 3, 4, 10, 0))
    with pytest.raises(ValidationError, match="before"):
        SupportHours(opens=time(17), closes=time(7))


def _person(name: str, email: str) -> dict[str, Any]:
    return {"name": name, "email": email}


def contract() -> Contract:
    return Contract.model_validate(
        {
            "customer": {"name": "Esbjerg Kommune", "cvr": SKOLERO_CVR, "ean": EAN},
            "contract_contacts": [_person("Karin Kontrakt", "Karin@Esbjerg.dk")],
            "dpa_contacts": [
                _person("Dorte DPO", "dpo@esbjerg.dk"),
                _person("Karin Kontrakt", "karin@esbjerg.dk"),
            ],
            "subscription": {"start": "2026-01-01", "cancellation_rule": "end_of_tenth_month"},
        }
    )


ADMINS = [ContactPerson(name="Anne Admin", email="anne@esbjerg.dk")]


def test_contract_notices_go_to_the_contract_contacts_only() -> None:
    found = recipients_of(contract(), ADMINS, NoticeTopic.CONTRACT)
    assert [(r.email, r.as_) for r in found] == [("karin@esbjerg.dk", ("contract",))]


def test_data_protection_notices_go_to_dpa_contacts_and_administrators_each_once() -> None:
    found = recipients_of(contract(), ADMINS, NoticeTopic.DATA_PROTECTION)
    assert [(r.email, r.as_) for r in found] == [
        ("dpo@esbjerg.dk", ("dpa",)),
        ("karin@esbjerg.dk", ("dpa",)),
        ("anne@esbjerg.dk", ("admin",)),
    ]
    every = recipients_of(contract(), ADMINS, NoticeTopic.OPERATIONS)
    assert [(r.email, r.as_) for r in every] == [
        ("karin@esbjerg.dk", ("contract", "dpa")),
        ("dpo@esbjerg.dk", ("dpa",)),
        ("anne@esbjerg.dk", ("admin",)),
    ]


def test_a_tenant_without_a_contract_record_gets_its_notices_through_its_administrators() -> None:
    for topic in NoticeTopic:
        assert [r.email for r in recipients_of(None, ADMINS, topic)] == ["anne@esbjerg.dk"]


def test_unknown_fields_in_the_terms_are_refused() -> None:
    from shared.contracts import ContractTerms

    data = contract().model_dump(mode="json", exclude={"dpa", "cancellation"})
    data = {k: v for k, v in data.items() if not k.startswith("dpa_recorded")}
    ContractTerms.model_validate(data)
    with pytest.raises(ValidationError):
        ContractTerms.model_validate({**data, "discount": 50})
