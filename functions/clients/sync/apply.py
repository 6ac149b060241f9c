"""Applying a batch of offline records, in order, each exactly once (issue 16).

Every record's log entry is its "applied" marker: `events/sync-{uid}-{record id}`,
created in the same commit as the record's effect (for a note the entry is the effect).
A resent record finds its marker and changes nothing (`already_applied`), so a batch
sent twice, or cut off and resent, writes each record once. Each kind goes through its
online twin's validation and domain function: a note is POST /clients/{c}/log's entry
(batched, 250 to a commit: the bulk of offline work), an exercise performed or planned
is shared/courses.py's perform or schedule with the marker in its transaction, a field
is PATCH /clients/{c}'s profile field, with a conflict kept when it was edited online.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from google.api_core.exceptions import AlreadyExists, NotFound
from google.cloud import firestore
from pydantic import ValidationError

from functions.clients.clients import Pseudonymised
from functions.clients.logs import note_event
from functions.clients.models import LogNote
from functions.clients.sync.models import Outcome, RecordKind, RecordResult, SyncRecord
from shared import catalogue, erasure_ledger, errors
from shared.clients import (
    CLIENTS,
    COURSES,
    LAST_ACTIVITY,
    ClientErased,
    ClientRestricted,
    Profile,
    check_unrestricted,
    touch,
)
from shared.courses import AlreadyApplied, ItemRef, get_course, perform, schedule
from shared.erasure_ledger import Erased
from shared.events import EVENTS, new_event
from shared.faults import crash_point
from shared.offline import SYNC_CONFLICTS
from shared.tenancy import TenantData

SKEW = timedelta(minutes=5)  # a device clock may be this far ahead; more is forged
NOTES_PER_COMMIT = 250  # one write each; a commit holds at most 500


class DeviceTimeInFuture(errors.ApiError):
    status, code, title = 422, "device_time_in_future", "The record is dated in the future"


def marker_id(uid: str, record_id: str) -> str:
    return f"sync-{uid}-{record_id}"


def _offline(record: SyncRecord) -> dict[str, Any]:
    """What every offline record's log entry says beyond its online twin's."""
    return {"offline": True, "record_id": record.id, "device_time": record.device_time}


def _refused(record: SyncRecord, refusal: errors.ApiError) -> RecordResult:
    return RecordResult(id=record.id, status=Outcome.REFUSED, code=refusal.code)


def _required(record: SyncRecord, *names: str) -> None:
    missing = [n for n in names if getattr(record, n) is None]
    if missing:
        raise errors.ValidationFailed(
            f"A {record.kind.value} record needs {', '.join(missing)}",
            errors=[{"field": n, "message": "required", "type": "missing"} for n in missing],
        )


def _check_time(record: SyncRecord, now: datetime) -> None:
    if record.device_time > now + SKEW:
        raise DeviceTimeInFuture()


def client_refusals(data: TenantData, client_ids: set[str]) -> dict[str, errors.ApiError | None]:
    """Per client: None if it may be processed, else the refusal its records get. The
    ledger and the clients are read in one round trip. Another tenant's client is not in
    this tenant: `not_found`, as online, so no record tells that it exists elsewhere."""
    refs: list[Any] = []
    for client_id in client_ids:
        refs.append(data.document(CLIENTS, client_id))
        refs.append(erasure_ledger.reference(data.db, data.tenant_id, Erased.CLIENT, client_id))
    found = {s.reference.path: s for s in data.db.get_all(refs)}
    answers: dict[str, errors.ApiError | None] = {}
    for client_id in client_ids:
        ledger = erasure_ledger.reference(data.db, data.tenant_id, Erased.CLIENT, client_id)
        snapshot = found[data.document(CLIENTS, client_id).path]
        doc = snapshot.to_dict() if snapshot.exists else None
        if found[ledger.path].exists or (doc is not None and doc.get("erasing")):
            answers[client_id] = ClientErased()
        elif doc is None:
            answers[client_id] = errors.NotFound("No such client")
        else:
            try:
                check_unrestricted(doc)
                answers[client_id] = None
            except ClientRestricted as refusal:
                answers[client_id] = refusal
    return answers


def apply_batch(
    data: TenantData, actor: str, records: list[SyncRecord], now: datetime | None = None
) -> list[RecordResult]:
    """Apply the records in their order and answer for each."""
    now = now or datetime.now(UTC)
    results: list[RecordResult] = []
    start = 0
    while start < len(records):
        end = start
        while (
            end < len(records)
            and records[end].kind is RecordKind.LOG_ENTRY
            and end - start < NOTES_PER_COMMIT
        ):
            end += 1
        if end > start:  # a run of notes: one commit
            results += _notes(data, actor, records[start:end], now)
            crash_point("sync.notes_committed")
            start = end
        else:
            results.append(_one(data, actor, records[start], now))
            start += 1
    return results


def _notes(
    data: TenantData, actor: str, records: list[SyncRecord], now: datetime
) -> list[RecordResult]:
    refusals = client_refusals(data, {r.client_id for r in records})
    answers: dict[int, RecordResult] = {}
    writes: dict[int, tuple[Any, dict[str, Any]]] = {}
    seen: set[str] = set()
    for n, record in enumerate(records):
        try:
            _check_time(record, now)
            refusal = refusals[record.client_id]
            if refusal is not None:
                raise refusal
            note = LogNote.model_validate({"text": record.text})
        except ValidationError:
            answers[n] = RecordResult(
                id=record.id, status=Outcome.REFUSED, code=errors.ValidationFailed.code
            )
            continue
        except errors.ApiError as refused:
            answers[n] = _refused(record, refused)
            continue
        if record.id in seen:  # the same record twice in one batch
            answers[n] = RecordResult(id=record.id, status=Outcome.ALREADY_APPLIED)
            continue
        seen.add(record.id)
        writes[n] = note_event(
            data,
            actor,
            record.client_id,
            note,
            event_id=marker_id(actor, record.id),
            details=_offline(record),
        )
    for _ in range(3):  # optimistic: a first send reads no markers
        try:
            touched = {records[n].client_id for n in writes}
            _commit(data, writes.values(), touched, now)
            break
        except AlreadyExists:  # some were applied before: leave them out, commit the rest
            refs = [ref for ref, _ in writes.values()]
            exists = {s.reference.path for s in data.db.get_all(refs) if s.exists}
            for n in [n for n, (ref, _) in writes.items() if ref.path in exists]:
                answers[n] = RecordResult(id=records[n].id, status=Outcome.ALREADY_APPLIED)
                del writes[n]
        except NotFound:  # a client was deleted or erased since its refusals were read
            now_refused = client_refusals(data, {records[n].client_id for n in writes})
            for n in list(writes):
                refusal = now_refused[records[n].client_id]
                if refusal is not None:
                    answers[n] = _refused(records[n], refusal)
                    del writes[n]
    else:
        raise errors.Conflict("Another sync of the same records is under way; try again")
    for n in writes:
        answers[n] = RecordResult(id=records[n].id, status=Outcome.APPLIED)
    return [answers[n] for n in range(len(records))]


def _commit(data: TenantData, writes: Any, clients: set[str], now: datetime) -> None:
    """The notes, and the activity they are on their clients (retention counts from it)."""
    batch = data.db.batch()
    count = 0
    for ref, doc in writes:
        batch.create(ref, doc)
        count += 1
    if count:
        for client_id in sorted(clients):
            touch(batch, data, client_id, now)
        batch.commit()


def _one(data: TenantData, actor: str, record: SyncRecord, now: datetime) -> RecordResult:
    try:
        _check_time(record, now)
        refusal = client_refusals(data, {record.client_id})[record.client_id]
        if refusal is not None:
            raise refusal
        if record.kind is RecordKind.CLIENT_FIELD:
            conflict = _field(data, actor, record, now)
            if conflict is not None:
                return RecordResult(id=record.id, status=Outcome.CONFLICT, conflict_id=conflict)
        else:
            _exercise(data, actor, record)
    except AlreadyApplied:
        return RecordResult(id=record.id, status=Outcome.ALREADY_APPLIED)
    except errors.ApiError as refused:
        return _refused(record, refused)
    return RecordResult(id=record.id, status=Outcome.APPLIED)


def _exercise(data: TenantData, actor: str, record: SyncRecord) -> None:
    _required(record, "course_ref", "item_id")
    ref = ItemRef(record.client_id, record.course_ref or "", record.item_id or "")
    subject = f"{COURSES}/{ref.course_ref}/{ref.item_id}"
    item = get_course(data, ref.client_id, ref.course_ref).item(ref.item_id)
    marker = data.document(EVENTS, marker_id(actor, record.id))
    if record.kind is RecordKind.EXERCISE_PERFORMED:
        _required(record, "answers")
        exercise = catalogue.licensed_exercise(data, item.exercise_id)
        _, entry = new_event(
            data,
            actor=actor,
            action="exercise.perform",
            subject=subject,
            client_id=ref.client_id,
            exercise_id=exercise.id,
            details=_offline(record),
        )
        perform(actor, data, ref, record.answers, exercise=exercise, marker=(marker, entry))
    else:
        _required(record, "date")
        day = record.date or date.min  # _required: never the fallback
        _, entry = new_event(
            data,
            actor=actor,
            action="exercise.schedule",
            subject=subject,
            client_id=ref.client_id,
            exercise_id=item.exercise_id,
            details=_offline(record) | {"date": day.isoformat()},
        )
        schedule(actor, data, ref, day, marker=(marker, entry))


def _field(data: TenantData, actor: str, record: SyncRecord, now: datetime) -> str | None:
    """The field's new value, or a conflict (its id) when it was edited online after the
    value the device read: neither value is lost, the professional chooses."""
    _required(record, "field")
    field = str(record.field)
    try:  # PATCH /clients/{c}'s own rule for the field
        Profile.model_validate({"name": "-", field: record.value})
    except ValidationError as exc:
        raise errors.ValidationFailed(
            "The value is not valid", errors=errors.validation_errors(exc.errors())
        ) from None
    client = data.document(CLIENTS, record.client_id)
    marker = data.document(EVENTS, marker_id(actor, record.id))
    conflict = data.document(SYNC_CONFLICTS, marker_id(actor, record.id))

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> str | None:
        if marker.get(transaction=transaction).exists:
            raise AlreadyApplied()
        snapshot = client.get(transaction=transaction)
        doc = snapshot.to_dict() if snapshot.exists else None
        if doc is None or doc.get("erasing"):
            raise errors.NotFound("No such client")
        check_unrestricted(doc)
        if doc.get("pseudonymised"):  # its profile is sealed: only the administrator edits
            raise Pseudonymised("A pseudonymised client's data is not changed offline")
        theirs = (doc.get("profile") or {}).get(field)
        common = {"offline": True, "record_id": record.id, "device_time": record.device_time}
        if theirs not in (record.base_value, record.value):
            transaction.create(
                conflict,
                {
                    "client_id": record.client_id,
                    "field": field,
                    "mine": record.value,
                    "theirs": theirs,
                    "base_value": record.base_value,
                    "base_version": record.base_version,
                    "device_time": record.device_time,
                    "professional": actor,
                    "status": "open",
                    "created_at": now,
                },
            )
            details = {"field": field, "mine": record.value, "theirs": theirs}
            action, answer = "client.sync_conflict", str(conflict.id)
        else:
            transaction.update(
                client, {f"profile.{field}": record.value, "updated_at": now, LAST_ACTIVITY: now}
            )
            details, action, answer = (
                {"fields": ["profile"], "field": field},
                "client.updated",
                None,
            )
        _, entry = new_event(
            data,
            actor=actor,
            action=action,
            subject=f"{CLIENTS}/{record.client_id}",
            client_id=record.client_id,
            details=common | details,
        )
        transaction.create(marker, entry)
        return answer

    result = apply(data.db.transaction())
    return str(result) if result is not None else None
