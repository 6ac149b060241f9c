"""VR sessions against the stack: opening, pairing, commands, films, the summary."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.vr.sessions import new_code
from shared.gcp import firestore_client
from shared.tenancy import TenantData
from tests.accounts import problem
from tests.helpers import call
from tests.vr.support import (
    CLASSROOM,
    HEADSET,
    VR,
    headset_id_token,
    open_session,
    pair,
    vr_film,
    vr_tenant,
)

pytestmark = pytest.mark.usefixtures("stack")


@pytest.fixture(scope="module")
def area(catalogue: dict[str, str]) -> str:
    return catalogue["area"]


@pytest.fixture
def vr_org(owner: str, area: str) -> dict[str, Any]:
    return vr_tenant(owner, area)


def _session_doc(org: dict[str, Any], session_id: str) -> Any:
    return TenantData(firestore_client(), org["slug"]).document("vr_sessions", session_id)


def _slots_taken(org: dict[str, Any], session_id: str) -> int:
    return len(_session_doc(org, session_id).collection("vr_slots").get())


def test_a_tenant_without_the_vr_add_on_cannot_open_a_session(owner: str, area: str) -> None:
    org = vr_tenant(owner, area, add_ons=[])
    reply = call("POST", f"{VR}/sessions", org["pro_token"], json={"client_id": org["client_id"]})
    problem(reply, 403, "vr_not_licensed")
    sessions = TenantData(firestore_client(), org["slug"]).collection("vr_sessions").get()
    assert sessions == []


def test_a_session_gets_an_unambiguous_code_that_pairs_a_confined_headset(
    vr_org: dict[str, Any],
) -> None:
    session = open_session(vr_org)
    code = session["pairing_code"]
    assert len(code) == 6
    assert not set(code) & set("01OIL")
    reply = pair(code.lower())  # as typed on a headset
    assert reply.status_code == 201, reply.text
    paired = reply.json()
    assert paired["session_id"] == session["id"]
    from tests.helpers import token_payload

    claims = token_payload(headset_id_token(paired["custom_token"]))
    assert claims["vr_headset"] is True
    assert claims["tenant_id"] == vr_org["slug"]
    assert claims["session_id"] == session["id"]
    assert claims["headset_id"] == paired["headset_id"]
    assert "role" not in claims
    shown = call("GET", f"{VR}/sessions/{session['id']}", vr_org["pro_token"]).json()
    assert shown["headsets"] == 1


def test_an_idempotency_key_on_pairing_never_replays_another_headset_s_token(
    vr_org: dict[str, Any],
) -> None:
    session = open_session(vr_org)
    body = {"code": session["pairing_code"]}
    key = {**CLASSROOM, "Idempotency-Key": "same-key"}  # pairing has no caller to key it on

    first = call("POST", f"{HEADSET}/pair", json=body, headers=key)
    second = call("POST", f"{HEADSET}/pair", json=body, headers=key)

    assert first.status_code == second.status_code == 201, second.text
    assert first.json()["headset_id"] != second.json()["headset_id"]
    assert first.json()["custom_token"] != second.json()["custom_token"]
    assert _slots_taken(vr_org, session["id"]) == 2


def test_a_wrong_code_pairs_nothing(vr_org: dict[str, Any]) -> None:
    session = open_session(vr_org)
    wrong = new_code()
    while wrong == session["pairing_code"]:
        wrong = new_code()
    problem(pair(wrong), 404, "pairing_code_invalid")
    assert _slots_taken(vr_org, session["id"]) == 0


def test_an_expired_code_pairs_nothing(vr_org: dict[str, Any]) -> None:
    session = open_session(vr_org)
    code = session["pairing_code"]
    firestore_client().collection("vr_pairing_codes").document(code).update(
        {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}
    )
    problem(pair(code), 410, "pairing_code_expired")
    assert _slots_taken(vr_org, session["id"]) == 0


def test_a_replaced_code_and_the_code_of_an_ended_session_pair_nothing(
    vr_org: dict[str, Any],
) -> None:
    session = open_session(vr_org)
    old = session["pairing_code"]
    renewed = call("POST", f"{VR}/sessions/{session['id']}/pairing-code", vr_org["pro_token"])
    assert renewed.status_code == 200, renewed.text
    problem(pair(old), 404, "pairing_code_invalid")
    new = renewed.json()["pairing_code"]
    ended = call("POST", f"{VR}/sessions/{session['id']}/end", vr_org["pro_token"], json={})
    assert ended.status_code == 200, ended.text
    problem(pair(new), 404, "pairing_code_invalid")
    assert _slots_taken(vr_org, session["id"]) == 0


def test_guessing_codes_is_limited_per_address(vr_org: dict[str, Any]) -> None:
    address = f"198.51.100.{datetime.now(UTC).microsecond % 250}"
    headers = {"X-Forwarded-For": address}
    codes = [call("POST", f"{HEADSET}/pair", json={"code": "ZZZZZZ"}, headers=headers)]
    codes += [
        call("POST", f"{HEADSET}/pair", json={"code": "ZZZZZZ"}, headers=headers) for _ in range(20)
    ]
    assert [r.status_code for r in codes[:20]] == [404] * 20
    problem(codes[20], 429, "rate_limited")


def test_sixty_headsets_pairing_at_once_give_exactly_fifty(vr_org: dict[str, Any]) -> None:
    session = open_session(vr_org)
    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(lambda _: pair(session["pairing_code"]), range(60)))
    statuses = sorted(r.status_code for r in replies)
    assert statuses == [201] * 50 + [409] * 10, [r.text for r in replies if r.status_code >= 500]
    assert {r.json()["code"] for r in replies if r.status_code == 409} == {"session_full"}
    doc = _session_doc(vr_org, session["id"])
    slots = doc.collection("vr_slots").get()
    headsets = {h.id for h in doc.collection("vr_headsets").get()}
    assert len(slots) == 50
    assert {s.get("headset_id") for s in slots} == headsets  # one headset per slot
    assert headsets == {r.json()["headset_id"] for r in replies if r.status_code == 201}


def test_a_full_session_refuses_and_a_removed_headset_frees_its_place(
    vr_org: dict[str, Any],
) -> None:
    session = open_session(vr_org)
    first = pair(session["pairing_code"]).json()
    doc = _session_doc(vr_org, session["id"])
    taken = doc.collection("vr_headsets").document(first["headset_id"]).get().get("slot")
    batch = firestore_client().batch()
    for n in range(50):  # the other 49 places, as if 49 more headsets had paired
        if f"{n:02d}" != taken:
            batch.set(doc.collection("vr_slots").document(f"{n:02d}"), {"headset_id": f"x{n}"})
    batch.commit()
    problem(pair(session["pairing_code"]), 409, "session_full")
    removed = call(
        "DELETE",
        f"{VR}/sessions/{session['id']}/headsets/{first['headset_id']}",
        vr_org["pro_token"],
    )
    assert removed.status_code == 204, removed.text
    replacement = pair(session["pairing_code"])
    assert replacement.status_code == 201, replacement.text
    slot = doc.collection("vr_slots").document(taken).get()
    assert slot.get("headset_id") == replacement.json()["headset_id"]
    problem(pair(session["pairing_code"]), 409, "session_full")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"status": "suspended"}, "tenant_suspended"),
        ({"status": "terminated"}, "tenant_terminated"),
        ({"licence.add_ons": []}, "vr_not_licensed"),
    ],
)
def test_a_suspended_terminated_or_unlicensed_tenant_pairs_no_headset(
    vr_org: dict[str, Any], change: dict[str, Any], code: str
) -> None:
    session = open_session(vr_org)
    firestore_client().collection("tenants").document(vr_org["slug"]).update(change)
    reply = pair(session["pairing_code"])
    problem(reply, 403, code)
    assert _slots_taken(vr_org, session["id"]) == 0
    assert _session_doc(vr_org, session["id"]).collection("vr_headsets").get() == []


def test_commands_are_numbered_by_the_server_in_order(vr_org: dict[str, Any]) -> None:
    session = open_session(vr_org)
    url = f"{VR}/sessions/{session['id']}/commands"
    with ThreadPoolExecutor(max_workers=5) as pool:
        replies = list(
            pool.map(
                lambda _: call("POST", url, vr_org["pro_token"], json={"action": "pause"}), range(5)
            )
        )
    assert all(r.status_code == 201 for r in replies), [r.text for r in replies]
    assert sorted(r.json()["seq"] for r in replies) == [1, 2, 3, 4, 5]
    first = replies[0].json()
    issued = datetime.fromisoformat(first["issued_at"])
    assert datetime.fromisoformat(first["expires_at"]) - issued == timedelta(seconds=60)
    stored = _session_doc(vr_org, session["id"]).collection("vr_commands").get()
    assert sorted(s.get("seq") for s in stored) == [1, 2, 3, 4, 5]


def test_a_film_outside_the_licence_is_neither_played_nor_served(
    owner: str, vr_org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    foreign = vr_film(owner, catalogue["other"])  # a focus area the tenant did not buy
    session = open_session(vr_org)
    url = f"{VR}/sessions/{session['id']}/commands"
    reply = call("POST", url, vr_org["pro_token"], json={"action": "play", "film_id": foreign})
    problem(reply, 403, "film_not_licensed")
    assert _session_doc(vr_org, session["id"]).get().get("command_seq") == 0
    paired = pair(session["pairing_code"]).json()
    token = headset_id_token(paired["custom_token"])
    problem(call("GET", f"{HEADSET}/films/{foreign}/url", token), 403, "film_not_licensed")


def test_a_paired_headset_gets_a_short_lived_url_for_a_licensed_film(
    owner: str, vr_org: dict[str, Any], area: str
) -> None:
    film = vr_film(owner, area)
    session = open_session(vr_org)
    paired = pair(session["pairing_code"]).json()
    token = headset_id_token(paired["custom_token"])
    reply = call("GET", f"{HEADSET}/films/{film}/url", token)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert "X-Goog-Expires=900" in body["url"]
    assert f"catalogue/vr-films/{film}" in body["url"]
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires - datetime.now(UTC) <= timedelta(minutes=15)
    # A removed headset gets nothing more, and neither does a professional's token.
    removed = call(
        "DELETE",
        f"{VR}/sessions/{session['id']}/headsets/{paired['headset_id']}",
        vr_org["pro_token"],
    )
    assert removed.status_code == 204, removed.text
    problem(call("GET", f"{HEADSET}/films/{film}/url", token), 401, "headset_refused")
    problem(call("GET", f"{HEADSET}/films/{film}/url", vr_org["pro_token"]), 401, "headset_refused")


def test_another_professional_cannot_see_or_command_the_session(
    owner: str, vr_org: dict[str, Any], area: str
) -> None:
    session = open_session(vr_org)
    other = vr_tenant(owner, area)
    for method, path, body in [
        ("GET", f"/sessions/{session['id']}", None),
        ("POST", f"/sessions/{session['id']}/commands", {"action": "pause"}),
        ("POST", f"/sessions/{session['id']}/end", {}),
    ]:
        problem(call(method, VR + path, other["pro_token"], json=body), 404, "not_found")
