"""Who received a client's data: contact persons and processors, from the records."""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.gcp import firestore_client
from shared.messaging.models import MESSAGES
from shared.tenancy import TenantData
from tests.accounts import problem
from tests.content import new_client
from tests.helpers import call, emails_to, unique, wait_until

pytestmark = pytest.mark.usefixtures("stack")
API = "/clients_api"
ACTION = FieldFilter("action", "==", "client.recipients_read")
TASKS = "/remote_tasks_api"


def _sent_to(org: dict[str, Any], catalogue: dict[str, str], pseudonymise: bool) -> Any:
    email = f"{unique('mor')}@example.dk"
    client = new_client(org["pro_token"], "Ida Jensen", email=email)
    path = f"/clients/{client['id']}"
    if pseudonymise:
        assert call("POST", f"{API}{path}/pseudonymise", org["pro_token"]).status_code == 200
    course = call(
        "POST", f"{API}{path}/courses", org["pro_token"], json={"course_id": catalogue["course"]}
    ).json()
    item = f"{path}/courses/{course['id']}/items/i0/remote-tasks"
    assert call("POST", TASKS + item, org["pro_token"], json={}).status_code == 201
    wait_until(lambda: emails_to(email))
    return path, email


@pytest.mark.parametrize("pseudonymise", [False, True])
def test_the_contact_person_e_mailed_and_the_e_mail_processor_are_listed(
    org: dict[str, Any], catalogue: dict[str, str], pseudonymise: bool
) -> None:
    path, email = _sent_to(org, catalogue, pseudonymise)

    def listed() -> Any:
        reply = call("GET", f"{API}{path}/recipients", org["admin_token"])
        assert reply.status_code == 200, reply.text
        found = reply.json()["recipients"]
        people = [r for r in found if r["kind"] == "contact_person"]
        return found if people and people[0]["sources"] == ["messages", "remote_tasks"] else None

    found = wait_until(listed)  # the message record says `sent` just after SES has it
    [person] = [r for r in found if r["kind"] == "contact_person"]
    assert (person["address"], person["name"], person["count"]) == (email, "Mette Jensen", 2)
    [processor] = [r for r in found if r["kind"] == "processor"]
    assert processor["channel"] == "email"
    assert "Amazon SES" in processor["name"]


def test_only_the_administrator_lists_recipients(org: dict[str, Any]) -> None:
    client = new_client(org["pro_token"])
    reply = call("GET", f"{API}/clients/{client['id']}/recipients", org["pro_token"])
    problem(reply, 403, "forbidden")


def test_only_this_clients_delivered_messages_count_and_the_listing_is_audited(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    path, email = _sent_to(org, catalogue, pseudonymise=False)
    _, other = _sent_to(org, catalogue, pseudonymise=False)  # another client, same tenant
    client_id = path.rsplit("/", 1)[1]
    data = TenantData(firestore_client(), org["slug"])
    # An SMS that failed never reached anyone: neither the number nor SNS received data.
    data.document(MESSAGES, unique("failed")).set(
        {
            "client_id": client_id,
            "state": "failed",
            "request": {"channel": "sms", "to": "+4599887766"},
            "sent_at": None,
        }
    )

    def listed() -> Any:
        found = call("GET", f"{API}{path}/recipients", org["admin_token"]).json()["recipients"]
        people = [r for r in found if r["kind"] == "contact_person"]
        return found if people and people[0]["sources"] == ["messages", "remote_tasks"] else None

    found = wait_until(listed)
    assert [r["address"] for r in found if r["kind"] == "contact_person"] == [email]
    assert other not in str(found)
    assert [r["channel"] for r in found if r["kind"] == "processor"] == ["email"]
    audited = data.collection("events").where(filter=ACTION).get()
    assert client_id in {e.get("client_id") for e in audited}
