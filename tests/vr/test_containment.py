"""Containing a breach in a VR tenant: every paired headset's token stops working at once."""

from __future__ import annotations

import pytest

from tests.accounts import problem
from tests.helpers import call
from tests.support.incidents_helpers import API, on_call_rota, report
from tests.vr.support import HEADSET, headset_id_token, open_session, pair, vr_film, vr_tenant

pytestmark = pytest.mark.usefixtures("stack")


def test_a_containment_stops_every_headset_token_and_the_pairing_code(
    owner: str, catalogue: dict[str, str]
) -> None:
    on_call_rota(owner)
    org = vr_tenant(owner, catalogue["area"])
    film = vr_film(owner, catalogue["area"])
    session = open_session(org)
    tokens = [headset_id_token(pair(session["pairing_code"]).json()["custom_token"]) for _ in "ab"]
    for token in tokens:
        assert call("GET", f"{HEADSET}/films/{film}/url", token).status_code == 200
    incident = report(org["pro_token"])

    path = f"{API}/tenants/{org['slug']}/containment"
    done = call("POST", path, owner, json={"incident_id": incident["id"]})
    assert done.status_code == 200, done.text
    assert done.json()["steps"]["headset_tokens"] == 2
    for token in tokens:
        problem(call("GET", f"{HEADSET}/films/{film}/url", token), 401, "headset_refused")
    problem(pair(session["pairing_code"]), 404, "pairing_code_invalid")
    again = call("POST", path, owner, json={"incident_id": incident["id"]})
    assert again.json()["steps"]["headset_tokens"] == 0


def test_a_containment_frees_the_places_of_the_headsets_it_stops(
    owner: str, catalogue: dict[str, str]
) -> None:
    from shared.gcp import firestore_client
    from shared.tenancy import TenantData

    on_call_rota(owner)
    org = vr_tenant(owner, catalogue["area"])
    session = open_session(org)
    for _ in "ab":
        assert pair(session["pairing_code"]).status_code == 201
    slots = (
        TenantData(firestore_client(), org["slug"])
        .document("vr_sessions", session["id"])
        .collection("vr_slots")
    )
    assert len(slots.get()) == 2
    incident = report(org["pro_token"])

    path = f"{API}/tenants/{org['slug']}/containment"
    done = call("POST", path, owner, json={"incident_id": incident["id"]})

    assert done.status_code == 200, done.text
    assert slots.get() == []  # the tablet's new code pairs a full class again
