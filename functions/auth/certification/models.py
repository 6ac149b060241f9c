"""What the certification routes take and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.models import Model, Strict

Status = Literal["not_required", "pending", "certified", "expired"]


class CourseVideo(Model):
    id: str
    title: str
    url: str | None  # None: the catalogue no longer has it
    watched: bool


class Question(Model):
    question: str
    options: list[str]


class CertificationState(Model):
    """The caller's course: videos in order, the quiz (without its answers), their state."""

    status: Status
    videos: list[CourseVideo]
    questions: list[Question]
    pass_mark: int
    attempts_left: int
    locked_until: datetime | None
    certified_at: datetime | None
    certified_until: datetime | None
    last_score: int | None


class QuizAnswers(Strict):
    answers: list[int] = Field(max_length=50, description="an option index per question")


class QuizResult(Model):
    passed: bool
    score: int
    pass_mark: int
    attempts_left: int
    locked_until: datetime | None
    certified_until: datetime | None


class UserCertification(Model):
    uid: str
    email: str | None
    display_name: str
    role: str
    status: Status
    certified_at: datetime | None
    certified_until: datetime | None


class CertificationList(Model):
    users: list[UserCertification]
