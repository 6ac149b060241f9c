"""Usage statistics for the owner against the emulators (issue 17): counted incrementally
by the nightly job, small cells suppressed, a client ceiling exceeded reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.support.usage.counting import month_of
from functions.support.usage.job import USAGE, count_page, count_usage
from shared.events import new_event
from shared.gcp import firestore_client
from shared.tenancy import TENANTS, TenantData
from tests.accounts import activate, active_tenant, add_professional, problem
from tests.content import new_client
from tests.helpers import call
from tests.rules import Browser, allowed

pytestmark = pytest.mark.usefixtures("stack")
USAGE_API = "/support_api/usage"


def _events(data: TenantData, action: str, n: int, actor: str = "u1") -> None:
    batch = data.db.batch()
    for i in range(n):
        ref, event = new_event(
            data, actor=f"{actor}{i}", action=action, subject="x", client_id=f"c{i}"
        )
        batch.set(ref, event)
    batch.commit()


def _row(report: dict[str, Any], slug: str) -> dict[str, Any]:
    [row] = [r for r in report["tenants"] if r["tenant_id"] == slug]
    found: dict[str, Any] = row
    return found


def test_counts_are_incremental_small_cells_suppressed_and_a_ceiling_reported(owner: str) -> None:
    created = active_tenant(owner)
    slug, admin = created["slug"], created["admin_token"]
    data = TenantData(firestore_client(), slug)
    data.root.update({"licence.client_ceiling": 2})
    for name in ("Ada", "Bo", "Cy"):
        new_client(admin, name)
    _events(data, "course.assigned", 3)
    _events(data, "exercise.perform", 6)
    now = datetime.now(UTC) + timedelta(seconds=1)
    while count_page(data, now, limit=4):
        pass
    month = month_of(now)
    counted = data.document(USAGE, month).get().to_dict() or {}
    assert counted["counts"]["courses_assigned"] == 3
    assert counted["counts"]["exercises_performed"] == 6
    assert count_page(data, now) == 0  # the cursor: nothing is read, nor counted, twice
    _events(data, "exercise.perform", 2)
    later = datetime.now(UTC) + timedelta(minutes=15)  # the night's clock, injected
    count_usage(firestore_client(), later + timedelta(minutes=5), lambda: later)
    counted = data.document(USAGE, month).get().to_dict() or {}
    assert counted["counts"]["exercises_performed"] == 8

    report = call("GET", USAGE_API, owner, params={"month": month})
    assert report.status_code == 200, report.text
    row = _row(report.json(), slug)
    assert row["cells"]["courses_assigned"] is None  # 3: suppressed
    assert row["cells"]["exercises_performed"] == 8
    assert row["over_ceiling"] is True
    assert row["client_ceiling"] == 2
    as_csv = call("GET", f"{USAGE_API}.csv", owner, params={"month": month})
    assert as_csv.headers["Content-Type"].startswith("text/csv"), as_csv.headers
    text = as_csv.text
    [line] = [ln for ln in text.splitlines() if ln.startswith(slug + ",")]
    assert ",8," in line
    assert line.endswith(",2,yes")
    for uid in ("u10", "c1"):  # no ids leave the counters (quoted: slugs are random hex)
        assert f'"{uid}"' not in report.text
        assert f",{uid}," not in text


def test_only_the_owner_reads_the_statistics(owner: str) -> None:
    created = active_tenant(owner)
    problem(
        call("GET", USAGE_API, created["admin_token"], params={"month": "2026-11"}),
        403,
        "forbidden",
    )
    problem(call("GET", USAGE_API, owner, params={"month": "2026-13"}), 422, "validation_failed")


def test_no_tenant_reads_the_statistics_neither_by_route_nor_in_firestore(owner: str) -> None:
    """Counted for tenant A; A's and B's administrators and professionals get 403 on both
    routes, and no browser reads A's counters, whoever signs it in."""
    a, b = active_tenant(owner), active_tenant(owner)
    data = TenantData(firestore_client(), a["slug"])
    _events(data, "exercise.perform", 6)
    now = datetime.now(UTC) + timedelta(seconds=1)
    while count_page(data, now):
        pass
    month = month_of(now)
    assert data.document(USAGE, month).get().exists
    professional = activate(add_professional(b["admin_token"])["email"])
    for token in (a["admin_token"], b["admin_token"], professional):
        for path in (USAGE_API, f"{USAGE_API}.csv"):
            problem(call("GET", path, token, params={"month": month}), 403, "forbidden")
    counters = f"{TENANTS}/{a['slug']}/{USAGE}"
    for browser in (
        Browser("someone", a["slug"], "admin"),
        Browser("someone", a["slug"], "professional"),
        Browser("someone", b["slug"], "admin"),
        Browser("someone", None, "owner"),
        Browser(),
    ):
        assert not allowed(browser.get(f"{counters}/{month}"))
        assert not allowed(browser.get(counters))
        assert not allowed(browser.write(f"{counters}/{month}", {"counts": {}}))


def test_the_counters_keep_no_user_or_client_id_only_salted_hashes(owner: str) -> None:
    created = active_tenant(owner)
    data = TenantData(firestore_client(), created["slug"])
    clients = [new_client(created["admin_token"], name)["id"] for name in ("Ada", "Bo")]
    _events(data, "exercise.perform", 6)  # actors u10..u15, clients c0..c5
    now = datetime.now(UTC) + timedelta(seconds=1)
    while count_page(data, now, limit=3):  # several pages: one salt for the month
        pass
    month = month_of(now)
    stored = data.document(USAGE, month).get().to_dict() or {}
    text = json.dumps(stored, default=str)
    for ident in [*clients, *(f"u1{i}" for i in range(6)), *(f"c{i}" for i in range(6))]:
        assert f'"{ident}"' not in text
    assert len(stored["clients"]) == len(set(stored["clients"])) == 8
    report = call("GET", USAGE_API, owner, params={"month": month}).json()
    assert _row(report, created["slug"])["cells"]["clients"] == 8
