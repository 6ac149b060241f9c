"""clients_api's routes for offline work: sync, the outbox, conflicts and the quarantine."""

from __future__ import annotations

import logging
from typing import Any

import flask
from google.cloud.firestore_v1.base_query import FieldFilter
from pydantic import ValidationError

from functions.clients.clients import Pseudonymised
from functions.clients.route_paths import ADMIN, CHANGES, MEMBERS
from functions.clients.sync import access, conflicts, quarantine
from functions.clients.sync.apply import apply_batch
from functions.clients.sync.models import (
    MAX_BATCH_BYTES,
    MAX_RECORDS,
    Conflict,
    ConflictList,
    Outcome,
    QuarantinedBatch,
    QuarantinedRecords,
    QuarantineList,
    RecordResult,
    Resolution,
    SyncBatch,
    SyncRecord,
    SyncReport,
)
from shared import errors
from shared.http import AUTH_REFUSALS, Api
from shared.observability import bind_caller
from shared.offline import OUTBOX
from shared.principal import Principal, bearer_token, verify_id_token
from shared.tenancy import TenantData

log = logging.getLogger(__name__)

QUARANTINED = "/sync/quarantine/<batch_id>"


class BatchTooLarge(errors.ApiError):
    status, code = 413, "batch_too_large"
    title = f"A batch holds at most {MAX_RECORDS} records and {MAX_BATCH_BYTES} bytes"


class AccessClosed(errors.AccountDisabled):
    """The refusal of a user whose access closed while offline (account_disabled,
    tenant_suspended, tenant_terminated), with what the app acts on: sign out; the batch
    is in the quarantine."""

    def __init__(self, refusal: errors.ApiError, quarantine_id: str) -> None:
        super().__init__(refusal.detail)
        self.status, self.code, self.title = refusal.status, refusal.code, refusal.title
        self.quarantine_id = quarantine_id

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        return super().to_problem(instance) | {
            "sign_out": True,
            "quarantine_id": self.quarantine_id,
        }


def _check_size(request: flask.Request, batch: SyncBatch) -> None:
    if len(batch.records) > MAX_RECORDS or len(request.get_data(cache=True)) > MAX_BATCH_BYTES:
        raise BatchTooLarge()


def sync(request: flask.Request, batch: SyncBatch) -> SyncReport:
    """Apply the batch for an admitted member; hold it in the quarantine for a member
    whose access closed meanwhile, and tell them to sign out."""
    _check_size(request, batch)
    token = bearer_token(request.headers.get("Authorization"))
    try:
        caller = verify_id_token(token)
    except access.MAYBE_CLOSED as refusal:
        closed = access.closed_access(token)
        if closed is None:
            raise
        qid = quarantine.hold(
            TenantData(_db(), closed.tenant_id), closed.uid, closed.refusal.code, batch.records
        )
        raise AccessClosed(closed.refusal, qid) from refusal
    bind_caller(caller.tenant_id, caller.uid)
    if caller.role not in MEMBERS:
        raise errors.Forbidden(f"The role '{caller.role}' may not do this")
    return SyncReport(results=apply_batch(caller.tenant_data(), caller.uid, batch.records))


def _db() -> Any:
    from shared.gcp import firestore_client

    return firestore_client()


def drain_outbox(me: Principal, data: TenantData) -> SyncReport:
    """Apply what the app queued in its outbox through the Firestore SDK, oldest first,
    and remove it (each record's marker keeps a drain cut off half-way exactly-once).

    The rules admit only well-formed records; one that is not (written before the rules
    checked types, or by hand) is refused with `validation_failed`, logged and removed,
    and never stops the others."""
    query = data.collection(OUTBOX).where(filter=FieldFilter("uid", "==", me.uid))
    valid: list[tuple[Any, SyncRecord]] = []
    malformed: list[Any] = []
    for snapshot in query.stream():
        doc = {k: v for k, v in (snapshot.to_dict() or {}).items() if k != "uid"}
        try:
            valid.append((snapshot, SyncRecord.model_validate(doc)))
        except ValidationError as invalid:
            log.warning(
                "outbox record %s refused: %s", snapshot.id, invalid.errors(include_input=False)
            )
            malformed.append(snapshot)
    valid.sort(key=lambda queued: (queued[1].device_time, queued[0].id))
    taken = valid[:MAX_RECORDS]
    malformed = malformed[: MAX_RECORDS - len(taken)]  # one commit removes them all
    results = apply_batch(data, me.uid, [record for _, record in taken]) + [
        RecordResult(id=s.id, status=Outcome.REFUSED, code=errors.ValidationFailed.code)
        for s in malformed
    ]
    batch = data.db.batch()
    for snapshot in [s for s, _ in taken] + malformed:
        batch.delete(snapshot.reference)
    if taken or malformed:
        batch.commit()
    return SyncReport(results=results)


def register(api: Api) -> None:
    @api.route(
        "POST",
        "/sync",
        summary="Apply what the app recorded offline (Bearer token; see README 'Offline')",
        roles=None,
        refusals=[BatchTooLarge, AccessClosed, *AUTH_REFUSALS],  # it checks its token itself
    )
    def sync_batch(request: flask.Request, body: SyncBatch) -> SyncReport:
        return sync(request, body)

    @api.route(
        "POST",
        "/sync/outbox",
        summary="Apply and empty the caller's outbox (records queued through Firestore)",
        roles=MEMBERS,
        refusals=CHANGES,
    )
    def sync_outbox(caller: Principal, tenant: TenantData) -> SyncReport:
        return drain_outbox(caller, tenant)

    @api.route(
        "GET",
        "/sync/conflicts",
        summary="Offline changes that met an online edit: the caller's (all, for the admin)",
        roles=MEMBERS,
    )
    def list_conflicts(caller: Principal, tenant: TenantData) -> ConflictList:
        return conflicts.open_conflicts(caller, tenant)

    @api.route(
        "POST",
        "/sync/conflicts/<conflict_id>/resolve",
        summary="Resolve a conflict: keep mine (the offline value) or theirs",
        roles=MEMBERS,
        refusals=[errors.InvalidTransition, Pseudonymised, *CHANGES],
    )
    def resolve_conflict(
        caller: Principal, tenant: TenantData, conflict_id: str, body: Resolution
    ) -> Conflict:
        return conflicts.resolve(caller, tenant, conflict_id, body)

    @api.route(
        "GET",
        "/sync/quarantine",
        summary="Held offline batches of users whose access was closed",
        roles=ADMIN,
    )
    def list_quarantine(tenant: TenantData) -> QuarantineList:
        return quarantine.held_batches(tenant)

    @api.route("GET", QUARANTINED, summary="A held batch with its records", roles=ADMIN)
    def get_quarantined(tenant: TenantData, batch_id: str) -> QuarantinedRecords:
        return quarantine.one_batch(tenant, batch_id)

    @api.route(
        "POST",
        QUARANTINED + "/accept",
        summary="Apply a held batch as its sender, exactly once",
        roles=ADMIN,
        refusals=[errors.InvalidTransition],
    )
    def accept_quarantined(
        caller: Principal, tenant: TenantData, batch_id: str
    ) -> QuarantinedBatch:
        return quarantine.accept(caller, tenant, batch_id)

    @api.route(
        "POST",
        QUARANTINED + "/discard",
        summary="Discard a held batch",
        roles=ADMIN,
        refusals=[errors.InvalidTransition],
    )
    def discard_quarantined(
        caller: Principal, tenant: TenantData, batch_id: str
    ) -> QuarantinedBatch:
        return quarantine.discard(caller, tenant, batch_id)
