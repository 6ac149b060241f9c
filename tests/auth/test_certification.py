"""The certification gate against the emulators: a professional the licence requires
certified signs in, gets `certification_required` on client work, takes the course
(videos in order, the quiz), is locked for a day after the allowed failures, passes and
works; the administrator sees it; an expired certification refuses again until renewed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from shared.catalogue import Kind, collection_name
from shared.gcp import firestore_client
from shared.members import member_ref
from tests.accounts import (
    API,
    activate,
    active_tenant,
    add_professional,
    events,
    licence,
    problem,
)
from tests.helpers import call, unique

pytestmark = pytest.mark.usefixtures("stack")
CLIENTS = "/clients_api/clients"
Q = {"question": "Hvem må se klientens log?", "options": ["Alle", "Sagens fagpersoner"]}


def _course() -> dict[str, Any]:
    videos = [unique("video"), unique("video")]
    for n, video in enumerate(videos):
        firestore_client().collection(collection_name(Kind.VIDEOS)).document(video).set(
            {"focus_area": "trivsel", "title": f"Del {n + 1}", "url": "https://v.example.dk/x"}
        )
    return {
        "roles": ["professional"],
        "videos": videos,
        "questions": [{**Q, "correct": 1}, {**Q, "correct": 1}],
        "pass_mark": 2,
        "max_attempts": 2,
        "valid_months": 12,
    }


@pytest.fixture
def org(owner: str) -> dict[str, Any]:
    created = active_tenant(owner)
    requirement = _course()
    changed = call(
        "PUT",
        f"{API}/tenants/{created['slug']}/licence",
        owner,
        json=licence(seats=3) | {"certification": requirement},
    )
    assert changed.status_code == 200, changed.text
    pro = add_professional(created["admin_token"])
    return created | {"pro": pro, "pro_token": activate(pro["email"]), "course": requirement}


def _certification(org: dict[str, Any]) -> dict[str, Any]:
    record = member_ref(org["slug"], org["pro"]["uid"]).get().to_dict() or {}
    held: dict[str, Any] = record.get("certification") or {}
    return held


def _move(org: dict[str, Any], **fields: datetime) -> None:
    """The clock moved: a stored time set as far back as the test needs."""
    ref = member_ref(org["slug"], org["pro"]["uid"])
    ref.update({f"certification.{k}": v for k, v in fields.items()})


def test_an_uncertified_professional_signs_in_but_client_work_is_refused(
    org: dict[str, Any],
) -> None:
    token = org["pro_token"]
    assert call("GET", f"{API}/me", token).status_code == 200
    problem(call("GET", CLIENTS, token), 403, "certification_required")
    problem(call("POST", CLIENTS, token, json={"name": "X"}), 403, "certification_required")
    problem(call("GET", "/remote_tasks_api/settings", token), 403, "certification_required")
    problem(call("GET", f"{API}/users", token), 403, "certification_required")
    # Offline sync checks its token itself: the same refusal, and the batch is not held.
    sync = call("POST", "/clients_api/sync", token, json={"records": []})
    problem(sync, 403, "certification_required")
    state = call("GET", f"{API}/certification", token).json()
    assert state["status"] == "pending"
    assert [v["title"] for v in state["videos"]] == ["Del 1", "Del 2"]
    assert "correct" not in state["questions"][0]  # the answers are never shown
    # The administrator is not under the requirement and works as before.
    assert call("GET", CLIENTS, org["admin_token"]).status_code == 200
    problem(
        call("GET", f"{API}/certification", org["admin_token"]), 404, "certification_not_required"
    )


def test_the_course_in_order_then_the_quiz_locks_after_failures_and_a_pass_opens(
    org: dict[str, Any],
) -> None:
    token, (first, second) = org["pro_token"], org["course"]["videos"]
    quiz = f"{API}/certification/quiz"
    problem(call("POST", quiz, token, json={"answers": [1, 1]}), 409, "course_incomplete")
    watch = f"{API}/certification/videos/{{}}/watched"
    problem(call("POST", watch.format(second), token), 409, "video_out_of_order")
    assert _certification(org).get("watched") is None  # a refusal writes nothing
    problem(call("POST", watch.format("not-in-course"), token), 404, "not_found")
    assert call("POST", watch.format(first), token).status_code == 204
    assert call("POST", watch.format(second), token).status_code == 204

    failed = call("POST", quiz, token, json={"answers": [0, 1]}).json()
    assert failed["passed"] is False
    assert failed["attempts_left"] == 1
    locked = call("POST", quiz, token, json={"answers": [0, 0]}).json()
    assert locked["locked_until"] is not None
    refused = problem(
        call("POST", quiz, token, json={"answers": [1, 1]}), 429, "quiz_attempts_locked"
    )
    assert "locked" in refused["detail"]
    problem(call("GET", CLIENTS, token), 403, "certification_required")
    problem(call("POST", quiz, token, json={"answers": [1]}), 429, "quiz_attempts_locked")

    _move(org, locked_until=datetime.now(UTC) - timedelta(seconds=1))  # a day later
    problem(call("POST", quiz, token, json={"answers": [1]}), 422, "validation_failed")
    passed = call("POST", quiz, token, json={"answers": [1, 1]}).json()
    assert passed["passed"] is True
    assert call("GET", CLIENTS, token).status_code == 200

    listing = call("GET", f"{API}/certifications", org["admin_token"]).json()["users"]
    mine = next(u for u in listing if u["uid"] == org["pro"]["uid"])
    assert mine["status"] == "certified"
    assert mine["certified_at"] is not None
    assert mine["certified_until"] == passed["certified_until"]
    admin = next(u for u in listing if u["uid"] == org["admin_uid"])
    assert admin["status"] == "not_required"
    problem(call("GET", f"{API}/certifications", token), 403, "forbidden")
    actions = [e["action"] for e in events(org["slug"])]
    assert actions.count("certification.failed") == 2
    assert "certification.passed" in actions


def test_an_expired_certification_refuses_again_until_renewed(org: dict[str, Any]) -> None:
    token, videos = org["pro_token"], org["course"]["videos"]
    for video in videos:
        assert call("POST", f"{API}/certification/videos/{video}/watched", token).ok
    assert call("POST", f"{API}/certification/quiz", token, json={"answers": [1, 1]}).ok
    assert call("GET", CLIENTS, token).status_code == 200
    _move(org, certified_until=datetime.now(UTC) - timedelta(seconds=1))  # a year later
    problem(call("GET", CLIENTS, token), 403, "certification_required")
    assert call("GET", f"{API}/certification", token).json()["status"] == "expired"
    renewed = call("POST", f"{API}/certification/quiz", token, json={"answers": [1, 1]})
    assert renewed.json()["passed"] is True
    assert call("GET", CLIENTS, token).status_code == 200


def test_the_gate_costs_no_round_trip(org: dict[str, Any]) -> None:
    """The requirement rides on the tenant document and the certification on the member
    record, both in the one get_all every request makes: a refusal is that get_all alone,
    and a certified professional's listing costs what the (unrequired) administrator's does."""
    from bench.common import start_host, wait_ready

    host = start_host("test-certification")

    def listing(token: str, status: int) -> dict[str, int]:
        host.reset()
        headers = {"Authorization": f"Bearer {token}"}
        reply = requests.get(f"{host.url}/clients_api/clients", headers=headers, timeout=30)
        assert reply.status_code == status, reply.text
        counted = host.counts()
        assert counted["auth"] == 0
        methods: dict[str, int] = counted["methods"]
        return methods

    try:
        wait_ready(host)
        assert listing(org["pro_token"], 403) == {"firestore/BatchGetDocuments": 1}
        for video in org["course"]["videos"]:
            assert call("POST", f"{API}/certification/videos/{video}/watched", org["pro_token"]).ok
        quiz = call("POST", f"{API}/certification/quiz", org["pro_token"], json={"answers": [1, 1]})
        assert quiz.json()["passed"] is True
        assert listing(org["pro_token"], 200) == listing(org["admin_token"], 200)
    finally:
        host.stop()
