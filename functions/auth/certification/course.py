"""The course's rules as plain functions of the member record's `certification` map and a
clock: videos in order, then a quiz with a pass mark and limited attempts; failing the
allowed number of times locks attempts for a day; a pass certifies for the licence's
months and a later pass renews it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from shared import errors
from shared.contracts import CertificationRequirement

LOCK = timedelta(days=1)


class NotRequired(errors.ApiError):
    status, code = 404, "certification_not_required"
    title = "Your organisation's licence requires no certification of you"


class VideoOutOfOrder(errors.ApiError):
    status, code = 409, "video_out_of_order"
    title = "The course's videos are watched in order"


class CourseIncomplete(errors.ApiError):
    status, code = 409, "course_incomplete"
    title = "Watch every video of the course before the quiz"


class AttemptsLocked(errors.ApiError):
    status, code = 429, "quiz_attempts_locked"
    title = "The quiz was failed too many times; try again after the lock ends"


def watched(requirement: CertificationRequirement, held: dict[str, Any]) -> list[str]:
    """The course's videos watched so far, in course order (a video since removed from
    the course no longer counts)."""
    done = set(held.get("watched") or [])
    return [v for v in requirement.videos if v in done]


def watch(requirement: CertificationRequirement, held: dict[str, Any], video: str) -> list[str]:
    """The watched list after `video`; watching again what was watched changes nothing."""
    seen = watched(requirement, held)
    if video in seen:
        return seen
    if video not in requirement.videos:
        raise errors.NotFound("The video is not part of the certification course")
    following = requirement.videos[len(seen)]
    if video != following:
        raise VideoOutOfOrder(f"Watch '{following}' first")
    return [*seen, video]


def locked_until(held: dict[str, Any], now: datetime) -> datetime | None:
    until: datetime | None = held.get("locked_until")
    return until if until is not None and until > now else None


def take_quiz(
    requirement: CertificationRequirement,
    held: dict[str, Any],
    answers: list[int],
    now: datetime,
) -> tuple[dict[str, Any], int]:
    """The `certification` map after an attempt, and its score. Refusals write nothing."""
    if watched(requirement, held) != requirement.videos:
        raise CourseIncomplete()
    lock = locked_until(held, now)
    if lock is not None:
        refusal = AttemptsLocked(f"Attempts are locked until {lock.isoformat()}")
        refusal.retry_after = int((lock - now).total_seconds()) + 1
        raise refusal
    if len(answers) != len(requirement.questions):
        raise errors.ValidationFailed(
            f"Answer all {len(requirement.questions)} questions, one option index each"
        )
    score = sum(1 for q, a in zip(requirement.questions, answers, strict=True) if q.correct == a)
    after = dict(held, watched=requirement.videos, locked_until=None, last_score=score)
    if score >= requirement.pass_mark:
        months = requirement.valid_months
        after |= {
            "failures": 0,
            "certified_at": now,
            "certified_until": now + relativedelta(months=months) if months else None,
        }
        return after, score
    failures = int(held.get("failures") or 0) + 1
    if failures >= requirement.max_attempts:
        after |= {"failures": 0, "locked_until": now + LOCK}
    else:
        after["failures"] = failures
    return after, score


def status(held: dict[str, Any], required: bool, now: datetime) -> str:
    """not_required, pending (never certified), certified, or expired (renew it)."""
    if not required:
        return "not_required"
    if held.get("certified_at") is None:
        return "pending"
    until = held.get("certified_until")
    return "expired" if until is not None and until <= now else "certified"
