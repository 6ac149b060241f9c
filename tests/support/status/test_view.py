"""What the page shows at a moment (pure: no stack): maintenance moves on its own times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from functions.support.status.models import (
    Component,
    ComponentState,
    Maintenance,
    MaintenanceStatus,
    StateChange,
    Summary,
    Text,
)
from functions.support.status.view import build, summary_json

START = datetime(2026, 6, 10, 22, 0, tzinfo=UTC)  # 00:00 in Copenhagen (summer time)
DESCRIPTIONS = {state.value: state.value for state in ComponentState}


def summary(**extra: Any) -> Summary:
    maintenance = Maintenance(
        id="m1",
        title=Text(da="Opdatering"),
        description=Text(da="Kort nedetid"),
        components=[Component.CLIENT_WORK],
        starts_at=START,
        ends_at=START + timedelta(hours=1),
        announced_at=START - timedelta(days=6),
        announced_by="staff",
        **extra,
    )
    return Summary(maintenances=[maintenance])


def state(at: datetime, found: Summary | None = None) -> tuple[MaintenanceStatus | None, str]:
    view = build(found or summary(), at)
    shown = [s for _, s in view.maintenances] + [s for _, s in view.past_maintenances]
    client_work = next(c for c in view.components if c.id is Component.CLIENT_WORK)
    return (shown[0] if shown else None), client_work.state.value


def test_maintenance_is_scheduled_then_in_progress_then_completed_on_its_own_times() -> None:
    assert state(START - timedelta(seconds=1)) == (MaintenanceStatus.SCHEDULED, "operational")
    assert state(START) == (MaintenanceStatus.IN_PROGRESS, "under_maintenance")
    assert state(START + timedelta(minutes=59)) == (
        MaintenanceStatus.IN_PROGRESS,
        "under_maintenance",
    )
    assert state(START + timedelta(hours=1)) == (MaintenanceStatus.COMPLETED, "operational")


def test_the_json_lists_maintenance_until_it_completes_and_the_indicator_follows() -> None:
    during = summary_json(build(summary(), START), "da", "https://x/", DESCRIPTIONS)
    assert [m["status"] for m in during["scheduled_maintenances"]] == ["in_progress"]
    assert during["status"]["indicator"] == "maintenance"
    after = summary_json(
        build(summary(), START + timedelta(hours=2)), "da", "https://x/", DESCRIPTIONS
    )
    assert after["scheduled_maintenances"] == []
    assert after["status"]["indicator"] == "none"


def test_a_cancelled_maintenance_is_never_shown_as_running() -> None:
    cancelled = summary(cancelled_at=START - timedelta(days=1))
    assert state(START, cancelled) == (None, "operational")


def test_an_outage_during_maintenance_shows_as_the_outage() -> None:
    found = summary()
    found.changes = [
        StateChange(
            component=Component.CLIENT_WORK,
            state=ComponentState.MAJOR_OUTAGE,
            at=START + timedelta(minutes=5),
            source="test",
        )
    ]
    assert state(START + timedelta(minutes=10), found)[1] == "major_outage"
    assert state(START + timedelta(minutes=1), found)[1] == "under_maintenance"
