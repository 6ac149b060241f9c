"""Delivering one message: at-least-once underneath, once as the recipient sees it.

Each delivery first claims the message with one conditional write: a message
already `sent` or `failed` is not sent again; one held by a live attempt (its
lease) or waiting out a backoff is handed back for a later redelivery. Only
the claim holder calls the provider, and its outcome is written only if it
still holds the claim. What is sent is the stored request, never a payload that
differs from it (see below for the one case where the record is not read).

The one window this cannot close is a crash after the provider accepted the
message and before `sent` is written (there is no idempotency key in SES): a
retry after the lease then sends again. See README, "Messaging".

A message its publisher hands on with the update time of the record it just wrote
(outbox.dispatch, a Pub/Sub attribute) is claimed without that read: the claim's write
holds only while the record still has that update time, i.e. is exactly as queued by
the request that published it; otherwise the reading claim decides as above. What is
sent is then the payload, which that request published from the very record it wrote;
a message published by anyone else (no attribute, or a time that does not match to the
microsecond) is still sent only as stored.

Before the provider is called, the claim holder checks once that the tenant has approved
the channel's sub-processor (shared/subprocessors.py; the tenant's document is read in
the claim's round trip): if not, for instance because the approval was withdrawn after
the message was queued, the message ends `failed` with `subprocessor_not_approved`.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from google.api_core.exceptions import AlreadyExists, FailedPrecondition
from google.api_core.exceptions import NotFound as GoogleNotFound
from google.cloud import firestore

from shared.events import SYSTEM_ACTOR, new_event
from shared.messaging.models import MESSAGES, Channel, MessageRecord, MessageRequest, MessageState
from shared.messaging.providers import ProviderError, Providers
from shared.observability import metrics
from shared.subprocessors import CHANNELS, Approvals, SubprocessorNotApproved, approved_in
from shared.subprocessors import from_document as approvals_of
from shared.subscriptions import received_on
from shared.tenancy import TenantData

if TYPE_CHECKING:
    from shared.settings import Settings

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    DUPLICATE = "duplicate"  # already sent or failed: nothing to do
    RETRY_LATER = "retry_later"  # held by another attempt, or backing off
    SUPERSEDED = "superseded"  # this attempt's lease ran out and another took over


@dataclass(frozen=True)
class _Claim:
    request: MessageRequest
    attempt: int  # 0 when not claimed
    outcome: Outcome | None = None
    claimed_at: datetime | None = None  # the claim write's update time
    approvals: Approvals | None = None  # the tenant's sub-processor approvals, as read


# A claim lost to a concurrent delivery is tried again this often, then handed back.
CLAIM_ATTEMPTS = 3


def backoff(attempt: int, settings: Settings) -> timedelta:
    """Wait after the given failed attempt: base, 2x base, 4x base ... capped."""
    seconds = settings.message_backoff_base_s * (2 ** max(attempt - 1, 0))
    return timedelta(seconds=min(seconds, settings.message_backoff_max_s))


def _claim(
    tenant: TenantData,
    ref: firestore.DocumentReference,
    request: MessageRequest,
    settings: Settings,
    now: datetime,
) -> _Claim:
    """Read the record (and the tenant's document, in the same round trip) and write the
    decision in one conditional write (two round trips, where a transaction takes three):
    the write holds only if nobody wrote in between."""
    db = tenant.db
    for _ in range(CLAIM_ATTEMPTS):
        found = {s.reference.path: s for s in db.get_all([ref, tenant.root])}
        snapshot, owner = found[ref.path], found[tenant.root.path]
        if snapshot.exists:
            record = MessageRecord.model_validate(snapshot.to_dict())
        else:  # published without a record (e.g. straight to the topic): adopt it
            record = MessageRecord(
                request=request, state=MessageState.QUEUED, created_at=now, updated_at=now
            )
        record.received += 1
        held = record.state is MessageState.SENDING and (record.lease_until or now) > now
        waiting = record.next_attempt_at is not None and record.next_attempt_at > now
        if record.state in (MessageState.SENT, MessageState.FAILED):
            claim = _Claim(record.request, 0, Outcome.DUPLICATE)
        elif held or waiting:
            claim = _Claim(record.request, 0, Outcome.RETRY_LATER)
        else:
            record.attempts += 1
            record.state = MessageState.SENDING
            record.lease_until = now + timedelta(seconds=settings.message_lease_s)
            record.next_attempt_at = None
            record.updated_at = now
            claim = _Claim(record.request, record.attempts)
        try:
            if snapshot.exists:
                option = db.write_option(last_update_time=snapshot.update_time)
                written = ref.update(record.to_firestore(), option=option)
            else:
                written = ref.create(record.to_firestore())
        except (FailedPrecondition, AlreadyExists):  # another delivery wrote first: look again
            continue
        approvals = approvals_of(owner.to_dict() if owner.exists else None)
        return _Claim(claim.request, claim.attempt, claim.outcome, written.update_time, approvals)
    return _Claim(request, 0, Outcome.RETRY_LATER)


# Reads the tenant's document while a fresh message is claimed (`_claim_queued`).
_READS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="delivery-read")


def _claim_queued(
    tenant: TenantData,
    ref: firestore.DocumentReference,
    request: MessageRequest,
    settings: Settings,
    now: datetime,
    queued_at: datetime,
) -> _Claim | None:
    """Claim a message published with its `queued` record's update time (outbox.dispatch)
    without reading the record: a write on the precondition that the record still has
    that update time holds only if nobody wrote it since, so it is the record the
    publisher wrote with this very request (queued, never handed to a delivery). The
    tenant's document is read meanwhile: one round trip where a read and a write take
    two. None when the record changed since: the reading claim (`_claim`) decides."""
    owner = _READS.submit(tenant.root.get)
    claimed = {
        "state": MessageState.SENDING.value,
        "attempts": 1,
        "received": 1,
        "lease_until": now + timedelta(seconds=settings.message_lease_s),
        "next_attempt_at": None,
        "updated_at": now,
    }
    try:
        written = ref.update(claimed, option=tenant.db.write_option(last_update_time=queued_at))
    except (FailedPrecondition, GoogleNotFound):
        owner.cancel()
        return None
    snapshot = owner.result()
    approvals = approvals_of(snapshot.to_dict() if snapshot.exists else None)
    return _Claim(request, 1, None, written.update_time, approvals)


def _finish(
    db: firestore.Client,
    ref: firestore.DocumentReference,
    claim: _Claim,
    update: dict[str, Any],
    event: tuple[Any, dict[str, Any]] | None = None,
) -> bool:
    """Write an attempt's outcome (and its log entry), only if that attempt still holds
    the claim. Usually one write, conditional on nobody having written since the claim;
    if somebody did (a redelivery counting itself, or a takeover after the lease), the
    record decides, in a transaction."""
    batch = db.batch()
    batch.update(ref, update, option=db.write_option(last_update_time=claim.claimed_at))
    if event is not None:
        batch.create(*event)
    try:
        batch.commit()
        return True
    except FailedPrecondition:
        pass
    except AlreadyExists:  # the log entry is there already: the outcome alone
        return _finish(db, ref, claim, update)
    except GoogleNotFound:  # the record was erased meanwhile: nothing more to record
        log.warning("message %s was erased while attempt %d sent it", ref.id, claim.attempt)
        return False

    @firestore.transactional
    def run(transaction: firestore.Transaction) -> bool:
        snapshot = ref.get(transaction=transaction)
        if not snapshot.exists:  # erased meanwhile
            return False
        current = snapshot.to_dict() or {}
        if current.get("state") != MessageState.SENDING or current.get("attempts") != claim.attempt:
            return False
        logged = event is None or event[0].get(transaction=transaction).exists  # reads first
        transaction.update(ref, update)
        if event is not None and not logged:
            transaction.create(*event)
        return True

    done: bool = run(db.transaction())
    if not done:
        log.warning(
            "message %s: attempt %d was superseded; its outcome is dropped", ref.id, claim.attempt
        )
    return done


def deliver(
    request: MessageRequest,
    *,
    db: firestore.Client,
    providers: Providers,
    settings: Settings,
    now: datetime | None = None,
    queued_at: datetime | None = None,
) -> Outcome:
    """Send one message unless it was sent already; record what happened (and count a
    message that ends `sent` or `failed` here, in trivsel.messages).

    `queued_at`: the update time of the record as its publisher wrote it (a Pub/Sub
    attribute), so a fresh message is claimed without reading it first."""
    outcome = _deliver(
        request, db=db, providers=providers, settings=settings, now=now, queued_at=queued_at
    )
    if outcome in (Outcome.SENT, Outcome.FAILED):
        metrics.record_message(request.channel.value, outcome.value, request.tenant_id)
    return outcome


def _deliver(
    request: MessageRequest,
    *,
    db: firestore.Client,
    providers: Providers,
    settings: Settings,
    now: datetime | None,
    queued_at: datetime | None,
) -> Outcome:
    tenant = TenantData(db, request.tenant_id)
    ref = tenant.document(MESSAGES, request.id)
    moment = now or datetime.now(UTC)
    fresh = None
    if queued_at is not None:
        fresh = _claim_queued(tenant, ref, request, settings, moment, queued_at)
    claim = fresh or _claim(tenant, ref, request, settings, moment)
    if claim.outcome is not None:
        return claim.outcome
    stored = claim.request
    subprocessor = CHANNELS[stored.channel]
    if not approved_in(claim.approvals, subprocessor, received_on(moment)):
        return _refuse(tenant, ref, stored, claim, subprocessor)
    try:
        provider_id = _send(stored, providers)
    except ProviderError as error:
        return _record_failure(tenant, ref, stored, claim, error, settings)
    finished = datetime.now(UTC)
    update = {
        "state": MessageState.SENT.value,
        "sent_at": finished,
        "updated_at": finished,
        "provider_message_id": provider_id,
        "lease_until": None,
        "last_error": None,
    }
    sent = _event(tenant, stored, "message.sent", {"attempts": claim.attempt})
    if not _finish(db, ref, claim, update, sent):
        return Outcome.SUPERSEDED
    return Outcome.SENT


def _refuse(
    tenant: TenantData,
    ref: firestore.DocumentReference,
    request: MessageRequest,
    claim: _Claim,
    subprocessor: str,
) -> Outcome:
    """The tenant has not approved the provider: `failed`, and the provider never called
    (so this claim started no provider call: `attempts` stays as it was)."""
    reason = SubprocessorNotApproved.code
    update = {
        "state": MessageState.FAILED.value,
        "failure_reason": reason,
        "attempts": claim.attempt - 1,
        "updated_at": datetime.now(UTC),
        "lease_until": None,
    }
    details = {"attempts": claim.attempt - 1, "reason": reason, "subprocessor": subprocessor}
    failed = _event(tenant, request, "message.failed", details)
    if not _finish(tenant.db, ref, claim, update, failed):
        return Outcome.SUPERSEDED
    return Outcome.FAILED


def _send(request: MessageRequest, providers: Providers) -> str:
    if request.channel is Channel.EMAIL:
        return providers.email.send_email(request.to, request.subject, request.text, request.html)
    return providers.sms.send_sms(request.to, request.text)


def _record_failure(
    tenant: TenantData,
    ref: firestore.DocumentReference,
    request: MessageRequest,
    claim: _Claim,
    error: ProviderError,
    settings: Settings,
) -> Outcome:
    attempt = claim.attempt
    now = datetime.now(UTC)
    update: dict[str, Any] = {"updated_at": now, "lease_until": None, "last_error": error.reason}
    if error.permanent or attempt >= settings.message_max_attempts:
        reason = (
            error.reason
            if error.permanent
            else f"{error.reason} (gave up after {attempt} attempts)"
        )
        update |= {"state": MessageState.FAILED.value, "failure_reason": reason}
        failed = _event(tenant, request, "message.failed", {"attempts": attempt, "reason": reason})
        if not _finish(tenant.db, ref, claim, update, failed):
            return Outcome.SUPERSEDED
        return Outcome.FAILED
    update |= {
        "state": MessageState.QUEUED.value,
        "next_attempt_at": now + backoff(attempt, settings),
    }
    _finish(tenant.db, ref, claim, update)
    return Outcome.RETRY_LATER


def _event(
    tenant: TenantData, request: MessageRequest, action: str, details: dict[str, Any]
) -> tuple[Any, dict[str, Any]]:
    """The log entry of an outcome, written in the same commit as the outcome."""
    return new_event(
        tenant,
        actor=SYSTEM_ACTOR,
        action=action,
        subject=f"{MESSAGES}/{request.id}",
        details={"channel": request.channel.value, "template": request.kind, **details},
        event_id=f"{request.id}-{action.replace('.', '-')}",
        client_id=request.client_id,
    )
