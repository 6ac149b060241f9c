"""A professional's own well-being checks: scored, kept under their uid, shown to them
alone (the administrator's routes do not list them)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import BaseModel, Field

from functions.clients.wellbeing.models import Strict
from functions.clients.wellbeing.questionnaires import Audience, Score, score
from functions.clients.wellbeing.store import questionnaire
from functions.clients.wellbeing.trend import Trend, TrendPoint, build
from shared import errors
from shared.principal import Principal
from shared.tenancy import TenantData
from shared.wellbeing import OWN_CHECKS, OWN_DUE


class OwnAnswers(Strict):
    questionnaire_id: str = Field(default="who5", min_length=1, max_length=40)
    answers: list[int] = Field(min_length=1, max_length=20)


class OwnCheck(BaseModel):
    id: str
    questionnaire_id: str
    taken_at: datetime
    score: Score


def take(
    me: Principal, data: TenantData, body: OwnAnswers, now: datetime | None = None
) -> OwnCheck:
    form = questionnaire(body.questionnaire_id)
    if form.audience is not Audience.ADULT:
        raise errors.ValidationFailed(f"{form.id} is a questionnaire for a class")
    scored = score(form, body.answers)
    taken_at = now or datetime.now(UTC)
    ref = data.collection(OWN_CHECKS).document()
    batch = data.db.batch()
    batch.set(
        ref,
        {
            "uid": me.uid,
            "questionnaire_id": form.id,
            "taken_at": taken_at,
            "raw": scored.raw,
            "scaled": scored.scaled,
        },
    )
    # The next one falls due from here (support's nightly reminder reads this alone).
    batch.set(data.document(OWN_DUE, me.uid), {"uid": me.uid, "last_taken_at": taken_at})
    batch.commit()
    return OwnCheck(id=ref.id, questionnaire_id=form.id, taken_at=taken_at, score=scored)


def last_taken(data: TenantData, uid: str) -> datetime | None:
    query = data.collection(OWN_CHECKS).where(filter=FieldFilter("uid", "==", uid))
    times = [(s.to_dict() or {})["taken_at"] for s in query.get()]
    return max(times) if times else None


def own_trend(me: Principal, data: TenantData, language: str) -> Trend:
    query = data.collection(OWN_CHECKS).where(filter=FieldFilter("uid", "==", me.uid))
    # By the moment taken: the trend keeps that order within a day (its sort is stable).
    docs = sorted((s.to_dict() or {} for s in query.get()), key=lambda d: d["taken_at"])
    points = [
        TrendPoint(on=d["taken_at"].date(), score=d["scaled"])
        for d in docs
        if d["questionnaire_id"] == "who5"
    ]
    return build(points, questionnaire("who5").threshold, language)
