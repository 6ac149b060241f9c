"""Nightly job: erase clients idle past their tenant's retention period, warning first.

A tenant's administrator may set how long a client is kept after their last activity
(`client_retention.months`, the DPA's appendix C.4; unset: kept). Last activity is the
client document's `last_activity_at`, written in the same commit as each write that is
activity (shared/clients.touch: created or changed, a course assigned, an exercise
performed or changed, a remote task answered, a file added; reading is not activity).

For each active tenant inside its maintenance window (a suspended tenant's data is
untouched, a terminated one is handled by tenant_deletion.py):

- a client idle for the period less 30 days gets a warning to its professionals (the
  tenant's active members in its log; the administrators when none is), once for that
  idle spell: the warning is recorded on the client with the activity it was for, so a
  client active after the warning is warned again if it goes idle again;
- a warned client idle for the whole period, and at least 30 days after its warning (a
  period set or shortened today never erases without a warning), is erased through the
  same path as a data-subject erasure (shared/client_data: everything registered) with
  basis `retention`, so its ledger entry keeps every restore from bringing it back.

A restricted client (GDPR Art. 18) is kept, and not warned. The clock is injected.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.support.maintenance.windows import closes_at, window_of
from shared import errors
from shared.client_data import finish_erasure, mark_erasure
from shared.clients import CLIENTS, LAST_ACTIVITY
from shared.erasure_ledger import ErasureBasis
from shared.events import EVENTS, SYSTEM_ACTOR
from shared.jobs import BATCH, Clock, JobResult
from shared.members import USERS, MemberStatus
from shared.messaging import outbox
from shared.messaging.models import Locale
from shared.principal import Role
from shared.templating import MailTemplates, long_date
from shared.tenancy import TENANTS, TenantData
from shared.tenants import TenantDocument, TenantStatus

NAME = "apply_client_retention"
WARNING = timedelta(days=30)
WARNED = "retention_warning"  # on the client: {activity_at, sent_at, erase_on}
# The newest log entries read to find who worked with a client.
LOG_DEPTH = 500
MAIL = MailTemplates(Path(__file__).parent.parent / "templates")
log = logging.getLogger(__name__)


def erase_on(last_activity: datetime, months: int, warned_at: datetime) -> datetime:
    """When a client idle since `last_activity`, warned at `warned_at`, is erased: the
    end of the period, but never sooner than 30 days after the warning (pure)."""
    return max(last_activity + relativedelta(months=months), warned_at + WARNING)


def apply_client_retention(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """Every active tenant with a period, inside its window; tenants one after another."""
    done, failures, finished = 0, [], True
    tenants = db.collection(TENANTS).where(
        filter=FieldFilter("status", "==", TenantStatus.ACTIVE.value)
    )
    for found in tenants.get():
        if clock() >= deadline:
            finished = False
            break
        document = TenantDocument.model_validate(found.to_dict() or {})
        months = document.client_retention.months
        if months is None or document.restoring_since is not None:
            continue
        closes = closes_at(window_of(db, found.id), clock())
        if closes is None:
            continue  # a later run inside the tenant's own window
        tenant = TenantData(db, found.id)
        count, cut_off, failed = _tenant(tenant, document, months, min(deadline, closes), clock)
        done += count
        failures += [f"{found.id}/{what}" for what in failed]
        if cut_off and deadline <= closes:
            finished = False
    return JobResult(name=NAME, processed=done, finished=finished, failures=failures)


def _tenant(
    tenant: TenantData, document: TenantDocument, months: int, until: datetime, clock: Clock
) -> tuple[int, bool, list[str]]:
    """Warn or erase each client idle long enough; (clients acted on, cut off, failures)."""
    horizon = clock() - relativedelta(months=months) + WARNING
    query = (
        tenant.collection(CLIENTS)
        .where(filter=FieldFilter(LAST_ACTIVITY, "<=", horizon))
        .order_by(LAST_ACTIVITY)
        .limit(BATCH)
    )
    done, last, failures = 0, None, list[str]()
    while clock() < until:
        page = (query.start_after(last) if last is not None else query).get()
        if not page:
            return done, False, failures
        for snapshot in page:
            if clock() >= until:
                return done, True, failures
            try:
                done += _client(tenant, document, months, snapshot, clock)
            except errors.ApiError as refused:  # active meanwhile, or restricted: kept
                if refused.code != "conflict":
                    failures.append(f"{snapshot.id}/{refused.code}")
        last = page[-1]
    return done, True, failures


def _client(
    tenant: TenantData,
    document: TenantDocument,
    months: int,
    snapshot: firestore.DocumentSnapshot[Any],
    clock: Clock,
) -> int:
    doc = snapshot.to_dict() or {}
    if doc.get("erasing") or doc.get("restriction"):
        return 0  # being erased already; or restricted, so kept (Art. 18)
    activity: datetime = doc[LAST_ACTIVITY]
    warning = doc.get(WARNED) or {}
    now = clock()
    if warning.get("activity_at") != activity:  # not warned for this idle spell
        _warn(tenant, document, months, snapshot.id, doc, now)
        return 1
    if now < erase_on(activity, months, warning["sent_at"]):
        return 0
    erasure_id = mark_erasure(
        tenant, snapshot.id, SYSTEM_ACTOR, ErasureBasis.RETENTION, idle_since=activity
    )
    receipt = finish_erasure(tenant, snapshot.id, erasure_id, SYSTEM_ACTOR, ErasureBasis.RETENTION)
    log.info(
        "client erased by retention",
        extra={"tenant_id": tenant.tenant_id, "erasure_id": erasure_id, "files": receipt.files},
    )
    return 1


def professionals(tenant: TenantData, client_id: str) -> list[dict[str, Any]]:
    """The active members who worked with the client (its log's actors), else the
    administrators: who should decide whether the client is still needed."""
    entries = (
        tenant.collection(EVENTS)
        .where(filter=FieldFilter("client_id", "==", client_id))
        .order_by("at", direction=firestore.Query.DESCENDING)
        .limit(LOG_DEPTH)
    )
    uids = {str((e.to_dict() or {}).get("actor")) for e in entries.stream()}
    # "system", "contact:<task>" and staff are no members of the tenant.
    uids = {uid for uid in uids if "/" not in uid and ":" not in uid and uid != SYSTEM_ACTOR}
    refs = [tenant.document(USERS, uid) for uid in sorted(uids)]
    members = [s.to_dict() or {} for s in tenant.db.get_all(refs) if s.exists] if refs else []
    active = [m for m in members if m.get("status") == MemberStatus.ACTIVE.value]
    if active:
        return active
    admins = (
        tenant.collection(USERS)
        .where(filter=FieldFilter("role", "==", Role.ADMIN.value))
        .where(filter=FieldFilter("status", "==", MemberStatus.ACTIVE.value))
    )
    return [s.to_dict() or {} for s in admins.get()]


def _warn(
    tenant: TenantData,
    document: TenantDocument,
    months: int,
    client_id: str,
    doc: dict[str, Any],
    now: datetime,
) -> None:
    """One e-mail per professional, then the warning on the client. Message ids come from
    the client and the idle spell, so a run again (or a crash before the record) sends
    each once."""
    activity: datetime = doc[LAST_ACTIVITY]
    when = erase_on(activity, months, now)
    locale = document.locale.value
    spell = activity.strftime("%Y%m%dT%H%M%S%f")
    for member in professionals(tenant, client_id):
        # A user's own language where the record has one, else the tenant's.
        member_locale = Locale(member.get("locale") or locale).value
        params = {
            "name": str(member.get("display_name") or ""),
            "client_name": str((doc.get("profile") or {}).get("name") or ""),
            "client_id": client_id,
            "tenant_name": document.display_name or tenant.tenant_id,
            "months": str(months),
            "last_activity": long_date(activity, member_locale),
            "erase_on": long_date(when, member_locale),
        }
        email = str(member["email"])
        outbox.email(
            tenant,
            message_id=f"retention-{client_id}-{spell}-{_digest(email)}",
            to=email,
            kind="retention_warning",
            content=MAIL.render("retention_warning", member_locale, params),
            locale=Locale(member_locale),
            client_id=client_id,  # the warning is the client's data: erased with them
        )
    warned = {"activity_at": activity, "sent_at": now, "erase_on": when}
    tenant.document(CLIENTS, client_id).update({WARNED: warned})


def _digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:16]
