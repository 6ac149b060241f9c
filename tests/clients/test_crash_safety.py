"""Kill tests of the clients area's multi-document operations (issue 19, item 4): the
host is killed at each crash point, then a retry or the nightly maintenance must leave
the complete result, read directly from Firestore and Storage."""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.client_data import CLIENT_RECORDS, files_prefix
from shared.gcp import firestore_client
from shared.storage import uploads_bucket
from shared.tenancy import TenantData
from tests.accounts import active_tenant, problem
from tests.content import CLIENT, new_client
from tests.crash import crash_at, expire_leases, run_maintenance_later
from tests.helpers import call, unique

pytestmark = pytest.mark.usefixtures("stack")
API = "/clients_api"


@pytest.fixture(scope="module")
def org(owner: str, catalogue: dict[str, str]) -> dict[str, Any]:
    """One tenant for the module: every case works on a client of its own."""
    created = active_tenant(owner, seats=3, focus_areas=[catalogue["area"]])
    return {**created, "data": TenantData(firestore_client(), created["slug"])}


def _events(data: TenantData, action: str, client_id: str) -> list[dict[str, Any]]:
    query = data.collection("events").where(filter=FieldFilter("client_id", "==", client_id))
    return [e.to_dict() or {} for e in query.get() if e.get("action") == action]


CREATE_POINTS = [
    "http.after_claim",
    "clients.create.before_commit",
    "clients.create.after_commit",
    "http.before_finish",
    "http.after_finish",
]


@pytest.mark.parametrize("point", CREATE_POINTS)
def test_a_client_creation_killed_at_any_point_ends_with_one_client_after_the_retry(
    org: dict[str, Any], point: str
) -> None:
    data, name = org["data"], unique("Krak")
    body = {**CLIENT, "profile": {**CLIENT["profile"], "name": name}}
    key = {"Idempotency-Key": unique("key")}
    by_name = data.collection("clients").where(
        filter=FieldFilter("search_name", "==", name.lower())
    )

    crash_at(point, "POST", f"{API}/clients", org["admin_token"], json=body, headers=key)

    left = by_name.get()
    assert len(left) <= 1  # nothing, or the client whole: contacts and its log entry
    for snapshot in left:
        assert snapshot.get("contacts") == [c | {"language": None} for c in CLIENT["contacts"]]
        assert len(_events(data, "client.created", snapshot.id)) == 1
    waiting = call("POST", f"{API}/clients", org["admin_token"], json=body, headers=key)
    if point == "http.after_finish":  # the response was kept: the retry gets it
        assert waiting.status_code == 201, waiting.text
    else:
        problem(waiting, 409, "conflict")  # the dead request's lease still holds
        assert int(waiting.headers["Retry-After"]) > 0
    expire_leases()
    retried = call("POST", f"{API}/clients", org["admin_token"], json=body, headers=key)
    assert retried.status_code == 201, retried.text
    [client] = by_name.get()
    assert retried.json()["id"] == client.id
    assert len(_events(data, "client.created", client.id)) == 1


ASSIGN_POINTS = [
    "http.after_claim",
    "courses.assign.before_commit",
    "courses.assign.after_commit",
    "http.before_finish",
    "http.after_finish",
]


@pytest.mark.parametrize("point", ASSIGN_POINTS)
def test_a_course_assignment_killed_at_any_point_ends_with_one_complete_course_after_the_retry(
    org: dict[str, Any], catalogue: dict[str, str], point: str
) -> None:
    data = org["data"]
    client = new_client(org["admin_token"], unique("Kurs"))
    path = f"{API}/clients/{client['id']}/courses"
    body = {"course_id": catalogue["course"]}
    key = {"Idempotency-Key": unique("key")}
    courses = data.collection("clients", client["id"], "courses")
    expected = call("GET", f"{API}/catalogue", org["admin_token"]).json()

    crash_at(point, "POST", path, org["admin_token"], json=body, headers=key)

    def check_whole(snapshots: list[Any]) -> None:
        for snapshot in snapshots:
            items = snapshot.get("items")
            assert [i["id"] for i in items] == [f"i{n}" for n in range(len(items))]
            assert items
            assert all(i["status"] == "pending" for i in items)
            assert len(_events(data, "course.assigned", client["id"])) == 1

    left = list(courses.list_documents())
    assert len(left) <= 1
    check_whole([ref.get() for ref in left])
    expire_leases()
    retried = call("POST", path, org["admin_token"], json=body, headers=key)
    assert retried.status_code == 201, retried.text
    [course] = courses.get()
    assert retried.json()["id"] == course.id
    assert len(retried.json()["items"]) == len(course.get("items"))
    check_whole([course])
    assert expected  # the catalogue answered: the course is licensed


PSEUDONYMISE_POINTS = [
    "clients.pseudonymise.before",
    "crypto.key_created",  # the tenant's first sealing creates its data key
    "clients.pseudonymise.read",
    "clients.pseudonymise.sealed",
    "clients.pseudonymise.committed",
]


