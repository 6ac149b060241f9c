"""Access closed while offline (issue 16): refused at the first call with a sign-out code,
the batch held for the administrator, applied only on their decision and exactly once,
deleted after 30 days. Tokens minted before, or expired since, never apply anything."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.clients.sync.access import TOLERANCE_S
from shared.gcp import firestore_client
from shared.offline import KEPT, purge_old_quarantine
from shared.tenancy import TenantData
from shared.tenants import TenantStatus
from tests.accounts import activate, active_tenant, add_professional, problem
from tests.clients.offline.sync_helpers import API, note, notes, offline_events, quarantined
from tests.content import new_client
from tests.helpers import call, forge, set_tenant_status, token_payload, unique

pytestmark = pytest.mark.usefixtures("stack")
SYNC = f"{API}/sync"
QUARANTINE = f"{API}/sync/quarantine"


@pytest.fixture
def team(owner: str) -> dict[str, Any]:
    created = active_tenant(owner, seats=3)
    pro = add_professional(created["admin_token"])
    token = activate(pro["email"])
    return {
        **created,
        "pro": pro,
        "pro_token": token,
        "data": TenantData(firestore_client(), created["slug"]),
        "client": new_client(token, unique("Ida")),
    }


def _deactivate(team: dict[str, Any]) -> None:
    path = f"/auth_api/users/{team['pro']['uid']}/deactivate"
    assert call("POST", path, team["admin_token"]).status_code == 200


def test_a_user_deactivated_while_offline_is_told_to_sign_out_and_the_batch_is_held(
    team: dict[str, Any],
) -> None:
    batch = notes(team["client"]["id"], 3)
    _deactivate(team)  # while the tablet is offline, with the token it had

    refused = call("POST", SYNC, team["pro_token"], json={"records": batch})

    body = problem(refused, 403, "account_disabled")
    assert body["sign_out"] is True
    assert offline_events(team["data"], team["client"]["id"]) == []  # nothing applied
    listed = call("GET", QUARANTINE, team["admin_token"]).json()["batches"]
    assert [(b["id"], b["uid"], b["reason"], b["records"]) for b in listed] == [
        (body["quarantine_id"], team["pro"]["uid"], "account_disabled", 3)
    ]
    shown = call("GET", f"{QUARANTINE}/{body['quarantine_id']}", team["admin_token"]).json()
    assert [r["text"] for r in shown["records"]] == [r["text"] for r in batch]
    problem(call("GET", QUARANTINE, team["pro_token"]), 403, "account_disabled")
    # The app resends the refused batch: it is held once.
    again = problem(
        call("POST", SYNC, team["pro_token"], json={"records": batch}), 403, "account_disabled"
    )
    assert again["quarantine_id"] == body["quarantine_id"]
    assert len(quarantined(team["data"])[0]) == 1


def test_an_accepted_quarantine_is_applied_once_as_its_sender(team: dict[str, Any]) -> None:
    batch = notes(team["client"]["id"], 4)
    _deactivate(team)
    qid = call("POST", SYNC, team["pro_token"], json={"records": batch}).json()["quarantine_id"]
    accept = f"{QUARANTINE}/{qid}/accept"

    accepted = call("POST", accept, team["admin_token"])

    assert accepted.status_code == 200, accepted.text
    assert [r["status"] for r in accepted.json()["results"]] == ["applied"] * 4
    entries = offline_events(team["data"], team["client"]["id"])
    assert len(entries) == 4
    assert {e["actor"] for e in entries} == {team["pro"]["uid"]}
    problem(call("POST", accept, team["admin_token"]), 409, "invalid_transition")
    assert len(offline_events(team["data"], team["client"]["id"])) == 4
    assert quarantined(team["data"])[1] == []  # its copy is forgotten
    assert call("GET", QUARANTINE, team["admin_token"]).json()["batches"] == []
    # The app, still signed in, resends: refused again, and not held a second time.
    resent = call("POST", SYNC, team["pro_token"], json={"records": batch})
    assert problem(resent, 403, "account_disabled")["quarantine_id"] == qid
    assert call("GET", QUARANTINE, team["admin_token"]).json()["batches"] == []
    assert quarantined(team["data"])[1] == []


def test_a_discarded_quarantine_applies_nothing_and_keeps_no_records(
    team: dict[str, Any],
) -> None:
    _deactivate(team)
    reply = call("POST", SYNC, team["pro_token"], json={"records": notes(team["client"]["id"], 2)})
    qid = reply.json()["quarantine_id"]

    discarded = call("POST", f"{QUARANTINE}/{qid}/discard", team["admin_token"])

    assert discarded.json()["status"] == "discarded"
    assert quarantined(team["data"])[1] == []
    assert offline_events(team["data"], team["client"]["id"]) == []
    problem(
        call("POST", f"{QUARANTINE}/{qid}/accept", team["admin_token"]), 409, "invalid_transition"
    )


@pytest.mark.parametrize(
    ("status", "code"),
    [(TenantStatus.SUSPENDED, "tenant_suspended"), (TenantStatus.TERMINATED, "tenant_terminated")],
)
def test_a_tenant_suspended_or_terminated_while_offline_holds_the_batch(
    team: dict[str, Any], status: TenantStatus, code: str
) -> None:
    set_tenant_status(team["slug"], status)
    body = problem(
        call("POST", SYNC, team["pro_token"], json={"records": [note(team["client"]["id"])]}),
        403,
        code,
    )
    assert body["sign_out"] is True
    batches, records = quarantined(team["data"])
    assert [(b.id, b.get("reason")) for b in batches] == [(body["quarantine_id"], code)]
    assert len(records) == 1
    assert offline_events(team["data"], team["client"]["id"]) == []


def test_an_expired_token_of_a_disabled_user_reaches_only_the_quarantine(
    team: dict[str, Any],
) -> None:
    """A disabled user cannot refresh: their hours-old token still reaches the quarantine,
    and never anything else (no record applied, no route of the API)."""
    hours_ago = int(time.time()) - 5 * 3600
    expired = forge(team["pro_token"], iat=hours_ago - 3600, exp=hours_ago)
    record = note(team["client"]["id"])
    # Active: an expired token is refused as always, and nothing is held.
    problem(call("POST", SYNC, expired, json={"records": [record]}), 401, "invalid_token")
    assert quarantined(team["data"]) == ([], [])
    _deactivate(team)

    problem(call("POST", SYNC, expired, json={"records": [record]}), 403, "account_disabled")

    assert offline_events(team["data"], team["client"]["id"]) == []
    assert len(quarantined(team["data"])[1]) == 1
    for method, path in [
        ("GET", f"{API}/clients/{team['client']['id']}"),
        ("GET", f"{API}/clients"),
        ("POST", f"{API}/sync/outbox"),
        ("GET", f"{API}/sync/conflicts"),
    ]:
        assert call(method, path, expired).status_code == 401
    too_old = int(time.time()) - TOLERANCE_S - 3600
    ancient = forge(team["pro_token"], iat=too_old - 3600, exp=too_old)
    problem(
        call("POST", SYNC, ancient, json={"records": [note(team["client"]["id"])]}),
        401,
        "invalid_token",
    )
    assert len(quarantined(team["data"])[1]) == 1


def test_a_token_that_is_no_firebase_token_is_not_held(team: dict[str, Any]) -> None:
    _deactivate(team)
    claims = token_payload(team["pro_token"])
    wrong = [
        "not-a-token",
        forge(team["pro_token"], role="owner"),
        forge(team["pro_token"], tenant_id="nosuchtenant"),
        forge(team["pro_token"], iat=int(time.time()) + 3600),  # issued in the future
    ]
    for token in wrong:
        reply = call("POST", SYNC, token, json={"records": [note(team["client"]["id"])]})
        assert reply.status_code in (401, 403), reply.text
        assert "quarantine_id" not in reply.json()
    assert claims["user_id"] == team["pro"]["uid"]
    assert quarantined(team["data"]) == ([], [])


def test_a_user_removed_while_offline_is_held_too(team: dict[str, Any]) -> None:
    assert call("DELETE", f"/auth_api/users/{team['pro']['uid']}", team["admin_token"]).ok
    body = problem(
        call("POST", SYNC, team["pro_token"], json={"records": [note(team["client"]["id"])]}),
        403,
        "account_disabled",
    )
    assert body["sign_out"] is True
    assert len(quarantined(team["data"])[1]) == 1


def test_quarantined_batches_older_than_30_days_are_deleted_by_the_nightly_maintenance(
    team: dict[str, Any],
) -> None:
    _deactivate(team)
    call("POST", SYNC, team["pro_token"], json={"records": notes(team["client"]["id"], 2)})
    db = firestore_client()
    now = datetime.now(UTC)
    far = now + timedelta(hours=3)

    month = timedelta(days=30)  # the SLA's promise, not the constant under test
    assert month == KEPT
    purge_old_quarantine(db, far, lambda: now + month - timedelta(hours=1))
    assert [len(found) for found in quarantined(team["data"])] == [1, 2]  # inside 30 days

    purge_old_quarantine(db, far + month, lambda: now + month + timedelta(hours=1))
    assert quarantined(team["data"]) == ([], [])


def test_the_nightly_maintenance_runs_the_quarantine_purge() -> None:
    from functions.support.maintenance.runner import JOBS

    assert purge_old_quarantine in JOBS


def test_a_held_record_keeps_answers_firestore_could_not_store_as_values(
    team: dict[str, Any],
) -> None:
    """Answers are checked against their exercise only when applied; until then the
    quarantine keeps them as sent (arrays in arrays: not a Firestore value)."""
    record = {
        **note(team["client"]["id"]),
        "kind": "exercise_performed",
        "course_ref": "c1",
        "item_id": "i0",
        "answers": {"grid": [[1, 2], [3, 4]]},
        "device_time": "1999-12-31T23:00:00-05:00",
    }
    del record["text"]
    _deactivate(team)

    body = problem(
        call("POST", SYNC, team["pro_token"], json={"records": [record]}), 403, "account_disabled"
    )

    shown = call("GET", f"{QUARANTINE}/{body['quarantine_id']}", team["admin_token"]).json()
    assert shown["records"][0]["answers"] == {"grid": [[1, 2], [3, 4]]}
    assert shown["records"][0]["device_time"].startswith("2000-01-01T04:00:00")  # in UTC
