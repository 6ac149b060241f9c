"""What the VR tests share: a VR-licensed tenant with a client, a film, a session."""

from __future__ import annotations

from typing import Any

import requests

from tests.accounts import activate, active_tenant, add_professional
from tests.content import new_client
from tests.helpers import auth_url, call, unique

VR = "/vr_api"
HEADSET = "/vr_headset_api"


def vr_film(owner: str, area: str) -> str:
    film_id = unique("film")
    reply = call(
        "PUT",
        f"/clients_api/catalogue/exercises/{film_id}",
        owner,
        json={
            "focus_area": area,
            "title": "Fjorden",
            "content": {"kind": "vr_film", "film_id": film_id, "duration_seconds": 600},
        },
    )
    assert reply.status_code == 200, reply.text
    return film_id


def vr_tenant(owner: str, area: str, add_ons: list[str] | None = None) -> dict[str, Any]:
    created = active_tenant(
        owner, seats=3, add_ons=["vr"] if add_ons is None else add_ons, focus_areas=[area]
    )
    pro = add_professional(created["admin_token"])
    token = activate(pro["email"])
    client = new_client(token)
    return {
        **created,
        "pro_token": token,
        "pro_uid": pro["uid"],
        "pro_email": pro["email"],
        "client_id": client["id"],
    }


def open_session(org: dict[str, Any]) -> dict[str, Any]:
    reply = call("POST", f"{VR}/sessions", org["pro_token"], json={"client_id": org["client_id"]})
    assert reply.status_code == 201, reply.text
    body: dict[str, Any] = reply.json()
    return body


# The classroom's network as the platform appends it: wrong codes are limited per
# address, so the headsets here share one of their own, as a class's headsets do (the
# API fuzzing's thousands of wrong codes come from the loopback address).
CLASSROOM = {"X-Forwarded-For": "203.0.113.7"}


def pair(code: str) -> requests.Response:
    return call("POST", f"{HEADSET}/pair", json={"code": code}, headers=CLASSROOM)


def headset_id_token(custom_token: str) -> str:
    reply = requests.post(
        auth_url("/identitytoolkit.googleapis.com/v1/accounts:signInWithCustomToken?key=any"),
        json={"token": custom_token, "returnSecureToken": True},
        timeout=10,
    )
    reply.raise_for_status()
    return str(reply.json()["idToken"])
