"""Containing a breach in one tenant against the stack: every session ends at once (the
existing request path refuses an older token), passwords must be chosen again, remote-task
links answer "gone"; each step audited in the tenant's log and the owner log; a second run
of the same containment changes nothing more."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from shared.gcp import firestore_client
from tests.accounts import problem
from tests.content import new_client
from tests.helpers import PASSWORD, auth_url, call, emails_to, unique, wait_until
from tests.support.incidents_helpers import API, on_call_rota, report
from tests.tasks.test_remote_tasks import link_for

pytestmark = pytest.mark.usefixtures("stack")
STEPS = ["sign_out", "password_reset", "remote_task_links", "headset_tokens"]


def _sent_link(org: dict[str, Any], catalogue: dict[str, str]) -> str:
    email = f"{unique('mor')}@example.dk"
    client = new_client(org["pro_token"], "Ida Jensen", email=email)
    course = call(
        "POST",
        f"/clients_api/clients/{client['id']}/courses",
        org["pro_token"],
        json={"course_id": catalogue["course"]},
    ).json()
    item = f"/clients/{client['id']}/courses/{course['id']}/items/i0"
    sent = call("POST", f"/remote_tasks_api{item}/remote-tasks", org["pro_token"], json={})
    assert sent.status_code == 201, sent.text
    return link_for(email)


def _password_works(email: str) -> bool:
    reply = requests.post(
        auth_url("/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=any"),
        json={"email": email, "password": PASSWORD, "returnSecureToken": True},
        timeout=10,
    )
    return reply.status_code == 200


def test_one_step_signs_everyone_out_resets_passwords_voids_links_and_is_audited(
    owner: str, org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    on_call_rota(owner)
    link = _sent_link(org, catalogue)
    assert requests.get(link, timeout=10).status_code == 200
    incident = report(org["pro_token"])
    assert call("GET", "/auth_api/me", org["pro_token"]).status_code == 200

    path = f"{API}/tenants/{org['slug']}/containment"
    done = call("POST", path, owner, json={"incident_id": incident["id"]})
    assert done.status_code == 200, done.text
    assert done.json()["steps"] == {
        "sign_out": 2,
        "password_reset": 2,
        "remote_task_links": 1,
        "headset_tokens": 0,
    }

    # the tokens minted before are refused at once, by the existing request path
    for token in (org["pro_token"], org["admin_token"]):
        problem(call("GET", "/auth_api/me", token), 401, "token_revoked")
    gone = requests.get(link, timeout=10)
    assert gone.status_code == 404
    assert "findes ikke længere" in gone.text
    assert not _password_works(org["pro"]["email"])
    [mail] = wait_until(
        lambda: [m for m in emails_to(org["pro"]["email"]) if m["subject"].startswith("Vælg en ny")]
    )
    assert "oobCode=" in mail["body"]

    db = firestore_client()
    events = db.collection("tenants").document(org["slug"]).collection("events").get()
    audited = sorted(e.get("action") for e in events if e.get("action").startswith("containment."))
    assert audited == sorted(f"containment.{s}" for s in STEPS)
    owner_log = [
        e.to_dict() or {}
        for e in db.collection("owner_log").get()
        if e.get("tenant_id") == org["slug"]
    ]
    assert sorted(e["action"] for e in owner_log) == audited
    assert {e["details"]["incident_id"] for e in owner_log} == {incident["id"]}

    again = call("POST", path, owner, json={"incident_id": incident["id"]})
    assert again.status_code == 200, again.text
    assert again.json()["steps"] == dict.fromkeys(STEPS, 0)
    assert again.json()["started_at"] == done.json()["started_at"]


def test_only_the_owner_contains_and_only_for_a_known_incident(
    owner: str, org: dict[str, Any]
) -> None:
    path = f"{API}/tenants/{org['slug']}/containment"
    problem(call("POST", path, owner, json={"incident_id": "no-such-incident"}), 404, "not_found")
    incident = report(org["pro_token"])
    for token in (org["admin_token"], org["pro_token"]):
        problem(call("POST", path, token, json={"incident_id": incident["id"]}), 403, "forbidden")
    problem(call("POST", path, owner, json={}), 422, "validation_failed")
    assert call("GET", "/auth_api/me", org["pro_token"]).status_code == 200  # nothing done
