"""A user's own export (GDPR Art. 15, 20): their profile, log and what they wrote, by id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.accounts import API, activate, active_tenant, add_professional, events, problem
from tests.clients.offline.sync_helpers import note as note_record
from tests.content import new_client
from tests.helpers import call
from tests.support.tickets_helpers import new_ticket

pytestmark = pytest.mark.usefixtures("stack")
CLIENTS_API = "/clients_api"


def test_a_user_exports_their_profile_log_and_what_they_wrote_and_nothing_of_others(
    owner: str, catalogue: dict[str, str]
) -> None:
    created = active_tenant(owner, seats=3, focus_areas=[catalogue["area"]])
    admin = created["admin_token"]
    pro = add_professional(admin)
    token = activate(pro["email"])
    mine = str(new_client(token, "Ida Jensen")["id"])
    course = call(
        "POST",
        f"{CLIENTS_API}/clients/{mine}/courses",
        token,
        json={"course_id": catalogue["course"]},
    )
    assert course.status_code == 201, course.text
    ticket = new_ticket(token, description="Forløbet gemmes ikke")
    theirs = str(new_client(admin, "Bo Holm")["id"])
    new_ticket(admin, description="Administratorens egen sag")

    reply = call("GET", f"{API}/me/export", token)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    text = reply.text

    assert body["user"]["uid"] == pro["uid"]
    assert body["user"]["email"] == pro["email"]
    assert body["log"]
    assert {e["actor"] for e in body["log"]} == {pro["uid"]}
    assert {"client.created", "course.assigned"} <= {e["action"] for e in body["log"]}
    assert any(e["action"] == "user.created" for e in body["about_me"])
    assert [t["id"] for t in body["tickets_reported"]] == [ticket["id"]]
    assert body["tickets_reported"][0]["description"] == "Forløbet gemmes ikke"
    assert [c["client_id"] for c in body["clients_created"]] == [mine]
    assert [c["client_id"] for c in body["courses_assigned"]] == [mine]
    # The clients are the customer's data: referenced by id, never by name.
    assert "Ida Jensen" not in text
    # Nothing of another user: not their client, ticket, or address.
    assert theirs not in text
    assert "Administratorens egen sag" not in text
    assert created["admin_email"] not in text
    # The export itself is in the user's log.
    assert any(
        e["action"] == "user.exported" and e["actor"] == pro["uid"] for e in events(created["slug"])
    )


def test_the_own_export_is_refused_without_a_tenant_user(owner: str) -> None:
    problem(call("GET", f"{API}/me/export", owner), 403, "forbidden")
    problem(call("GET", f"{API}/me/export"), 401, "unauthenticated")


def test_events_about_a_client_are_exported_as_references_never_their_text_or_values(
    owner: str, catalogue: dict[str, str]
) -> None:
    created = active_tenant(owner, seats=3, focus_areas=[catalogue["area"]])
    admin = created["admin_token"]
    token = activate(add_professional(admin)["email"])
    client = new_client(token, "Ida Jensen")
    path = f"{CLIENTS_API}/clients/{client['id']}"
    note = {"text": "Hemmelig note om skolen"}
    assert call("POST", f"{path}/log", token, json=note).status_code == 201
    offline = note_record(str(client["id"]), "Hemmelig offline note")
    base = client["profile"]["notes"]
    online = {**client["profile"], "notes": "Hemmelig online værdi"}
    assert call("PATCH", path, admin, json={"profile": online}).status_code == 200
    mine = {
        **note_record(str(client["id"]), ""),
        "kind": "client_field",
        "field": "notes",
        "value": "Hemmelig konfliktværdi",
        "base_value": base,
        "base_version": (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
    }
    mine.pop("text")
    synced = call("POST", f"{CLIENTS_API}/sync", token, json={"records": [offline, mine]})
    assert [r["status"] for r in synced.json()["results"]] == ["applied", "conflict"], synced.text

    reply = call("GET", f"{API}/me/export", token)

    assert reply.status_code == 200, reply.text
    about_client = [e for e in reply.json()["log"] if e.get("client_id") == client["id"]]
    assert {"client.created", "client.note", "client.sync_conflict"} <= {
        e["action"] for e in about_client
    }
    assert all("details" not in e for e in about_client)
    for secret in ("Hemmelig", "Ida Jensen"):
        assert secret.encode() not in reply.content
