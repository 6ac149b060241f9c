"""Request and answer models of the well-being routes, and where their documents live."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from functions.clients.wellbeing.aggregate import GroupResult
from functions.clients.wellbeing.trend import Trend
from shared.wellbeing import ANSWERS, CHECKS, GROUPS, MEMBERS, PARTICIPATION

__all__ = ["ANSWERS", "CHECKS", "GROUPS", "MEMBERS", "PARTICIPATION"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewGroup(Strict):
    name: str = Field(min_length=1, max_length=120)
    client_ids: list[str] = Field(min_length=1, max_length=200)


class Share(Strict):
    uid: str = Field(min_length=1, max_length=128)


class Group(BaseModel):
    id: str
    name: str
    client_ids: list[str]
    owner_uid: str
    shared_with: list[str]


class GroupList(BaseModel):
    groups: list[Group]


class NewCheck(Strict):
    questionnaire_id: str = Field(min_length=1, max_length=40)


class GroupAnswer(Strict):
    """One client's answers, entered for them; stored apart from their id."""

    client_id: str = Field(min_length=1, max_length=128)
    answers: list[int] = Field(min_length=1, max_length=20)


class Check(BaseModel):
    id: str
    group_id: str
    questionnaire_id: str
    opened_at: datetime
    closed_at: datetime | None = None
    answered: int
    minimum: int
    # None until the check is closed with `minimum` clients answered: never one person's
    # score, nor the difference one more answer made.
    result: GroupResult | None


class GroupTrend(BaseModel):
    group_id: str
    questionnaire_id: str
    trend: Trend


class ChartLink(BaseModel):
    url: str
