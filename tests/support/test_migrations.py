"""Data migrations (M-3): batches whose cursor commits with the documents, each
tenant's window, failures that stop a tenant's later migrations but no other tenant."""

from __future__ import annotations

import logging
import os
import pkgutil
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from functions.clients.clients import search
from functions.clients.models import ClientQuery
from functions.support.maintenance import migrations
from functions.support.maintenance.migrations import __main__ as cli
from functions.support.maintenance.migrations import m0001_client_search_keys
from functions.support.maintenance.migrations.engine import load_state, migrate_tenant
from functions.support.maintenance.migrations.job import migrate_tenants
from functions.support.maintenance.migrations.registry import MIGRATIONS
from functions.support.maintenance.runner import JOBS
from functions.support.maintenance.windows import closes_at
from shared.clients import search_fields
from shared.contracts import LocalWindow, contract_ref
from shared.gcp import firestore_client
from shared.observability import metrics
from shared.tenancy import TenantData
from tests.crash import ROOT
from tests.helpers import create_tenant
from tests.support.migration_fixtures import COUNT, COUNTED, FAIL_ON_MARK, KILLED_RUN

CPH = ZoneInfo("Europe/Copenhagen")
NIGHT = datetime(2026, 1, 15, 0, 30, tzinfo=CPH)  # inside the default window 00:00-03:00


def at(moment: datetime) -> Any:
    return lambda: moment.astimezone(UTC)


def old_client(tenant: TenantData, client_id: str, name: str) -> None:
    """A client as written before word-prefix search: no search_prefixes."""
    tenant.document("clients", client_id).set(
        {
            "profile": {"name": name},
            "contacts": [],
            "search_name": " ".join(name.lower().split()),
            "pseudonymised": False,
            "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
        }
    )


def counted(tenant: TenantData, n: int) -> None:
    batch = tenant.db.batch()
    for i in range(n):
        batch.set(tenant.document(COUNTED, f"d{i:03}"), {"n": i})
    batch.commit()


def documents(tenant: TenantData, collection: str) -> dict[str, dict[str, Any]]:
    return {s.id: s.to_dict() or {} for s in tenant.collection(collection).get()}


# -- pure ----------------------------------------------------------------------------------


def test_migrations_are_numbered_in_order_and_every_module_is_registered() -> None:
    names = [m.name for m in MIGRATIONS]
    assert names == sorted(names)
    assert len(set(names)) == len(names)
    assert all(n[:4].isdigit() and n[4] == "_" for n in names)
    modules = [
        info.name.removeprefix("m")
        for info in pkgutil.iter_modules(migrations.__path__)
        if info.name[0] == "m" and info.name[1:5].isdigit()
    ]
    assert sorted(modules) == names
    assert any(job.__name__ == "run_migrations" for job in JOBS)


def test_migration_0001_writes_the_search_keys_once_and_then_finds_nothing_to_do() -> None:
    old = {"profile": {"name": "Ida  Jensen"}, "search_name": "ida jensen"}
    change = m0001_client_search_keys.change(old)
    assert change == search_fields("Ida  Jensen")
    assert change is not None
    assert "jen" in change["search_prefixes"]
    assert m0001_client_search_keys.change(old | change) is None
    assert m0001_client_search_keys.change({"erasing": True}) is None


@pytest.mark.parametrize(
    ("window", "now", "closes"),
    [
        ((0, 3), datetime(2026, 1, 15, 0, 30), datetime(2026, 1, 15, 3, 0)),
        ((0, 3), datetime(2026, 7, 1, 2, 59), datetime(2026, 7, 1, 3, 0)),  # summer time
        ((0, 3), datetime(2026, 1, 15, 3, 0), None),
        ((23, 2), datetime(2026, 1, 14, 23, 30), datetime(2026, 1, 15, 2, 0)),
        ((23, 2), datetime(2026, 1, 15, 1, 0), datetime(2026, 1, 15, 2, 0)),
        ((23, 2), datetime(2026, 1, 15, 2, 30), None),
    ],
)
def test_the_window_closes_at_its_local_end_even_past_midnight(
    window: tuple[int, int], now: datetime, closes: datetime | None
) -> None:
    local = LocalWindow(start=time(window[0]), end=time(window[1]))
    expected = None if closes is None else closes.replace(tzinfo=CPH).astimezone(UTC)
    assert closes_at(local, now.replace(tzinfo=CPH).astimezone(UTC)) == expected


