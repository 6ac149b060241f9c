"""A user's own export (GDPR Art. 15, 20): their profile, log and what they wrote, by id."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts import API, activate, active_tenant, add_professional, events, problem
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
