"""Retention periods while the subscription runs: warned 30 days before, erased at the end
of the period after a client's last activity (issue 13; the DPA's appendix C.4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.support.maintenance.backups.backup import backup_stamps, backup_tenant
from functions.support.maintenance.backups.restore import restore_tenant
from functions.support.maintenance.client_retention import (
    WARNED,
    apply_client_retention,
    erase_on,
)
from shared import erasure_ledger
from shared.clients import CLIENTS, LAST_ACTIVITY
from shared.erasure_ledger import Erased, ErasureBasis
from shared.gcp import firestore_client
from shared.messaging.models import MESSAGES
from shared.tenancy import TenantData
from shared.tenants import TenantStatus
from tests.accounts import activate, active_tenant, add_professional, events, problem
from tests.clients.offline.sync_helpers import note as offline_note
from tests.content import new_client
from tests.helpers import call, emails_to, set_tenant_status, wait_until

pytestmark = pytest.mark.usefixtures("stack")
API = "/clients_api"
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
SUBJECT = "En klient slettes"
MONTHS = 6


@pytest.fixture
def org(owner: str, catalogue: dict[str, str]) -> dict[str, Any]:
    created = active_tenant(owner, seats=3, focus_areas=[catalogue["area"]])
    pro = add_professional(created["admin_token"])
    return {
        **created,
        "pro_token": activate(pro["email"]),
        "pro_email": pro["email"],
        "data": TenantData(firestore_client(), created["slug"]),
    }


def night(day: date) -> Any:
    """A clock standing at 00:30 Copenhagen time on `day` (inside the default window)."""
    moment = datetime.combine(day, time(0, 30), COPENHAGEN).astimezone(UTC)
    return lambda: moment


def run(day: date) -> None:
    clock = night(day)
    result = apply_client_retention(firestore_client(), clock() + timedelta(hours=1), clock)
    assert result.failures == []


def set_period(org: dict[str, Any], months: int | None) -> None:
    reply = call("PUT", f"{API}/retention", org["admin_token"], json={"months": months})
    assert reply.status_code == 200, reply.text


def client_doc(org: dict[str, Any], cid: str) -> dict[str, Any] | None:
    snapshot = org["data"].document(CLIENTS, cid).get()
    return snapshot.to_dict() if snapshot.exists else None


def idle_since(org: dict[str, Any], cid: str) -> datetime:
    doc = client_doc(org, cid)
    assert doc is not None
    moment: datetime = doc[LAST_ACTIVITY]
    return moment


def messages_of(org: dict[str, Any], cid: str) -> list[Any]:
    query = org["data"].collection(MESSAGES).where(filter=FieldFilter("client_id", "==", cid))
    return list(query.get())


def warnings_to(email: str, cid: str) -> list[dict[str, Any]]:
    """The warnings about one client (its id is in the text)."""
    return [m for m in emails_to(email) if m["subject"].startswith(SUBJECT) and cid in m["body"]]


def end_of_period(activity: datetime) -> date:
    """The first night at or after the period's end."""
    return (activity + relativedelta(months=MONTHS)).astimezone(COPENHAGEN).date() + timedelta(
        days=1
    )


def test_an_idle_client_is_warned_30_days_before_and_erased_at_the_end_of_the_period(
    org: dict[str, Any],
) -> None:
    cid = str(new_client(org["pro_token"], "Ida Jensen")["id"])
    kept = str(new_client(org["pro_token"], "Bo Holm")["id"])
    set_period(org, MONTHS)
    activity = idle_since(org, cid)
    end = end_of_period(activity)

    run(end - timedelta(days=33))  # not yet within 30 days of the end
    assert WARNED not in (client_doc(org, cid) or {})
    run(end - timedelta(days=30))
    run(end - timedelta(days=30))  # again the same night: still one warning
    [warning] = wait_until(lambda: warnings_to(org["pro_email"], cid))
    assert "Ida Jensen" in warning["body"]
    assert cid in warning["body"]
    assert "6 måneder" in warning["body"]
    recorded = (client_doc(org, cid) or {})[WARNED]
    assert recorded["activity_at"] == activity
    warned_messages = messages_of(org, cid)
    assert len(warned_messages) == 1

    run(end - timedelta(days=2))
    assert client_doc(org, cid) is not None
    # The other client is active meanwhile.
    renamed = {"profile": {"name": "Bo Holm Nielsen"}}
    assert call("PATCH", f"{API}/clients/{kept}", org["pro_token"], json=renamed).status_code == 200

    run(end)
    assert client_doc(org, cid) is None
    problem(call("GET", f"{API}/clients/{cid}", org["pro_token"]), 404, "not_found")
    entry = erasure_ledger.entry(firestore_client(), org["slug"], Erased.CLIENT, cid)
    assert entry is not None
    assert entry.basis is ErasureBasis.RETENTION
    # Everything registered went with it, the warning e-mail's record too.
    assert messages_of(org, cid) == []
    [erased] = [e for e in events(org["slug"]) if e["action"] == "client.erased"]
    assert erased["details"]["basis"] == "retention"
    assert erased["actor"] == "system"
    assert len(warnings_to(org["pro_email"], cid)) == 1
    assert client_doc(org, kept) is not None


