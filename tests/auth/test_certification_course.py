"""The certification course's rules and the licence's requirement, as plain functions of a
member record and a moved clock (no emulators: pure logic)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from functions.auth.certification import course
from shared import errors
from shared.contracts import CertificationRequirement
from shared.members import certification_pending

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
Q = {"question": "Hvad er 1+1?", "options": ["1", "2"], "correct": 1}


def requirement(**changes: Any) -> CertificationRequirement:
    fields: dict[str, Any] = {
        "roles": ["professional"],
        "videos": ["intro", "metode"],
        "questions": [Q, Q],
        "pass_mark": 2,
        "max_attempts": 2,
        "valid_months": 12,
    }
    return CertificationRequirement.model_validate(fields | changes)


def test_the_requirement_is_refused_when_it_cannot_be_met() -> None:
    with pytest.raises(ValidationError, match="pass_mark"):
        requirement(pass_mark=3)
    with pytest.raises(ValidationError, match="twice"):
        requirement(videos=["intro", "intro"])
    with pytest.raises(ValidationError, match="correct"):
        requirement(questions=[{**Q, "correct": 2}])
    with pytest.raises(ValidationError):
        requirement(roles=["owner"])
    with pytest.raises(ValidationError):
        requirement(users=["../other-tenant"])


def test_it_applies_to_its_roles_and_named_users() -> None:
    r = requirement(users=["u-admin"])
    assert r.applies_to("anyone", "professional")
    assert r.applies_to("u-admin", "admin")
    assert not r.applies_to("other-admin", "admin")


def test_videos_are_watched_in_order_and_watching_again_changes_nothing() -> None:
    r = requirement()
    with pytest.raises(course.VideoOutOfOrder):
        course.watch(r, {}, "metode")
    seen = course.watch(r, {}, "intro")
    assert course.watch(r, {"watched": seen}, "intro") == ["intro"]
    assert course.watch(r, {"watched": seen}, "metode") == ["intro", "metode"]


def test_the_quiz_needs_every_video_and_an_answer_per_question() -> None:
    r = requirement()
    with pytest.raises(course.CourseIncomplete):
        course.take_quiz(r, {"watched": ["intro"]}, [1, 1], NOW)
    with pytest.raises(errors.ValidationFailed):
        course.take_quiz(r, {"watched": r.videos}, [1], NOW)


def test_failing_the_allowed_times_locks_for_a_day_then_a_pass_certifies() -> None:
    r = requirement()
    held: dict[str, Any] = {"watched": r.videos}
    held, score = course.take_quiz(r, held, [0, 1], NOW)
    assert score == 1
    assert held["failures"] == 1
    assert held["locked_until"] is None
    held, _ = course.take_quiz(r, held, [0, 0], NOW)
    assert held["locked_until"] == NOW + timedelta(days=1)
    with pytest.raises(course.AttemptsLocked) as locked:
        course.take_quiz(r, held, [1, 1], NOW + timedelta(hours=23))
    assert locked.value.retry_after == 3601
    later = NOW + timedelta(days=1, seconds=1)
    held, score = course.take_quiz(r, held, [1, 1], later)
    assert score == 2
    assert held["certified_at"] == later
    assert held["certified_until"] == datetime(2027, 12, 2, 12, 0, 1, tzinfo=UTC)


def test_a_certification_expires_and_a_new_pass_renews_it() -> None:
    r = requirement()
    held, _ = course.take_quiz(r, {"watched": r.videos}, [1, 1], NOW)
    assert not certification_pending({"certification": held}, r, "u", "professional", NOW)
    expired = NOW + timedelta(days=366)
    assert certification_pending({"certification": held}, r, "u", "professional", expired)
    assert course.status(held, True, expired) == "expired"
    renewed, _ = course.take_quiz(r, held, [1, 1], expired)
    assert not certification_pending({"certification": renewed}, r, "u", "professional", expired)
    assert not certification_pending({}, r, "u", "admin", NOW)  # not required of admins
    lasting = requirement(valid_months=None)
    forever, _ = course.take_quiz(lasting, {"watched": r.videos}, [1, 1], NOW)
    assert forever["certified_until"] is None
    assert not certification_pending({"certification": forever}, r, "u", "professional", expired)
