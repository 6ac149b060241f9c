"""Data-subject rights: the register of requests, and restricting a client (GDPR Art. 18).

The register is the controller's evidence that each request was answered in time
(shared/data_subjects.py: deadlines, and why it is kept after an erasure). A
restriction freezes the client: every route that changes the client or acts on
their data refuses with `client_restricted` (shared/clients.load_for_change), while
reading and exporting go on; lifting it restores everything, nothing was lost.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from google.cloud import firestore

from functions.clients.models import (
    RestrictionRequest,
    SubjectRequestAnswer,
    SubjectRequestCreate,
    SubjectRequestExtension,
)
from shared import errors
from shared.clients import CLIENTS, load_document
from shared.data_subjects import (
    DATA_SUBJECT_REQUESTS,
    DataSubjectRequest,
    RequestStatus,
    extended_deadline,
    first_deadline,
)
from shared.events import new_event, record_event
from shared.ids import new_id
from shared.principal import Principal
from shared.tenancy import TenantData


def _request(snapshot: Any) -> DataSubjectRequest:
    if not snapshot.exists:
        raise errors.NotFound("No such data-subject request")
    return DataSubjectRequest.model_validate({**(snapshot.to_dict() or {}), "id": snapshot.id})


def _stored(request: DataSubjectRequest) -> dict[str, Any]:
    return request.model_dump(mode="json", exclude={"id"}) | {"created_at": request.created_at}


def register(me: Principal, data: TenantData, body: SubjectRequestCreate) -> DataSubjectRequest:
    """A request as received; its deadline is one month from receipt."""
    if body.client_id is not None:
        load_document(data, body.client_id)  # a client of this tenant, not being erased
    request = DataSubjectRequest(
        id=new_id("data-subject-request"),
        kind=body.kind,
        client_id=body.client_id,
        received_on=body.received_on,
        deadline=first_deadline(body.received_on),
        handler=body.handler or me.uid,
        created_by=me.uid,
        created_at=datetime.now(UTC),
    )
    ref = data.document(DATA_SUBJECT_REQUESTS, request.id)
    batch = data.db.batch()
    batch.set(ref, _stored(request))  # a retry's re-run (same id) writes the same
    batch.set(*_event(data, me, request, "registered", event_id=f"dsr-registered-{request.id}"))
    batch.commit()
    return request


def _event(
    data: TenantData,
    me: Principal,
    request: DataSubjectRequest,
    what: str,
    event_id: str | None = None,
) -> tuple[Any, dict[str, Any]]:
    return new_event(
        data,
        actor=me.uid,
        action=f"data_subject_request.{what}",
        subject=f"{DATA_SUBJECT_REQUESTS}/{request.id}",
        client_id=request.client_id,
        details={"kind": request.kind.value, "deadline": request.deadline.isoformat()},
        event_id=event_id,
    )


def listing(data: TenantData) -> list[DataSubjectRequest]:
    """Every request, the nearest deadline first."""
    snapshots = data.collection(DATA_SUBJECT_REQUESTS).order_by("deadline").get()
    return [_request(s) for s in snapshots]


def get(data: TenantData, request_id: str) -> DataSubjectRequest:
    return _request(data.document(DATA_SUBJECT_REQUESTS, request_id).get())


def _change(
    me: Principal, data: TenantData, request_id: str, what: str, update: Any
) -> DataSubjectRequest:
    """Change an open request in a transaction, with its log entry."""
    ref = data.document(DATA_SUBJECT_REQUESTS, request_id)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> DataSubjectRequest:
        request = _request(ref.get(transaction=transaction))
        if request.status is not RequestStatus.OPEN:
            raise errors.InvalidTransition(f"The request is {request.status.value}")
        changed: DataSubjectRequest = update(request)
        transaction.set(ref, _stored(changed))
        transaction.create(*_event(data, me, changed, what))
        return changed

    result: DataSubjectRequest = apply(data.db.transaction())
    return result


def extend(
    me: Principal, data: TenantData, request_id: str, body: SubjectRequestExtension
) -> DataSubjectRequest:
    """Two further months (three from receipt), once, with the reason recorded."""

    def longer(request: DataSubjectRequest) -> DataSubjectRequest:
        if request.extended:
            raise errors.InvalidTransition("The deadline was extended already")
        return request.model_copy(
            update={
                "extended": True,
                "extension_reason": body.reason,
                "deadline": extended_deadline(request.received_on),
            }
        )

    return _change(me, data, request_id, "extended", longer)


def answer(
    me: Principal, data: TenantData, request_id: str, body: SubjectRequestAnswer
) -> DataSubjectRequest:
    def answered(request: DataSubjectRequest) -> DataSubjectRequest:
        return request.model_copy(
            update={"status": body.status, "outcome": body.outcome, "answered_on": date.today()}
        )

    return _change(me, data, request_id, "answered", answered)


# -- restriction (Art. 18) ------------------------------------------------------------------


def restrict(me: Principal, data: TenantData, client_id: str, body: RestrictionRequest) -> None:
    """Freeze the client; restricting a restricted client keeps the first restriction."""
    if body.request_id is not None:
        get(data, body.request_id)  # a request of this tenant
    ref = data.document(CLIENTS, client_id)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> bool:
        doc = load_document(data, client_id, transaction)
        if doc.get("restriction"):
            return False
        since = datetime.now(UTC)
        restriction = {"since": since, "by": me.uid, "request_id": body.request_id}
        transaction.update(ref, {"restriction": restriction})
        return True

    if apply(data.db.transaction()):
        record_event(
            data,
            actor=me.uid,
            action="client.restricted",
            subject=f"{CLIENTS}/{client_id}",
            client_id=client_id,
            details={"request_id": body.request_id},
        )


def lift(me: Principal, data: TenantData, client_id: str) -> None:
    """End the restriction: the client is processed again, as before."""
    ref = data.document(CLIENTS, client_id)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> None:
        doc = load_document(data, client_id, transaction)
        if not doc.get("restriction"):
            raise errors.InvalidTransition("The client is not restricted")
        transaction.update(ref, {"restriction": None})

    apply(data.db.transaction())
    record_event(
        data,
        actor=me.uid,
        action="client.restriction_lifted",
        subject=f"{CLIENTS}/{client_id}",
        client_id=client_id,
    )