def test_activity_after_the_warning_cancels_it_and_a_new_idle_spell_is_warned_again(
    org: dict[str, Any],
) -> None:
    cid = str(new_client(org["pro_token"], "Ida Jensen")["id"])
    set_period(org, MONTHS)
    end = end_of_period(idle_since(org, cid))
    run(end - timedelta(days=30))
    wait_until(lambda: warnings_to(org["pro_email"], cid))

    renamed = {"profile": {"name": "Ida Jensen Holm"}}
    assert call("PATCH", f"{API}/clients/{cid}", org["pro_token"], json=renamed).status_code == 200
    later = idle_since(org, cid)
    run(end)
    # Not erased: the client was active after the warning. Seen from this (moved) clock
    # it is idle again since the edit, so it is warned again, for the new spell.
    doc = client_doc(org, cid)
    assert doc is not None
    assert doc[WARNED]["activity_at"] == later
    wait_until(lambda: len(warnings_to(org["pro_email"], cid)) == 2)
    assert erasure_ledger.entry(firestore_client(), org["slug"], Erased.CLIENT, cid) is None


def test_a_client_is_never_erased_sooner_than_30_days_after_its_warning() -> None:
    activity = datetime(2026, 1, 1, tzinfo=UTC)
    # A period set today on a client idle for years: erased 30 days after the warning.
    warned = datetime(2030, 5, 1, tzinfo=UTC)
    assert erase_on(activity, 6, warned) == warned + timedelta(days=30)
    # A warning on time: erased at the end of the period.
    on_time = activity + relativedelta(months=6) - timedelta(days=30)
    assert erase_on(activity, 6, on_time) == activity + relativedelta(months=6)


def test_a_period_set_today_warns_an_idle_client_first_and_erases_30_days_later(
    org: dict[str, Any],
) -> None:
    cid = str(new_client(org["pro_token"], "Ida Jensen")["id"])
    set_period(org, MONTHS)
    far = end_of_period(idle_since(org, cid)) + timedelta(days=400)
    run(far)
    assert client_doc(org, cid) is not None
    wait_until(lambda: warnings_to(org["pro_email"], cid))
    run(far + timedelta(days=29))
    assert client_doc(org, cid) is not None
    run(far + timedelta(days=31))
    assert client_doc(org, cid) is None


def test_without_a_period_clients_are_kept(org: dict[str, Any]) -> None:
    cid = str(new_client(org["pro_token"], "Ida Jensen")["id"])
    set_period(org, MONTHS)
    set_period(org, None)  # unset again
    far = end_of_period(idle_since(org, cid)) + timedelta(days=3650)
    run(far)
    run(far + timedelta(days=60))
    doc = client_doc(org, cid)
    assert doc is not None
    assert WARNED not in doc
    assert warnings_to(org["pro_email"], cid) == []


def test_a_suspended_tenants_clients_are_untouched(org: dict[str, Any]) -> None:
    cid = str(new_client(org["pro_token"], "Ida Jensen")["id"])
    set_period(org, MONTHS)
    end = end_of_period(idle_since(org, cid))
    before = client_doc(org, cid)
    set_tenant_status(org["slug"], TenantStatus.SUSPENDED)
    run(end - timedelta(days=30))
    run(end + timedelta(days=60))
    assert client_doc(org, cid) == before
    assert warnings_to(org["pro_email"], cid) == []
    assert erasure_ledger.entry(firestore_client(), org["slug"], Erased.CLIENT, cid) is None


