"""The end of a VR session: its summary on the client (export, erasure), the nightly purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.gcp import firestore_client
from shared.tenancy import TenantData
from shared.vr_retention import purge_vr_sessions
from tests.accounts import problem
from tests.content import API
from tests.helpers import call
from tests.vr.support import VR, open_session, pair, vr_film, vr_tenant

pytestmark = pytest.mark.usefixtures("stack")


@pytest.fixture
def vr_org(owner: str, catalogue: dict[str, str]) -> dict[str, Any]:
    return vr_tenant(owner, catalogue["area"])


def _summary(film: str) -> dict[str, Any]:
    return {
        "films": [
            {
                "film_id": film,
                "watched_seconds": 312,
                "stops": 1,
                "gaze_dwell_seconds": {"front": 200.0, "left": 80.5, "right": 31.5},
            }
        ]
    }


def _play(org: dict[str, Any], session_id: str, film: str) -> None:
    body = {"action": "play", "film_id": film}
    reply = call("POST", f"{VR}/sessions/{session_id}/commands", org["pro_token"], json=body)
    assert reply.status_code == 201, reply.text


def _ended(org: dict[str, Any], owner: str, catalogue: dict[str, str]) -> dict[str, Any]:
    session = open_session(org)
    film = vr_film(owner, catalogue["area"])
    _play(org, session["id"], film)
    reply = call(
        "POST", f"{VR}/sessions/{session['id']}/end", org["pro_token"], json=_summary(film)
    )
    assert reply.status_code == 200, reply.text
    return {**session, "film": film}


def test_the_summary_is_stored_on_the_client_with_a_vr_session_event(
    owner: str, vr_org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    session = _ended(vr_org, owner, catalogue)
    tenant = TenantData(firestore_client(), vr_org["slug"])
    stored = tenant.document("vr_summaries", session["id"]).get().to_dict() or {}
    assert stored["client_id"] == vr_org["client_id"]
    assert stored["films"][0]["watched_seconds"] == 312
    assert stored["films"][0]["gaze_dwell_seconds"] == {"front": 200.0, "left": 80.5, "right": 31.5}
    event = tenant.document("events", f"vr-session-{session['id']}").get().to_dict() or {}
    assert event["action"] == "vr.session"
    assert event["client_id"] == vr_org["client_id"]
    assert tenant.document("vr_sessions", session["id"]).get().get("status") == "ended"
    # Ended once: a second summary is refused and changes nothing.
    again = call("POST", f"{VR}/sessions/{session['id']}/end", vr_org["pro_token"], json={})
    problem(again, 409, "session_ended")
    assert tenant.document("vr_summaries", session["id"]).get().get("films") == stored["films"]


def test_the_clients_export_holds_the_vr_summary(
    owner: str, vr_org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    session = _ended(vr_org, owner, catalogue)
    reply = call("GET", f"{API}/clients/{vr_org['client_id']}/export", vr_org["admin_token"])
    assert reply.status_code == 200, reply.text
    [summary] = reply.json()["records"]["vr_summaries"]
    assert summary["id"] == session["id"]
    assert summary["films"][0]["film_id"] == session["film"]
    assert summary["films"][0]["stops"] == 1
    assert "vr.session" in {e["action"] for e in reply.json()["records"]["events"]}


def test_erasing_the_client_removes_its_vr_summaries_and_sessions_with_their_signalling(
    owner: str, vr_org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    ended = _ended(vr_org, owner, catalogue)
    live = open_session(vr_org)
    assert pair(live["pairing_code"]).status_code == 201
    tenant = TenantData(firestore_client(), vr_org["slug"])
    live_ref = tenant.document("vr_sessions", live["id"])
    live_ref.collection("vr_presence").document("h").set({"last_seq": 0})  # as a headset writes
    reply = call("DELETE", f"{API}/clients/{vr_org['client_id']}", vr_org["pro_token"])
    assert reply.status_code == 200, reply.text
    assert not tenant.document("vr_summaries", ended["id"]).get().exists
    assert not tenant.document("vr_sessions", ended["id"]).get().exists
    assert not live_ref.get().exists
    for name in ("vr_headsets", "vr_slots", "vr_presence"):
        assert list(live_ref.collection(name).list_documents()) == [], name


def test_the_nightly_purge_removes_stale_sessions_codes_and_signalling(
    vr_org: dict[str, Any],
) -> None:
    db = firestore_client()
    tenant = TenantData(db, vr_org["slug"])
    stale, fresh = open_session(vr_org), open_session(vr_org)
    paired = pair(stale["pairing_code"]).json()
    stale_ref = tenant.document("vr_sessions", stale["id"])
    headset = stale_ref.collection("vr_headsets").document(paired["headset_id"])
    # What the devices write carries no purge_after (the rules allow only their fields).
    headset.collection("vr_signals").document("answer").set({"sdp": "v=0"})
    headset.collection("vr_headset_candidates").document("c1").set({"candidate": "x"})
    stale_ref.collection("vr_presence").document(paired["headset_id"]).set({"last_seq": 0})
    stale_ref.collection("vr_events").document("e1").set({"kind": "stop"})
    # Two days on for the stale session and its code (the clock of this test run, no sleep).
    past = {"purge_after": datetime.now(UTC) - timedelta(seconds=1)}
    stale_ref.update(past)
    db.collection("vr_pairing_codes").document(stale["pairing_code"]).update(past)

    now = datetime.now(UTC)
    result = purge_vr_sessions(db, now + timedelta(minutes=5), lambda: datetime.now(UTC))
    assert result.finished
    assert result.processed >= 8
    assert not stale_ref.get().exists
    for ref in (headset, stale_ref.collection("vr_presence").document(paired["headset_id"])):
        assert not ref.get().exists
    assert list(headset.collection("vr_signals").list_documents()) == []
    assert list(stale_ref.collection("vr_slots").list_documents()) == []
    assert list(stale_ref.collection("vr_events").list_documents()) == []
    assert not db.collection("vr_pairing_codes").document(stale["pairing_code"]).get().exists
    # The session still in its two days, and its code, stay.
    assert tenant.document("vr_sessions", fresh["id"]).get().exists
    assert db.collection("vr_pairing_codes").document(fresh["pairing_code"]).get().exists


def test_a_summary_with_an_invalid_item_or_an_unplayed_film_writes_nothing_and_leaves_it_open(
    owner: str, vr_org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    session = open_session(vr_org)
    played, other = vr_film(owner, catalogue["area"]), vr_film(owner, catalogue["area"])
    _play(vr_org, session["id"], played)
    tenant = TenantData(firestore_client(), vr_org["slug"])
    end = f"{VR}/sessions/{session['id']}/end"
    good = _summary(played)["films"][0]
    missing_item = {**good, "course_item": {"course_ref": "nocourse", "item_id": "i0"}}

    problem(
        call("POST", end, vr_org["pro_token"], json={"films": [good, missing_item]}),
        404,
        "not_found",
    )
    unplayed = {"films": [good, _summary(other)["films"][0]]}
    problem(call("POST", end, vr_org["pro_token"], json=unplayed), 422, "film_not_in_session")

    assert not tenant.document("vr_summaries", session["id"]).get().exists
    assert not tenant.document("events", f"vr-session-{session['id']}").get().exists
    assert tenant.document("vr_sessions", session["id"]).get().get("status") == "open"
    ended = call("POST", end, vr_org["pro_token"], json={"films": [good]})
    assert ended.status_code == 200, ended.text
    assert tenant.document("vr_sessions", session["id"]).get().get("status") == "ended"
