"""auth_api's routes for the certification course: the user takes it (videos, then the
quiz) while every other route still refuses them `certification_required`; the
administrator sees who is certified and until when."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore

from functions.auth.certification import course
from functions.auth.certification.models import (
    CertificationList,
    CertificationState,
    CourseVideo,
    Question,
    QuizAnswers,
    QuizResult,
    UserCertification,
)
from shared.catalogue import Kind, collection_name
from shared.contracts import CertificationRequirement
from shared.events import record_event
from shared.gcp import firestore_client
from shared.http import Api
from shared.members import USERS, member_ref
from shared.principal import Principal, Role
from shared.tenants import load as load_tenant

MEMBERS = [Role.ADMIN, Role.PROFESSIONAL]
FIELD = "certification"  # on the member record


def _requirement(caller: Principal) -> CertificationRequirement:
    assert caller.tenant is not None
    licence = caller.tenant.licence
    requirement = licence.certification if licence else None
    if requirement is None or not requirement.applies_to(caller.uid, caller.role.value):
        raise course.NotRequired()
    return requirement


def _held(caller: Principal, transaction: Any = None) -> dict[str, Any]:
    snapshot = member_ref(caller.tenant_id, caller.uid).get(transaction=transaction)
    held: dict[str, Any] = (snapshot.to_dict() or {}).get(FIELD) or {}
    return held


def _attempts_left(requirement: CertificationRequirement, held: dict[str, Any]) -> int:
    return requirement.max_attempts - int(held.get("failures") or 0)


def register(api: Api, clock: Any = lambda: datetime.now(UTC)) -> None:
    @api.route(
        "GET",
        "/certification",
        summary="My certification course and its state",
        roles=MEMBERS,
        uncertified=True,
        refusals=[course.NotRequired],
    )
    def my_course(caller: Principal) -> CertificationState:
        requirement = _requirement(caller)
        held, now = _held(caller), clock()
        refs = [
            firestore_client().collection(collection_name(Kind.VIDEOS)).document(v)
            for v in requirement.videos
        ]
        found = {s.id: s.to_dict() or {} for s in firestore_client().get_all(refs) if s.exists}
        seen = set(course.watched(requirement, held))
        return CertificationState(
            status=course.status(held, True, now),
            videos=[
                CourseVideo(
                    id=v,
                    title=found.get(v, {}).get("title", v),
                    url=found.get(v, {}).get("url"),
                    watched=v in seen,
                )
                for v in requirement.videos
            ],
            questions=[
                Question(question=q.question, options=q.options) for q in requirement.questions
            ],
            pass_mark=requirement.pass_mark,
            attempts_left=_attempts_left(requirement, held),
            locked_until=course.locked_until(held, now),
            certified_at=held.get("certified_at"),
            certified_until=held.get("certified_until"),
            last_score=held.get("last_score"),
        )

    @api.route(
        "POST",
        "/certification/videos/<video_id>/watched",
        summary="Mark the course's next video watched (in order)",
        roles=MEMBERS,
        uncertified=True,
        refusals=[course.NotRequired, course.VideoOutOfOrder],
    )
    def watched(caller: Principal, video_id: str) -> None:
        requirement = _requirement(caller)
        ref = member_ref(caller.tenant_id, caller.uid)

        @firestore.transactional
        def apply(transaction: firestore.Transaction) -> None:
            seen = course.watch(requirement, _held(caller, transaction), video_id)
            transaction.update(ref, {f"{FIELD}.watched": seen})

        apply(firestore_client().transaction())

    @api.route(
        "POST",
        "/certification/quiz",
        summary="Answer the certification quiz (pass mark, limited attempts)",
        roles=MEMBERS,
        uncertified=True,
        refusals=[course.NotRequired, course.CourseIncomplete, course.AttemptsLocked],
    )
    def quiz(caller: Principal, body: QuizAnswers) -> QuizResult:
        requirement = _requirement(caller)
        ref, now = member_ref(caller.tenant_id, caller.uid), clock()

        @firestore.transactional
        def apply(transaction: firestore.Transaction) -> tuple[dict[str, Any], int]:
            after, score = course.take_quiz(
                requirement, _held(caller, transaction), body.answers, now
            )
            transaction.update(ref, {FIELD: after})
            return after, score

        after, score = apply(firestore_client().transaction())
        passed = after.get("certified_at") == now
        record_event(
            caller.tenant_data(),
            actor=caller.uid,
            action="certification.passed" if passed else "certification.failed",
            subject="user",
            details={"score": score, "locked": after.get("locked_until") is not None},
        )
        return QuizResult(
            passed=passed,
            score=score,
            pass_mark=requirement.pass_mark,
            attempts_left=_attempts_left(requirement, after),
            locked_until=after.get("locked_until"),
            certified_until=after.get("certified_until"),
        )

    @api.route(
        "GET",
        "/certifications",
        summary="Who must be certified, who is, and until when (administrator)",
        roles=[Role.ADMIN],
    )
    def certifications(caller: Principal) -> CertificationList:
        data = caller.tenant_data()
        licence = load_tenant(data).licence
        requirement = licence.certification if licence else None
        now, users = clock(), []
        for s in data.collection(USERS).order_by("email").get():
            record = s.to_dict() or {}
            held = record.get(FIELD) or {}
            required = bool(requirement and requirement.applies_to(s.id, record.get("role", "")))
            users.append(
                UserCertification(
                    uid=s.id,
                    email=record.get("email"),
                    display_name=record.get("display_name", ""),
                    role=record.get("role", ""),
                    status=course.status(held, required, now),
                    certified_at=held.get("certified_at"),
                    certified_until=held.get("certified_until"),
                )
            )
        return CertificationList(users=users)
