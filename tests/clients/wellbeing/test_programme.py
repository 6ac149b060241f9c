"""The professional's own programme (VoksenRo, issue 17) against the emulators: a licensed
course for oneself, progress, theirs alone (the administrator gets counts), in their own
export, and a weekly reminder that comes once a week, and not while they are at it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.support.maintenance.wellbeing_reminders import remind_own_programmes
from shared.gcp import firestore_client
from shared.messaging.models import MESSAGES
from shared.tenancy import TenantData
from shared.wellbeing import PROGRAMMES
from tests.accounts import activate, active_tenant, add_professional, problem
from tests.content import API
from tests.helpers import call, emails_to, wait_until

pytestmark = pytest.mark.usefixtures("stack")
MINE = f"{API}/wellbeing/me/programme"
SUBJECT = "Din uge med VoksenRo"


@pytest.fixture
def staff(owner: str, catalogue: dict[str, str]) -> dict[str, Any]:
    created = active_tenant(owner, seats=3, focus_areas=[catalogue["area"]])
    pro, other = add_professional(created["admin_token"]), add_professional(created["admin_token"])
    return {
        **created,
        "pro": pro,
        "token": activate(pro["email"]),
        "other_token": activate(other["email"]),
        "data": TenantData(firestore_client(), created["slug"]),
    }


def test_a_professional_follows_a_course_for_themselves_and_sees_their_progress(
    staff: dict[str, Any], catalogue: dict[str, str]
) -> None:
    token = staff["token"]
    problem(call("GET", MINE, token), 404, "not_found")
    started = call("PUT", MINE, token, json={"course_id": catalogue["course"]})
    assert started.status_code == 200, started.text
    assert (started.json()["done"], started.json()["total"]) == (0, 2)
    ticked = call("POST", f"{MINE}/done/{catalogue['reflection']}", token)
    assert ticked.status_code == 200, ticked.text
    again = call("POST", f"{MINE}/done/{catalogue['reflection']}", token)  # no change
    assert again.json()["done"] == 1
    shown = call("GET", MINE, token).json()
    assert [i["done"] for i in shown["items"]] == [True, False]
    call("POST", f"{MINE}/done/{catalogue['memory']}", token)
    assert call("GET", MINE, token).json()["done"] == 2
    stored = staff["data"].document(PROGRAMMES, staff["pro"]["uid"]).get().to_dict() or {}
    assert stored["complete"] is True


def test_a_course_outside_the_licence_or_the_programme_is_refused_with_nothing_written(
    staff: dict[str, Any], catalogue: dict[str, str]
) -> None:
    token = staff["token"]
    problem(call("PUT", MINE, token, json={"course_id": "no-such-course"}), 404, "not_found")
    problem(call("PUT", MINE, token, json={"course_id": ""}), 422, "validation_failed")
    assert not staff["data"].document(PROGRAMMES, staff["pro"]["uid"]).get().exists
    problem(call("POST", f"{MINE}/done/{catalogue['memory']}", token), 404, "not_found")
    call("PUT", MINE, token, json={"course_id": catalogue["course"]})
    problem(call("POST", f"{MINE}/done/{catalogue['foreign']}", token), 422, "not_in_course")
    assert call("GET", MINE, token).json()["done"] == 0


def test_the_programme_is_theirs_alone_and_the_administrator_sees_counts_only(
    owner: str, staff: dict[str, Any], catalogue: dict[str, str]
) -> None:
    call("PUT", MINE, staff["token"], json={"course_id": catalogue["course"]})
    problem(call("GET", MINE, staff["other_token"]), 404, "not_found")  # their own, none
    counts = call("GET", f"{API}/wellbeing/programmes", staff["admin_token"])
    assert counts.status_code == 200, counts.text
    assert counts.json() == {"following": 1, "active_last_7_days": 1}
    assert catalogue["course"] not in counts.text
    problem(call("GET", f"{API}/wellbeing/programmes", staff["token"]), 403, "forbidden")
    other = active_tenant(owner, focus_areas=[catalogue["area"]])
    theirs = call("GET", f"{API}/wellbeing/programmes", other["admin_token"]).json()
    assert theirs == {"following": 0, "active_last_7_days": 0}

    export = call("GET", "/auth_api/me/export", staff["token"])
    assert export.status_code == 200, export.text
    [programme] = export.json()["own_programme"]
    assert programme["course_id"] == catalogue["course"]
    assert (
        json.loads(call("GET", "/auth_api/me/export", staff["other_token"]).text)["own_programme"]
        == []
    )
    assert call("DELETE", MINE, staff["token"]).status_code == 204
    problem(call("GET", MINE, staff["token"]), 404, "not_found")


def _run(at: datetime) -> None:
    remind_own_programmes(firestore_client(), at + timedelta(hours=1), lambda: at)


def test_an_idle_programme_is_reminded_once_a_week_in_danish_and_a_busy_one_not(
    staff: dict[str, Any], catalogue: dict[str, str]
) -> None:
    token, data = staff["token"], staff["data"]
    call("PUT", MINE, token, json={"course_id": catalogue["course"]})
    ref = data.document(PROGRAMMES, staff["pro"]["uid"])
    started = (ref.get().to_dict() or {})["last_activity"]
    _run(started + timedelta(days=6))  # active within the week: nothing
    monday = datetime(2027, 1, 4, 2, tzinfo=UTC)  # ISO week 1 of 2027
    ref.update({"last_activity": monday - timedelta(days=8)})
    _run(monday)
    _run(monday + timedelta(days=2))  # the same week: the same message id
    [mail] = wait_until(
        lambda: [m for m in emails_to(staff["pro"]["email"]) if m["subject"].startswith(SUBJECT)]
    )
    assert "Modet vokser" in mail["subject"]
    kinds = [
        (s.to_dict() or {}).get("request", {}).get("kind") for s in data.collection(MESSAGES).get()
    ]
    assert kinds.count("wellbeing_programme_week") == 1
    _run(monday + timedelta(days=7))  # idle another week: the next week's reminder
    wait_until(
        lambda: (
            [
                (s.to_dict() or {}).get("request", {}).get("kind")
                for s in data.collection(MESSAGES).get()
            ].count("wellbeing_programme_week")
            == 2
        )
    )
    ref.update({"complete": True})
    _run(monday + timedelta(days=14))  # finished: no more
    kinds = [
        (s.to_dict() or {}).get("request", {}).get("kind") for s in data.collection(MESSAGES).get()
    ]
    assert kinds.count("wellbeing_programme_week") == 2