@pytest.mark.parametrize("point", PSEUDONYMISE_POINTS)
def test_a_pseudonymisation_killed_at_any_point_is_all_or_nothing_and_a_retry_completes_it_or_waits(
    owner: str, point: str
) -> None:
    tenant = active_tenant(owner)  # without a data key yet
    data, token = TenantData(firestore_client(), tenant["slug"]), tenant["admin_token"]
    name = unique("Pseu")
    client = new_client(token, name)
    path = f"{API}/clients/{client['id']}/pseudonymise"

    crash_at(point, "POST", path, token)

    doc = data.document("clients", client["id"]).get().to_dict() or {}
    logged = _events(data, "client.pseudonymised", client["id"])
    if doc["pseudonymised"]:
        assert doc["profile"]["name"] != name
        assert doc["contacts"] == []
        assert len(logged) == 1
    else:
        assert doc["profile"]["name"] == name
        assert doc["sealed_identity"] is None
        assert not logged
    retried = call("POST", path, token)
    if doc["pseudonymised"]:
        problem(retried, 409, "pseudonymised")
    elif retried.status_code == 409:
        # Killed inside its transaction: the emulator holds the dead transaction's lock
        # for a while (production Firestore too), and the retry is told to try again.
        problem(retried, 409, "conflict")
        return
    else:
        assert retried.status_code == 200, retried.text
    identity = call("GET", f"{API}/clients/{client['id']}/identity", token)
    assert identity.status_code == 200, identity.text
    assert identity.json()["profile"]["name"] == name
    assert identity.json()["contacts"] == [c | {"language": None} for c in CLIENT["contacts"]]
    assert len(_events(data, "client.pseudonymised", client["id"])) == 1


ERASE_POINTS = [
    "erasure.marked",
    "erasure.first_files",
    "erasure.first_records",
    "erasure.second_files",
    "erasure.second_records",
    "erasure.committed",
]


def _client_with_data(org: dict[str, Any], catalogue: dict[str, str]) -> dict[str, Any]:
    token = org["admin_token"]
    client = new_client(token, unique("Slet"))
    course = call(
        "POST",
        f"{API}/clients/{client['id']}/courses",
        token,
        json={"course_id": catalogue["course"]},
    )
    assert course.status_code == 201, course.text
    for n in range(2):
        blob = uploads_bucket().blob(files_prefix(org["data"], client["id"]) + f"files/f{n}")
        blob.upload_from_string(b"scanned consent", content_type="application/pdf")
    return client


def _nothing_left(data: TenantData, client_id: str) -> None:
    assert not data.document("clients", client_id).get().exists
    assert list(data.collection("clients", client_id, "courses").list_documents()) == []
    for records in (r for r in CLIENT_RECORDS if r.erased):
        query = data.collection(records.collection).where(
            filter=FieldFilter("client_id", "==", client_id)
        )
        assert query.get() == [], records.collection
    assert list(uploads_bucket().list_blobs(prefix=files_prefix(data, client_id))) == []


@pytest.mark.parametrize("recovery", ["retry", "maintenance"])
@pytest.mark.parametrize("point", ERASE_POINTS)
def test_an_erasure_killed_at_any_point_leaves_a_marker_that_the_retry_or_the_night_finishes(
    org: dict[str, Any], catalogue: dict[str, str], point: str, recovery: str
) -> None:
    data, token = org["data"], org["admin_token"]
    client = _client_with_data(org, catalogue)
    ref = data.document("clients", client["id"])

    crash_at(point, "DELETE", f"{API}/clients/{client['id']}", token)

    doc = ref.get().to_dict()
    erased = [
        e.to_dict() or {}
        for e in data.collection("events")
        .where(filter=FieldFilter("action", "==", "client.erased"))
        .get()
    ]
    if doc is None:  # finished: its trace is there
        assert point == "erasure.committed"
        _nothing_left(data, client["id"])
    else:  # unfinished: marked, and gone for every request already
        assert doc["erasing"] is True
        assert doc["erasure_id"]
        problem(call("GET", f"{API}/clients/{client['id']}", token), 404, "not_found")
        assert not any(e["details"]["erasure_id"] == doc["erasure_id"] for e in erased)
    if recovery == "retry":
        retried = call("DELETE", f"{API}/clients/{client['id']}", token)
        if doc is None:
            problem(retried, 404, "not_found")
        else:
            assert retried.status_code == 200, retried.text
            assert retried.json()["erasure_id"] == doc["erasure_id"]
    else:
        run_maintenance_later()
    _nothing_left(data, client["id"])
    if doc is not None:
        traces = [
            e.to_dict() or {}
            for e in data.collection("events")
            .where(filter=FieldFilter("action", "==", "client.erased"))
            .get()
        ]
        assert [e["details"]["erasure_id"] for e in traces].count(doc["erasure_id"]) == 1
