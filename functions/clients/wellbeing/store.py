"""Groups and group checks in Firestore.

A group belongs to the professional who formed it; the administrator sees every group
and may share one with another professional. Anyone else gets not_found (a group's
existence is not told). A check's answers are one document without client ids whose
answer sets are kept sorted; which clients took part is in separate documents.

A check's result shows only once it is closed (by the professional, or by the last of the
group answering), and it takes no answer after that: a result shown while answers still
came in would give away each newcomer's score (the mean of six less the mean of five, and
the log says who took part in between).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.clients.wellbeing.aggregate import add_answers, group_result, minimum_for
from functions.clients.wellbeing.models import (
    ANSWERS,
    CHECKS,
    GROUPS,
    MEMBERS,
    PARTICIPATION,
    Check,
    Group,
    GroupAnswer,
    GroupList,
    GroupTrend,
    NewCheck,
    NewGroup,
)
from functions.clients.wellbeing.questionnaires import SEEDED, Questionnaire, score
from functions.clients.wellbeing.trend import TrendPoint, build
from shared import errors
from shared.clients import load_document, load_for_change
from shared.events import new_event
from shared.principal import Principal, Role
from shared.tenancy import TenantData
from shared.tenants import load


class AlreadyAnswered(errors.ApiError):
    status, code = 409, "already_answered"
    title = "This client has already taken part in this check"


class CheckClosed(errors.ApiError):
    status, code = 409, "check_closed"
    title = "This check is closed; open a new one"


class NotInGroup(errors.ApiError):
    status, code = 422, "not_in_group"
    title = "The client is not in this group"


def questionnaire(questionnaire_id: str) -> Questionnaire:
    found = SEEDED.get(questionnaire_id)
    if found is None:
        raise errors.ValidationFailed(f"No questionnaire {questionnaire_id}")
    return found


def _encode(answers: list[int]) -> str:
    # Firestore holds no arrays of arrays; two-digit fields sort as the numbers do.
    return ",".join(f"{a:02d}" for a in answers)


def _decode(stored: list[str]) -> list[list[int]]:
    return [[int(a) for a in s.split(",")] for s in stored]


def create_group(me: Principal, data: TenantData, body: NewGroup) -> Group:
    client_ids = sorted(set(body.client_ids))
    for client_id in client_ids:
        load_document(data, client_id)  # not_found for a client of another tenant
    ref = data.collection(GROUPS).document()
    doc = {
        "name": body.name,
        "owner_uid": me.uid,
        "shared_with": [],
        "created_at": datetime.now(UTC),
    }
    batch = data.db.batch()
    batch.set(ref, doc)
    for client_id in client_ids:
        member = {"group_id": ref.id, "client_id": client_id}
        batch.set(data.document(MEMBERS, f"{ref.id}_{client_id}"), member)
    batch.commit()
    return Group(id=ref.id, client_ids=client_ids, **doc)


def _members(data: TenantData, group_id: str) -> list[str]:
    found = data.collection(MEMBERS).where(filter=FieldFilter("group_id", "==", group_id)).get()
    return sorted((s.to_dict() or {})["client_id"] for s in found)


def load_group(me: Principal, data: TenantData, group_id: str) -> Group:
    snap = data.document(GROUPS, group_id).get()
    doc = snap.to_dict() if snap.exists else None
    if doc is None:
        raise errors.NotFound("No such group")
    if (
        me.role is not Role.ADMIN
        and me.uid != doc["owner_uid"]
        and me.uid not in doc["shared_with"]
    ):
        raise errors.NotFound("No such group")
    return Group(id=group_id, client_ids=_members(data, group_id), **doc)


def list_groups(me: Principal, data: TenantData) -> GroupList:
    groups = data.collection(GROUPS)
    if me.role is Role.ADMIN:
        snaps = list(groups.get())
    else:
        owned = groups.where(filter=FieldFilter("owner_uid", "==", me.uid)).get()
        shared = groups.where(filter=FieldFilter("shared_with", "array_contains", me.uid)).get()
        snaps = {s.id: s for s in [*owned, *shared]}.values()  # type: ignore[assignment]
    found = [Group(id=s.id, client_ids=_members(data, s.id), **(s.to_dict() or {})) for s in snaps]
    return GroupList(groups=sorted(found, key=lambda g: (g.name, g.id)))


def share_group(me: Principal, data: TenantData, group_id: str, uid: str) -> Group:
    group = load_group(me, data, group_id)
    data.document(GROUPS, group_id).update({"shared_with": firestore.ArrayUnion([uid])})
    return group.model_copy(update={"shared_with": sorted({*group.shared_with, uid})})


def _minimum(data: TenantData) -> int:
    # The tenant document this request already read: no round trip of its own.
    return minimum_for(load(data).wellbeing.minimum_group)


def open_check(me: Principal, data: TenantData, group_id: str, body: NewCheck) -> Check:
    load_group(me, data, group_id)
    questionnaire(body.questionnaire_id)
    now = datetime.now(UTC)
    ref = data.collection(CHECKS).document()
    batch = data.db.batch()
    doc = {
        "group_id": group_id,
        "questionnaire_id": body.questionnaire_id,
        "opened_at": now,
        "closed_at": None,
    }
    batch.set(ref, doc)
    batch.set(data.document(ANSWERS, ref.id), {"group_id": group_id, "sets": []})
    # The due day of the next check moves on (reminders.py).
    batch.update(data.document(GROUPS, group_id), {"last_check_at": now})
    batch.commit()
    return Check(id=ref.id, **doc, answered=0, minimum=_minimum(data), result=None)


def _load_check(data: TenantData, group_id: str, check_id: str) -> dict[str, Any]:
    snap = data.document(CHECKS, check_id).get()
    doc = snap.to_dict() if snap.exists else None
    if doc is None or doc["group_id"] != group_id:
        raise errors.NotFound("No such check")
    return doc


def get_check(me: Principal, data: TenantData, group_id: str, check_id: str) -> Check:
    load_group(me, data, group_id)
    doc = _load_check(data, group_id, check_id)
    sets = _decode((data.document(ANSWERS, check_id).get().to_dict() or {}).get("sets", []))
    minimum = _minimum(data)
    form = questionnaire(doc["questionnaire_id"])
    result = group_result(form, sets, minimum) if doc.get("closed_at") else None
    return Check(id=check_id, **doc, answered=len(sets), minimum=minimum, result=result)


def close_check(me: Principal, data: TenantData, group_id: str, check_id: str) -> Check:
    """From now on the check shows its result (when enough took part) and takes no answer;
    closing it again changes nothing."""
    load_group(me, data, group_id)
    ref = data.document(CHECKS, check_id)

    @firestore.transactional
    def close(transaction: firestore.Transaction) -> None:
        snap = ref.get(transaction=transaction)
        doc = snap.to_dict() if snap.exists else None
        if doc is None or doc["group_id"] != group_id:
            raise errors.NotFound("No such check")
        if not doc.get("closed_at"):
            transaction.update(ref, {"closed_at": datetime.now(UTC)})

    close(data.db.transaction())
    return get_check(me, data, group_id, check_id)


def answer(
    me: Principal, data: TenantData, group_id: str, check_id: str, body: GroupAnswer
) -> Check:
    group = load_group(me, data, group_id)
    if body.client_id not in group.client_ids:
        raise NotInGroup()
    doc = _load_check(data, group_id, check_id)
    form = questionnaire(doc["questionnaire_id"])
    score(form, body.answers)  # refused before anything is written
    taken = data.document(PARTICIPATION, f"{check_id}_{body.client_id}")
    answers_ref = data.document(ANSWERS, check_id)
    check_ref = data.document(CHECKS, check_id)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> None:
        # Read in the transaction: an answer racing the close is refused, never counted.
        if (check_ref.get(transaction=transaction).to_dict() or {}).get("closed_at"):
            raise CheckClosed()
        load_for_change(data, body.client_id, transaction)
        if taken.get(transaction=transaction).exists:
            raise AlreadyAnswered()
        stored = (answers_ref.get(transaction=transaction).to_dict() or {}).get("sets", [])
        sets = add_answers(_decode(stored), body.answers)
        now = datetime.now(UTC)
        transaction.set(
            taken,
            {"check_id": check_id, "group_id": group_id, "client_id": body.client_id, "at": now},
        )
        transaction.update(answers_ref, {"sets": [_encode(s) for s in sets]})
        if len(sets) >= len(group.client_ids):  # the whole group has answered: complete
            transaction.update(check_ref, {"closed_at": now})
        event_ref, event = new_event(
            data,
            actor=me.uid,
            action="wellbeing.participated",
            subject=f"{GROUPS}/{group_id}",
            details={"check_id": check_id, "questionnaire_id": doc["questionnaire_id"]},
            client_id=body.client_id,
        )
        transaction.set(event_ref, event)

    apply(data.db.transaction())
    return get_check(me, data, group_id, check_id)


def group_trend(me: Principal, data: TenantData, group_id: str, language: str) -> GroupTrend:
    load_group(me, data, group_id)
    found = data.collection(CHECKS).where(filter=FieldFilter("group_id", "==", group_id)).get()
    checks = sorted(found, key=lambda s: (s.to_dict() or {})["opened_at"])
    minimum = _minimum(data)
    refs = [data.document(ANSWERS, c.id) for c in checks]
    answers = {s.id: s.to_dict() or {} for s in data.db.get_all(refs)} if refs else {}
    points, form_id = [], "who5"
    for snap in checks:
        doc = snap.to_dict() or {}
        form_id = doc["questionnaire_id"]
        if not doc.get("closed_at"):  # still taking answers: no result yet
            continue
        sets = _decode(answers.get(snap.id, {}).get("sets", []))
        result = group_result(questionnaire(form_id), sets, minimum)
        if result is not None:  # a check under the minimum shows nothing, here too
            points.append(TrendPoint(on=doc["opened_at"].date(), score=result.mean))
    form = questionnaire(form_id)
    return GroupTrend(
        group_id=group_id, questionnaire_id=form_id, trend=build(points, form.threshold, language)
    )