# -- against the emulators -----------------------------------------------------------------


@pytest.mark.usefixtures("stack")
def test_an_old_client_is_found_by_a_word_only_after_migration_0001() -> None:
    tenant = TenantData(firestore_client(), create_tenant())
    old_client(tenant, "c-old", "Ida Jensen")
    assert search(tenant, ClientQuery(q="jen")).clients == []  # what users saw before

    result = migrate_tenants(
        tenant.db,
        NIGHT.astimezone(UTC) + timedelta(hours=1),
        at(NIGHT),
        tenant_ids=[tenant.tenant_id],
    )

    assert result.finished
    assert result.failures == []
    assert [c.id for c in search(tenant, ClientQuery(q="jen")).clients] == ["c-old"]
    assert "0001_client_search_keys" in load_state(tenant).applied


@pytest.mark.usefixtures("stack")
def test_a_run_killed_between_batches_at_three_points_ends_as_an_uninterrupted_run() -> None:
    db = firestore_client()
    killed, whole = (TenantData(db, create_tenant()) for _ in range(2))
    for tenant in (killed, whole):
        counted(tenant, 23)  # 5 batches of 5
        for i in range(12):  # 3 batches of 5
            old_client(tenant, f"c{i:02}", f"Klient Nummer{i}")
    migrate_tenant(db, whole.tenant_id, migrations=KILLED_RUN, batch=5)

    def killed_at(point: str) -> None:
        child = subprocess.run(
            [sys.executable, "-m", "tests.support.migration_fixtures", killed.tenant_id, "5"],
            cwd=ROOT,
            env={**os.environ, "TRIVSEL_CRASH_AT": point},
            capture_output=True,
            timeout=120,
        )
        assert child.returncode == -9, child.stderr.decode()[-2000:]

    killed_at("migrations.before_batch")  # before its first batch: nothing written
    assert load_state(killed).running is None
    assert all("applied" not in d for d in documents(killed, COUNTED).values())
    killed_at("migrations.after_commit")  # one batch committed, cursor with it
    killed_at("migrations.after_commit")
    running = load_state(killed).running
    assert running is not None
    assert (running.migration, running.scanned) == (COUNT.name, 10)
    killed_at("migrations.between_migrations")  # the counting one done, the keys not begun
    assert list(load_state(killed).applied) == [COUNT.name]
    killed_at("migrations.after_commit")  # inside the real one
    migrate_tenant(db, killed.tenant_id, migrations=KILLED_RUN, batch=5)  # unarmed: the rest

    assert {d["applied"] for d in documents(killed, COUNTED).values()} == {1}  # each once
    for collection in (COUNTED, "clients"):
        assert documents(killed, collection) == documents(whole, collection)
    done, expected = load_state(killed), load_state(whole)
    assert done.running is None
    assert done.failure is None
    assert (
        {k: (v.scanned, v.changed) for k, v in done.applied.items()}
        == {k: (v.scanned, v.changed) for k, v in expected.applied.items()}
        == {COUNT.name: (23, 23), "0001_client_search_keys": (12, 12)}
    )


@pytest.mark.usefixtures("stack")
def test_a_deadline_in_the_past_does_nothing() -> None:
    tenant = TenantData(firestore_client(), create_tenant())
    counted(tenant, 3)

    result = migrate_tenants(
        tenant.db,
        NIGHT.astimezone(UTC) - timedelta(seconds=1),
        at(NIGHT),
        tenant_ids=[tenant.tenant_id],
        migrations=(COUNT,),
    )

    assert (result.processed, result.finished) == (0, False)
    assert not tenant.document("migrations", "state").get().exists
    assert all("applied" not in d for d in documents(tenant, COUNTED).values())