def test_a_restricted_client_is_kept_and_not_warned(org: dict[str, Any]) -> None:
    cid = str(new_client(org["pro_token"], "Ida Jensen")["id"])
    reply = call("POST", f"{API}/clients/{cid}/restriction", org["admin_token"], json={})
    assert reply.status_code == 200, reply.text
    set_period(org, MONTHS)
    end = end_of_period(idle_since(org, cid))
    run(end - timedelta(days=30))
    run(end + timedelta(days=60))
    doc = client_doc(org, cid)
    assert doc is not None
    assert WARNED not in doc


def test_a_restore_of_an_older_backup_does_not_bring_back_a_client_erased_by_retention(
    org: dict[str, Any],
) -> None:
    slug = org["slug"]
    cid = str(new_client(org["pro_token"], "Ida Jensen")["id"])
    kept = str(new_client(org["pro_token"], "Bo Holm")["id"])
    set_period(org, MONTHS)
    end = end_of_period(idle_since(org, cid))
    run(end - timedelta(days=30))
    backup_tenant(firestore_client(), slug)  # holds the warned client
    renamed = {"profile": {"name": "Bo Holm Nielsen"}}
    assert call("PATCH", f"{API}/clients/{kept}", org["pro_token"], json=renamed).status_code == 200
    run(end)
    assert client_doc(org, cid) is None

    restore_tenant(firestore_client(), slug, backup_stamps(slug)[-1])
    assert client_doc(org, cid) is None
    assert client_doc(org, kept) is not None
    restored = call(
        "POST",
        f"{API}/clients/{cid}/restore",
        org["admin_token"],
        json={"backup": backup_stamps(slug)[-1]},
    )
    problem(restored, 410, "client_erased")


def test_the_retention_period_is_set_by_the_administrator_within_bounds_and_logged(
    org: dict[str, Any],
) -> None:
    admin, pro = org["admin_token"], org["pro_token"]
    assert call("GET", f"{API}/retention", pro).json() == {"months": None}
    before = org["data"].root.get().to_dict()
    problem(call("PUT", f"{API}/retention", pro, json={"months": 12}), 403, "forbidden")
    for refused in ({"months": 1}, {"months": 121}, {"months": "ever"}, {"days": 30}, {}):
        problem(call("PUT", f"{API}/retention", admin, json=refused), 422, "validation_failed")
    assert org["data"].root.get().to_dict() == before
    assert not [e for e in events(org["slug"]) if e["action"].endswith("retention_changed")]

    set_period(org, 24)
    assert call("GET", f"{API}/retention", pro).json() == {"months": 24}
    [changed] = [e for e in events(org["slug"]) if e["action"].endswith("retention_changed")]
    assert changed["details"] == {"months": 24}
    assert changed["actor"] == org["admin_uid"]


def test_activity_is_recorded_by_writes_and_not_by_reads(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    pro, data = org["pro_token"], org["data"]
    cid = str(new_client(pro, "Ida Jensen")["id"])

    def activity() -> datetime:
        moment: datetime = (data.document(CLIENTS, cid).get().to_dict() or {})[LAST_ACTIVITY]
        return moment

    first = activity()
    assert call("GET", f"{API}/clients/{cid}", pro).status_code == 200
    assert activity() == first
    course = call(
        "POST", f"{API}/clients/{cid}/courses", pro, json={"course_id": catalogue["course"]}
    )
    assert course.status_code == 201, course.text
    assigned = activity()
    assert assigned > first
    item = f"{API}/clients/{cid}/courses/{course.json()['id']}/items/i0/schedule"
    assert call("PUT", item, pro, json={"date": date.today().isoformat()}).status_code == 200
    scheduled = activity()
    assert scheduled > assigned
    note = {"text": "Talte om skolen"}
    assert call("POST", f"{API}/clients/{cid}/log", pro, json=note).status_code == 201
    noted = activity()
    assert noted > scheduled
    # What the app recorded offline is activity too, once it is synced.
    batch = {"records": [offline_note(cid)]}
    assert call("POST", f"{API}/sync", pro, json=batch).status_code == 200
    assert activity() > noted
