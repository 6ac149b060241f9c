"""An on-call rota of two support people with phones, for the incident and breach tests."""

from __future__ import annotations

from typing import Any

from tests.helpers import call, unique
from tests.support.tickets_helpers import support_person

API = "/support_incidents"


def phone() -> str:
    return "+4522" + str(int(unique("x")[2:], 16) % 1_000_000).zfill(6)


def on_call_rota(owner: str) -> dict[str, dict[str, Any]]:
    primary, secondary = (support_person(phone=p) for p in (phone(), phone()))
    reply = call(
        "PUT",
        f"{API}/desk/rota",
        owner,
        json={"primary_uid": primary["uid"], "secondary_uid": secondary["uid"]},
    )
    assert reply.status_code == 200, reply.text
    return {"primary": primary, "secondary": secondary}


def report(token: str, kind: str = "hacking") -> dict[str, Any]:
    reply = call(
        "POST", f"{API}/incidents", token, json={"kind": kind, "description": "Mistænkeligt login"}
    )
    assert reply.status_code == 201, reply.text
    found: dict[str, Any] = reply.json()
    return found