@pytest.mark.usefixtures("stack")
def test_a_failing_migration_stops_later_ones_and_is_reported_while_another_tenant_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = firestore_client()
    broken, fine = TenantData(db, create_tenant()), TenantData(db, create_tenant())
    for tenant in (broken, fine):
        counted(tenant, 4)
    broken.document(COUNTED, "d002").update({"mark": True})
    before = metrics.value(
        metrics.snapshot(), metrics.MIGRATION_FAILURES, tenant_id=broken.tenant_id
    )

    with caplog.at_level(logging.ERROR):
        result = migrate_tenants(
            db,
            NIGHT.astimezone(UTC) + timedelta(hours=1),
            at(NIGHT),
            tenant_ids=[broken.tenant_id, fine.tenant_id],
            migrations=(FAIL_ON_MARK, COUNT),
        )

    assert result.failures == [f"{broken.tenant_id}/{FAIL_ON_MARK.name}"]
    state = load_state(broken)
    assert state.failure is not None
    assert state.failure.migration == FAIL_ON_MARK.name
    assert "ValueError: this document cannot be migrated" in state.failure.error
    assert state.applied == {}  # the later one did not run
    assert all("applied" not in d for d in documents(broken, COUNTED).values())
    assert set(load_state(fine).applied) == {FAIL_ON_MARK.name, COUNT.name}
    assert {d["applied"] for d in documents(fine, COUNTED).values()} == {1}
    after = metrics.value(
        metrics.snapshot(), metrics.MIGRATION_FAILURES, tenant_id=broken.tenant_id
    )
    assert after == before + 1
    assert any(
        FAIL_ON_MARK.name in r.getMessage() and broken.tenant_id in r.getMessage()
        for r in caplog.records
    )


@pytest.mark.usefixtures("stack")
def test_outside_its_window_a_tenant_is_not_migrated() -> None:
    db = firestore_client()
    default, late = TenantData(db, create_tenant()), TenantData(db, create_tenant())
    contract_ref(late).set({"maintenance_window": {"start": "23:00:00", "end": "02:00:00"}})
    for tenant in (default, late):
        counted(tenant, 2)

    def run(moment: datetime) -> None:
        result = migrate_tenants(
            db,
            moment.astimezone(UTC) + timedelta(hours=1),
            at(moment),
            tenant_ids=[default.tenant_id, late.tenant_id],
            migrations=(COUNT,),
        )
        assert result.finished

    def migrated() -> set[str]:
        return {t.tenant_id for t in (default, late) if load_state(t).applied}

    run(datetime(2026, 1, 15, 14, 0, tzinfo=CPH))  # afternoon: neither window is open
    run(datetime(2026, 1, 15, 2, 30, tzinfo=CPH))  # only the default window is open
    assert migrated() == {default.tenant_id}
    run(datetime(2026, 1, 15, 23, 30, tzinfo=CPH))  # only the late one's
    assert migrated() == {default.tenant_id, late.tenant_id}
    assert {d["applied"] for t in (default, late) for d in documents(t, COUNTED).values()} == {1}


@pytest.mark.usefixtures("stack")
def test_the_status_command_lists_applied_and_pending_and_run_applies_them(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    tenant = TenantData(firestore_client(), create_tenant())
    old_client(tenant, "c1", "Bo Berg")

    cli.main(["status", "--tenant", tenant.tenant_id])
    before = capsys.readouterr().out
    cli.main(["run", "--tenant", tenant.tenant_id])
    capsys.readouterr()
    cli.main(["status", "--tenant", tenant.tenant_id])
    after = capsys.readouterr().out

    row = [line for line in before.splitlines() if "0001_client_search_keys" in line]
    assert len(row) == 1
    assert "pending" in row[0]
    assert tenant.tenant_id in row[0]
    row = [line for line in after.splitlines() if "0001_client_search_keys" in line]
    assert len(row) == 1
    assert "applied" in row[0]
    assert "1 changed" in row[0]
    assert "ber" in (tenant.document("clients", "c1").get().get("search_prefixes") or [])
