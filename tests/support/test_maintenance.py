"""The nightly maintenance window: deadline by 03:00 Copenhagen, idempotent batched jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import chain, repeat

import pytest

from functions.support.maintenance.runner import JOBS, run_deadline, run_nightly
from shared.gcp import firestore_client
from shared.messaging import retention
from shared.messaging.models import MESSAGES, Channel, MessageRecord, MessageRequest, MessageState
from shared.messaging.retention import MESSAGE_RETENTION
from shared.tenancy import TenantData
from tests.helpers import call, create_tenant, unique


@pytest.mark.parametrize(
    ("now", "deadline"),
    [
        # Winter (CET, UTC+1): 00:10 local is 23:10 UTC; the window ends 02:00 UTC.
        (datetime(2026, 1, 14, 23, 10, tzinfo=UTC), datetime(2026, 1, 15, 2, 0, tzinfo=UTC)),
        # Summer (CEST, UTC+2): 02:59 local is 00:59 UTC; the window ends 01:00 UTC.
        (datetime(2026, 7, 1, 0, 59, tzinfo=UTC), datetime(2026, 7, 1, 1, 0, tzinfo=UTC)),
        # Outside the window (a manual run at 14:00 local): one hour.
        (datetime(2026, 7, 1, 12, 0, tzinfo=UTC), datetime(2026, 7, 1, 13, 0, tzinfo=UTC)),
    ],
)
def test_the_deadline_is_03_00_copenhagen_inside_the_window(
    now: datetime, deadline: datetime
) -> None:
    assert run_deadline(now) == deadline


def _message(
    tenant: TenantData, state: MessageState, age: timedelta, send_at: datetime | None = None
) -> str:
    message_id = unique("msg")
    when = datetime.now(UTC) - age
    request = MessageRequest(
        id=message_id,
        tenant_id=tenant.tenant_id,
        channel=Channel.EMAIL,
        to="x@example.dk",
        kind="password_reset",
        subject="Nulstil",
        text="l",
        html="<p>l</p>",
    )
    record = MessageRecord(
        request=request, state=state, created_at=when, updated_at=when, scheduled_for=send_at
    )
    tenant.document(MESSAGES, message_id).set(record.to_firestore())
    return message_id


@pytest.mark.usefixtures("stack")
def test_old_finished_messages_are_purged_and_everything_else_kept() -> None:
    db = firestore_client()
    a, b = TenantData(db, create_tenant()), TenantData(db, create_tenant())
    old = MESSAGE_RETENTION + timedelta(days=1)
    purged = [
        _message(a, MessageState.SENT, old),
        _message(a, MessageState.FAILED, old),
        _message(b, MessageState.SENT, old),
    ]
    recent = _message(a, MessageState.SENT, timedelta(hours=1))
    stalled = _message(b, MessageState.QUEUED, timedelta(days=2))
    sending = _message(b, MessageState.SENDING, timedelta(days=2))

    report = run_nightly(db)

    jobs = {job.name: job for job in report.jobs}
    assert all(job.finished for job in report.jobs)
    assert jobs["purge_old_messages"].processed >= 3
    assert jobs["fail_stalled_messages"].processed >= 2
    for tenant, message_id in [(a, purged[0]), (a, purged[1]), (b, purged[2])]:
        assert not tenant.document(MESSAGES, message_id).get().exists
    assert a.document(MESSAGES, recent).get().get("state") == "sent"
    for message_id in (stalled, sending):  # lost on the way: failed, with the reason
        lost = b.document(MESSAGES, message_id).get()
        assert lost.get("state") == "failed"
        assert "not delivered within 1 day" in lost.get("failure_reason")
    [event] = [e.to_dict() for e in a.collection("events").get()]
    assert event is not None
    assert event["action"] == "maintenance.messages_purged"
    assert event["details"]["count"] == 2
    actions = sorted((e.to_dict() or {})["action"] for e in b.collection("events").get())
    assert actions == ["maintenance.messages_purged", "maintenance.messages_stalled"]


@pytest.mark.usefixtures("stack")
def test_a_job_past_the_deadline_stops_cleanly_and_touches_nothing() -> None:
    db = firestore_client()
    tenant = TenantData(db, create_tenant())
    message_id = _message(tenant, MessageState.SENT, MESSAGE_RETENTION + timedelta(days=1))
    start = datetime(2026, 1, 15, 1, 59, 59, tzinfo=UTC)  # 02:59:59 Copenhagen
    ticks = chain([start, start + timedelta(seconds=2)], repeat(start + timedelta(hours=1)))

    report = run_nightly(db, clock=lambda: next(ticks))

    assert [(j.processed, j.finished) for j in report.jobs] == [(0, False)] * len(JOBS)
    assert tenant.document(MESSAGES, message_id).get().exists


@pytest.mark.usefixtures("stack")
def test_the_scheduler_target_runs_the_jobs() -> None:
    reply = call("POST", "/nightly_maintenance/")
    assert reply.status_code == 200
    names = [job["name"] for job in reply.json()["jobs"]]
    assert names == [
        "resume_erasures",
        "roll_back_stalled_member_creations",
        "fail_stalled_messages",
        "purge_old_messages",
        "purge_rate_limits",
        "purge_vr_sessions",
        "purge_idempotency_keys",
        "purge_old_tickets",
        "purge_old_quarantine",
        "remind_request_deadlines",
        "remind_cancellation_deadlines",
        "remind_wellbeing_checks",
        "remind_own_checks",
        "remind_own_programmes",
        "count_usage",
        "run_restores",
        "apply_client_retention",
        "erase_terminated_tenants",
        "remove_left_over_drill_copies",
        "backup_tenants",
        "run_migrations",
        "purge_old_backups",
        "observe_backup_ages",
        "drill_restores",
        "build_tenant_exports",
    ]


@pytest.mark.usefixtures("stack")
def test_a_job_cut_off_by_the_deadline_stops_between_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = firestore_client()
    tenant = TenantData(db, create_tenant())
    for _ in range(3):
        _message(tenant, MessageState.SENT, MESSAGE_RETENTION + timedelta(days=1))
    monkeypatch.setattr(retention, "BATCH", 1)
    now = datetime.now(UTC)
    deadline = now + timedelta(minutes=1)
    # The cutoff, one batch's check and the final check: then time has run out.
    ticks = iter([now, now, now + timedelta(minutes=2)] + [deadline] * 10)

    result = retention.purge_old_messages(db, deadline, lambda: next(ticks))

    assert (result.processed, result.finished) == (1, False)
    assert len(tenant.collection(MESSAGES).get()) >= 2  # the rest waits for the next night


@pytest.mark.usefixtures("stack")
def test_spent_rate_limit_counters_are_purged() -> None:
    db = firestore_client()
    spent, live = unique("spent"), unique("live")
    now = datetime.now(UTC)
    db.collection("rate_limits").document(spent).set(
        {"count": 3, "expires_at": now - timedelta(hours=1)}
    )
    db.collection("rate_limits").document(live).set(
        {"count": 3, "expires_at": now + timedelta(hours=1)}
    )
    jobs = {job.name: job for job in run_nightly(db).jobs}
    assert jobs["purge_rate_limits"].finished
    assert not db.collection("rate_limits").document(spent).get().exists
    assert db.collection("rate_limits").document(live).get().exists


@pytest.mark.usefixtures("stack")
def test_a_message_scheduled_for_later_is_waiting_not_stalled() -> None:
    db = firestore_client()
    tenant = TenantData(db, create_tenant())
    later = datetime.now(UTC) + timedelta(days=10)
    waiting = _message(tenant, MessageState.QUEUED, timedelta(days=2), send_at=later)
    overdue_at = datetime.now(UTC) - timedelta(days=2)
    overdue = _message(tenant, MessageState.QUEUED, timedelta(days=3), send_at=overdue_at)

    run_nightly(db)

    assert tenant.document(MESSAGES, waiting).get().get("state") == "queued"
    assert tenant.document(MESSAGES, overdue).get().get("state") == "failed"
