"""A professional's own WHO-5 checks (issue 17): scored, theirs alone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts import activate, active_tenant, add_professional, problem
from tests.content import API
from tests.helpers import call

pytestmark = pytest.mark.usefixtures("stack")
OWN = f"{API}/wellbeing/me"


def test_own_scores_make_a_trend_only_their_taker_sees(owner: str) -> None:
    created: dict[str, Any] = active_tenant(owner, seats=3)
    pro = activate(add_professional(created["admin_token"])["email"])
    other = activate(add_professional(created["admin_token"])["email"])
    for answers in ([4, 4, 4, 4, 4], [3, 3, 3, 3, 3], [2, 2, 2, 2, 2]):
        reply = call("POST", f"{OWN}/checks", pro, json={"answers": answers})
        assert reply.status_code == 201, reply.text
    assert reply.json()["score"] == {"raw": 10, "scaled": 40, "flagged": True}
    trend = call("GET", f"{OWN}/trend", pro).json()
    assert sorted(p["score"] for p in trend["points"]) == [40, 60, 80]
    assert trend["below_threshold"] is True
    assert trend["advice"] == "Overvej en målrettet indsats"
    assert call("GET", f"{OWN}/trend", other).json()["points"] == []
    assert call("GET", f"{OWN}/trend", created["admin_token"]).json()["points"] == []
    b = active_tenant(owner)
    assert call("GET", f"{OWN}/trend", b["admin_token"]).json()["points"] == []


def test_bad_own_answers_are_refused(owner: str) -> None:
    created: dict[str, Any] = active_tenant(owner)
    admin = created["admin_token"]
    problem(
        call("POST", f"{OWN}/checks", admin, json={"answers": [9] * 5}), 422, "validation_failed"
    )
    body = {"questionnaire_id": "class4", "answers": [1] * 4}
    problem(call("POST", f"{OWN}/checks", admin, json=body), 422, "validation_failed")
    assert call("GET", f"{OWN}/trend", admin).json()["points"] == []


def test_the_catalogue_shows_the_validated_questionnaires_with_their_scoring(owner: str) -> None:
    created = active_tenant(owner)
    for token in (created["admin_token"], owner):
        listed = call("GET", f"{API}/catalogue/questionnaires", token)
        assert listed.status_code == 200, listed.text
        by_id = {q["id"]: q for q in listed.json()["questionnaires"]}
        assert {"who5", "class4"} <= set(by_id)
        who5 = by_id["who5"]
        assert (len(who5["items"]), who5["item_max"], who5["multiplier"]) == (5, 5, 4)
        assert who5["threshold"] == 50
    one = call("GET", f"{API}/catalogue/questionnaires/who5", created["admin_token"]).json()
    assert one == who5
    problem(call("GET", f"{API}/catalogue/questionnaires/nope", owner), 404, "not_found")
    problem(call("GET", f"{API}/catalogue/questionnaires", None), 401, "unauthenticated")
    # Not editable: a validated instrument's items and scoring are what make it valid.
    put = call("PUT", f"{API}/catalogue/questionnaires/who5", owner, json=one)
    assert put.status_code == 405, put.text
