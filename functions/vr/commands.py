"""Ordered commands from the tablet to the headsets (SPEC V-2).

The server numbers them: a transaction on the session raises `command_seq` and writes
the command under that number. Rules could not do this safely (a rule can check a
number against the session's counter, but two tablets' writes of the same number would
both pass the check before either landed); here two commands at once get 1 and 2. Each
command expires 60 s after it was issued, by the server's clock, and headsets skip an
expired command rather than run it late.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import Any

from google.api_core.exceptions import Aborted
from google.cloud import firestore

from functions.vr import breaks, films, store
from functions.vr.models import Action, Command, Issued
from shared import errors
from shared.principal import Principal
from shared.tenancy import TenantData

STARTS_PLAYING = {Action.PLAY, Action.RESUME}

# Commands given at once (a tablet's play to all, a headset's stop) contend on the
# session's sequence number: retry more before giving up (409).
CONTENDED_ATTEMPTS = 10
# The client library retries an aborted transaction at once, so commands sent together can
# keep colliding; after its attempts, wait a random moment (growing) and start again.
CONTENDED_ROUNDS = 3
BACKOFF_S = 0.05


def issue(caller: Principal, tenant: TenantData, session_id: str, body: Command) -> Issued:
    if body.film_id is not None:
        films.check_licensed(tenant, body.film_id)
    now = datetime.now(UTC)
    for round_ in range(1, CONTENDED_ROUNDS + 1):
        transaction = tenant.db.transaction(max_attempts=CONTENDED_ATTEMPTS)
        try:
            issued: Issued = _issue(transaction, tenant, caller.uid, session_id, body, now)
            break
        except (Aborted, ValueError) as lost:
            gave_up = isinstance(lost, ValueError) and "Failed to commit" not in str(lost)
            if gave_up or round_ == CONTENDED_ROUNDS:
                raise
            time.sleep(random.uniform(BACKOFF_S, 2 * BACKOFF_S) * round_)  # noqa: S311
    if body.action in STARTS_PLAYING:
        breaks.schedule(tenant, session_id)
    return issued


@firestore.transactional
def _issue(
    transaction: firestore.Transaction,
    tenant: TenantData,
    uid: str,
    session_id: str,
    body: Command,
    now: datetime,
) -> Issued:
    ref = store.session_ref(tenant, session_id)
    data = store.own_session(ref.get(transaction=transaction), uid)
    if body.target != "all":
        headset = store.headset_ref(tenant, session_id, body.target).get(transaction=transaction)
        if not headset.exists or headset.get("active") is not True:
            raise errors.NotFound("No such headset in this session")
    seq = int(data.get("command_seq") or 0) + 1
    issued = Issued(
        seq=seq,
        action=body.action,
        film_id=body.film_id,
        target=body.target,
        issued_at=now,
        expires_at=now + store.COMMAND_VALIDITY,
    )
    transaction.create(
        ref.collection(store.COMMANDS).document(f"{seq:08d}"),
        {
            **issued.model_dump(),
            "action": body.action.value,
            # The commit's own time (issued_at is when the request began): what a headset's
            # delay is counted from (bench/vr.py).
            "written_at": firestore.SERVER_TIMESTAMP,
            **store.purge_after(now),
        },
    )
    changes: dict[str, Any] = {"command_seq": seq}
    if body.target == "all":  # the session's use follows what everyone watches
        changes["play_log"] = _played(list(data.get("play_log") or []), body.action, now)
    if body.film_id is not None:  # the films its summary may name (functions/vr/summary.py)
        changes["films"] = firestore.ArrayUnion([body.film_id])
    transaction.update(ref, changes)
    return issued


def _played(log: list[dict[str, Any]], action: Action, now: datetime) -> list[dict[str, Any]]:
    playing = bool(log) and log[-1].get("end") is None
    if action in STARTS_PLAYING and not playing:
        return [*log, {"start": now, "end": None}]
    if action not in STARTS_PLAYING and playing:
        return [*log[:-1], {**log[-1], "end": now}]
    return log
