"""The sub-processor gate's pure logic (shared/subprocessors.py): approvals, pending
changes and their effective date, objections, and an entry's status over time."""

from __future__ import annotations

from datetime import UTC, date, datetime

from shared.subprocessors import (
    AMAZON_SNS,
    SEED,
    Approval,
    Approvals,
    Objection,
    PendingApproval,
    Status,
    Subprocessor,
    approved_in,
    current_ids,
    materialise,
)

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
EFFECTIVE = date(2026, 4, 1)


def pending(change: str = "change-1") -> Approvals:
    return Approvals(pending={"new-sp": PendingApproval(change_id=change, effective_on=EFFECTIVE)})


def test_a_tenant_without_recorded_approvals_is_refused_nothing() -> None:
    assert approved_in(None, AMAZON_SNS, NOW.date())


def test_recorded_approvals_admit_only_what_they_name() -> None:
    approvals = Approvals(
        approved={"amazon-ses": Approval(approved_at=NOW, approved_by="o", source="dpa")}
    )
    assert approved_in(approvals, "amazon-ses", NOW.date())
    assert not approved_in(approvals, AMAZON_SNS, NOW.date())


def test_an_announced_sub_processor_is_approved_from_its_effective_date() -> None:
    assert not approved_in(pending(), "new-sp", date(2026, 3, 31))
    assert approved_in(pending(), "new-sp", EFFECTIVE)
    assert approved_in(pending(), "new-sp", date(2026, 5, 1))


def test_an_objection_keeps_the_announced_sub_processor_unapproved() -> None:
    objected = pending().model_copy(
        update={
            "objections": {
                "change-1": Objection(
                    subprocessor_id="new-sp", objected_at=NOW, objected_by="a", reason="nej"
                )
            }
        }
    )
    assert not approved_in(objected, "new-sp", date(2027, 1, 1))
    # Stored again, the pending approval of the objected change is gone for good.
    assert Approvals.model_validate(objected.model_dump()).pending == {}


def test_an_entry_is_planned_in_use_leaving_and_removed_by_its_dates() -> None:
    entry = Subprocessor(
        **SEED[3].model_dump(exclude={"id", "since", "until"}),
        id="x",
        since=date(2026, 4, 1),
        until=date(2026, 6, 1),
    )
    assert entry.status_on(date(2026, 3, 31)) is Status.PLANNED
    assert entry.status_on(date(2026, 4, 1)) is Status.LEAVING
    assert entry.status_on(date(2026, 6, 1)) is Status.REMOVED
    assert current_ids([entry], date(2026, 5, 1)) == ["x"]
    assert current_ids([entry], date(2026, 6, 1)) == []


def test_a_legacy_tenant_materialises_as_the_entries_in_use() -> None:
    planned = Subprocessor(
        **SEED[0].model_dump(exclude={"id", "since"}), id="later", since=EFFECTIVE
    )
    approvals = materialise(None, [*SEED, planned], NOW)
    assert sorted(approvals.approved) == sorted(s.id for s in SEED)
    assert {a.source for a in approvals.approved.values()} == {"legacy"}


def test_the_seed_names_every_required_service_and_each_channel() -> None:
    ids = {s.id for s in SEED}
    assert {"google-cloud", "firebase-auth", "amazon-ses", "amazon-sns"} == ids
    assert {s.id for s in SEED if s.required} == {"google-cloud", "firebase-auth"}
    assert all(e.location and e.transfer_basis and e.activity for e in SEED)
