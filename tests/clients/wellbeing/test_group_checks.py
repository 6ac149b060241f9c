"""Groups and group checks against the emulators (issue 17): group level by design."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.gcp import firestore_client
from shared.tenancy import TenantData
from shared.wellbeing import ANSWERS, CHECKS, GROUPS, MEMBERS, PARTICIPATION
from tests.accounts import activate, active_tenant, add_professional, problem
from tests.content import API, new_client
from tests.helpers import call, unique

pytestmark = pytest.mark.usefixtures("stack")
WB = f"{API}/wellbeing/groups"
ANSWER_SETS = [[5, 4, 3, 4, 5], [1, 2, 1, 0, 2], [3, 3, 3, 3, 3], [4, 4, 5, 5, 4], [2, 1, 2, 3, 2]]


@pytest.fixture
def school(owner: str) -> dict[str, Any]:
    created = active_tenant(owner, seats=3)
    pro = add_professional(created["admin_token"])
    other = add_professional(created["admin_token"])
    token = activate(pro["email"])
    return {
        **created,
        "pro": pro,
        "pro_token": token,
        "other": other,
        "other_token": activate(other["email"]),
        "clients": [new_client(token, unique("Elev"))["id"] for _ in range(6)],
    }


def _group(school: dict[str, Any], clients: list[str] | None = None) -> dict[str, Any]:
    body = {"name": "4.b", "client_ids": clients or school["clients"]}
    reply = call("POST", WB, school["pro_token"], json=body)
    assert reply.status_code == 201, reply.text
    group: dict[str, Any] = reply.json()
    return group


def _check(school: dict[str, Any], group_id: str) -> str:
    reply = call(
        "POST", f"{WB}/{group_id}/checks", school["pro_token"], json={"questionnaire_id": "who5"}
    )
    assert reply.status_code == 201, reply.text
    check_id: str = reply.json()["id"]
    return check_id


def _answer(token: str, group_id: str, check_id: str, client_id: str, answers: list[int]) -> Any:
    body = {"client_id": client_id, "answers": answers}
    return call("POST", f"{WB}/{group_id}/checks/{check_id}/answers", token, json=body)


def _stored(slug: str) -> dict[str, list[dict[str, Any]]]:
    data = TenantData(firestore_client(), slug)
    return {
        name: [s.to_dict() or {} for s in data.collection(name).get()]
        for name in (GROUPS, MEMBERS, CHECKS, PARTICIPATION, ANSWERS)
    }


def _close(token: str, group_id: str, check_id: str) -> Any:
    return call("POST", f"{WB}/{group_id}/checks/{check_id}/close", token)


def test_four_answers_show_no_result_the_fifth_shows_it_and_no_answer_sits_beside_a_client(
    school: dict[str, Any],
) -> None:
    token, clients = school["pro_token"], school["clients"]
    four = _group(school, clients[:4])
    short = _check(school, four["id"])
    for client_id, answers in zip(clients[:4], ANSWER_SETS[:4], strict=True):
        assert _answer(token, four["id"], short, client_id, answers).status_code == 201
    closed = _close(token, four["id"], short)
    assert closed.status_code == 200, closed.text
    assert closed.json()["answered"] == 4
    assert closed.json()["result"] is None  # four answers: never a result
    assert call("GET", f"{WB}/{four['id']}/checks/{short}", token).json()["result"] is None

    group = _group(school)
    check_id = _check(school, group["id"])
    for client_id, answers in zip(clients[:5], ANSWER_SETS, strict=True):
        reply = _answer(token, group["id"], check_id, client_id, answers)
        assert reply.status_code == 201, reply.text
        assert reply.json()["result"] is None  # open: no result while answers come in
    reply = _close(token, group["id"], check_id)
    result = reply.json()["result"]
    assert result["answered"] == 5
    assert result["mean"] == sum(sum(a) * 4 for a in ANSWER_SETS) / 5

    stored = _stored(school["slug"])
    took_part = [p["client_id"] for p in stored[PARTICIPATION] if p["check_id"] == check_id]
    assert sorted(took_part) == sorted(clients[:5])
    [answers_doc] = [a for a in stored[ANSWERS] if a["group_id"] == group["id"]]
    text = json.dumps(stored[ANSWERS] + stored[CHECKS] + stored[GROUPS], default=str)
    for client_id in clients:
        assert client_id not in text
    assert answers_doc["sets"] == sorted(answers_doc["sets"])
    for doc in stored[PARTICIPATION]:
        assert set(doc) == {"check_id", "group_id", "client_id", "at"}  # no answer beside them
    # No route gives an individual's answers: none of the entered sets comes back.
    everything = json.dumps(
        [
            call("GET", f"{WB}/{group['id']}/checks/{check_id}", token).json(),
            call("GET", f"{WB}/{group['id']}/trend", token).json(),
            call("GET", WB, token).json(),
        ]
    )
    for answers in ANSWER_SETS:
        assert json.dumps(answers) not in everything


def test_bad_answers_are_refused_and_nothing_is_written(school: dict[str, Any]) -> None:
    group = _group(school, school["clients"][:5])
    check_id = _check(school, group["id"])
    token, clients = school["pro_token"], school["clients"]
    problem(
        _answer(token, group["id"], check_id, clients[0], [6, 0, 0, 0, 0]), 422, "validation_failed"
    )
    problem(_answer(token, group["id"], check_id, clients[0], [1, 1]), 422, "validation_failed")
    problem(_answer(token, group["id"], check_id, clients[5], [1] * 5), 422, "not_in_group")
    stored = _stored(school["slug"])
    assert stored[PARTICIPATION] == []
    assert [d["sets"] for d in stored[ANSWERS]] == [[]]
    assert _answer(token, group["id"], check_id, clients[0], [1] * 5).status_code == 201
    problem(_answer(token, group["id"], check_id, clients[0], [2] * 5), 409, "already_answered")
    assert [d["sets"] for d in _stored(school["slug"])[ANSWERS]] == [["01,01,01,01,01"]]
    problem(
        call("POST", f"{WB}/{group['id']}/checks", token, json={"questionnaire_id": "nope"}),
        422,
        "validation_failed",
    )


def test_a_professional_sees_only_their_own_groups_unless_the_administrator_shares_them(
    school: dict[str, Any],
) -> None:
    group = _group(school)
    other = school["other_token"]
    assert call("GET", WB, other).json()["groups"] == []
    problem(call("GET", f"{WB}/{group['id']}", other), 404, "not_found")
    problem(call("GET", f"{WB}/{group['id']}/trend", other), 404, "not_found")
    problem(
        call("POST", f"{WB}/{group['id']}/checks", other, json={"questionnaire_id": "who5"}),
        404,
        "not_found",
    )
    share = {"uid": school["other"]["uid"]}
    problem(call("POST", f"{WB}/{group['id']}/share", other, json=share), 403, "forbidden")
    assert (
        call("POST", f"{WB}/{group['id']}/share", school["admin_token"], json=share).status_code
        == 200
    )
    assert [g["id"] for g in call("GET", WB, other).json()["groups"]] == [group["id"]]
    assert call("GET", f"{WB}/{group['id']}", other).status_code == 200


def test_tenant_b_sees_nothing_of_tenant_a_s_groups_or_checks(
    school: dict[str, Any], owner: str
) -> None:
    group = _group(school)
    check_id = _check(school, group["id"])
    b = active_tenant(owner)
    b_token = b["admin_token"]
    assert call("GET", WB, b_token).json()["groups"] == []
    problem(call("GET", f"{WB}/{group['id']}", b_token), 404, "not_found")
    problem(call("GET", f"{WB}/{group['id']}/checks/{check_id}", b_token), 404, "not_found")
    problem(
        _answer(b_token, group["id"], check_id, school["clients"][0], [1] * 5), 404, "not_found"
    )
    # A's client in B's group: not found, nothing formed.
    body = {"name": "x", "client_ids": [school["clients"][0]]}
    problem(call("POST", WB, b_token, json=body), 404, "not_found")
    assert _stored(b["slug"])[GROUPS] == []


def test_participation_is_in_the_client_log_and_export_and_goes_with_erasure(
    school: dict[str, Any],
) -> None:
    group = _group(school)
    check_id = _check(school, group["id"])
    client_id = school["clients"][0]
    assert (
        _answer(school["pro_token"], group["id"], check_id, client_id, [3] * 5).status_code == 201
    )
    log = call("GET", f"{API}/clients/{client_id}/log", school["pro_token"]).json()
    assert "wellbeing.participated" in {e["action"] for e in log["entries"]}
    export = call("GET", f"{API}/clients/{client_id}/export", school["admin_token"]).json()
    assert [p["check_id"] for p in export["records"][PARTICIPATION]] == [check_id]
    assert [m["group_id"] for m in export["records"][MEMBERS]] == [group["id"]]
    assert "03,03" not in json.dumps(export)
    assert call("DELETE", f"{API}/clients/{client_id}", school["pro_token"]).status_code == 200
    stored = _stored(school["slug"])
    assert client_id not in json.dumps(stored, default=str)
    assert len(stored[MEMBERS]) == 5
    # The group's answers stay: they never were the client's.
    assert [d["sets"] for d in stored[ANSWERS]] == [["03,03,03,03,03"]]


def test_an_open_check_shows_no_result_so_one_more_answer_gives_nobody_away(
    school: dict[str, Any],
) -> None:
    """Were the mean of five shown and then the mean of six, the sixth client's score
    would be 6 x the second less 5 x the first; the log says who took part in between."""
    token, clients = school["pro_token"], school["clients"]
    group = _group(school)
    check_id = _check(school, group["id"])
    for client_id, answers in zip(clients[:5], ANSWER_SETS, strict=True):
        assert _answer(token, group["id"], check_id, client_id, answers).status_code == 201
    url = f"{WB}/{group['id']}/checks/{check_id}"
    assert call("GET", url, token).json()["result"] is None
    assert call("GET", f"{WB}/{group['id']}/trend", token).json()["trend"]["points"] == []
    last = _answer(token, group["id"], check_id, clients[5], [0] * 5).json()
    assert last["closed_at"] is not None  # the whole group answered: the check is complete
    assert last["result"]["answered"] == 6
    assert _close(token, group["id"], check_id).json()["result"]["answered"] == 6
    again = _close(token, group["id"], check_id)  # closing twice changes nothing
    assert again.status_code == 200
    assert again.json()["closed_at"] == call("GET", url, token).json()["closed_at"]
    [point] = call("GET", f"{WB}/{group['id']}/trend", token).json()["trend"]["points"]
    assert point["score"] == again.json()["result"]["mean"]


def test_a_closed_check_takes_no_answer_and_writes_nothing(school: dict[str, Any]) -> None:
    token, clients = school["pro_token"], school["clients"]
    group = _group(school)
    check_id = _check(school, group["id"])
    assert _answer(token, group["id"], check_id, clients[0], [1] * 5).status_code == 201
    assert _close(token, group["id"], check_id).status_code == 200
    before = _stored(school["slug"])
    problem(_answer(token, group["id"], check_id, clients[1], [2] * 5), 409, "check_closed")
    assert _stored(school["slug"]) == before
    problem(_close(school["other_token"], group["id"], check_id), 404, "not_found")
    problem(_close(token, group["id"], "no-such-check"), 404, "not_found")


def test_the_administrator_may_raise_the_minimum_group_never_lower_it(
    school: dict[str, Any],
) -> None:
    admin, token, clients = school["admin_token"], school["pro_token"], school["clients"]
    url = f"{API}/wellbeing/settings"
    assert call("GET", url, token).json() == {"cadence_days": 14, "minimum_group": 5}
    problem(
        call("PUT", url, admin, json={"cadence_days": 14, "minimum_group": 4}),
        422,
        "validation_failed",
    )
    problem(
        call("PUT", url, admin, json={"cadence_days": 0, "minimum_group": 5}),
        422,
        "validation_failed",
    )
    problem(call("PUT", url, token, json={"cadence_days": 7, "minimum_group": 6}), 403, "forbidden")
    assert call("GET", url, token).json() == {"cadence_days": 14, "minimum_group": 5}
    raised = call("PUT", url, admin, json={"cadence_days": 7, "minimum_group": 6})
    assert raised.status_code == 200, raised.text
    group = _group(school)
    check_id = _check(school, group["id"])
    for client_id, answers in zip(clients[:5], ANSWER_SETS, strict=True):
        assert _answer(token, group["id"], check_id, client_id, answers).status_code == 201
    closed = _close(token, group["id"], check_id).json()
    assert (closed["minimum"], closed["answered"], closed["result"]) == (6, 5, None)


def test_the_last_of_the_group_answering_completes_the_check_and_shows_the_result(
    school: dict[str, Any],
) -> None:
    token, clients = school["pro_token"], school["clients"]
    group = _group(school, clients[:5])
    check_id = _check(school, group["id"])
    for client_id, answers in zip(clients[:4], ANSWER_SETS[:4], strict=True):
        assert _answer(token, group["id"], check_id, client_id, answers).json()["result"] is None
    fifth = _answer(token, group["id"], check_id, clients[4], ANSWER_SETS[4])
    assert fifth.status_code == 201, fifth.text
    assert fifth.json()["result"]["answered"] == 5
    assert fifth.json()["result"]["mean"] == sum(sum(a) * 4 for a in ANSWER_SETS) / 5
