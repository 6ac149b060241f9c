"""Containing a breach in one tenant in one step: every step a plain function over the
tenant, idempotent for one containment (an incident and a tenant), reporting how many
things it changed this time. The VR area adds its step here (voiding headset tokens) when
headset tokens exist; they do not yet.

Every step is audited twice: in the tenant's event log (`containment.<step>`) and in the
supplier's owner log (`owner_log`, outside every tenant)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.support.incidents.models import (
    CONTAINMENTS,
    INCIDENTS,
    ContainmentAnswer,
)
from shared import errors
from shared.client_data import REMOTE_TASKS
from shared.events import record_event
from shared.gcp import firebase_app
from shared.members import USERS, MemberStatus, sessions_ended_at
from shared.messaging import outbox
from shared.messaging.models import Locale
from shared.templating import MailTemplates
from shared.tenancy import TenantData
from shared.vr_retention import disable_headsets

OWNER_LOG = "owner_log"  # owner_log/{id}: the supplier's own audit log (server-only)
MAIL = MailTemplates(Path(__file__).parent.parent / "templates")
OPEN_TASKS = ["scheduled", "sent", "opened"]  # functions/tasks' open states
BATCH = 400


@dataclass(frozen=True)
class Run:
    tenant: TenantData
    incident_id: str
    started_at: datetime  # the containment's first run: later runs change only what is left
    by: str

    @property
    def cut_off(self) -> datetime:
        """Sessions end at the next whole second: tokens carry whole seconds and one issued
        in the second of the revocation would still count (shared/members.py)."""
        return self.started_at.replace(microsecond=0) + timedelta(seconds=1)


def _users(run: Run) -> list[Any]:
    return list(run.tenant.collection(USERS).get())


def sign_out(run: Run) -> int:
    """Every user's tokens issued before the containment are refused from the next call
    (the member record the principal checks), and their refresh tokens revoked."""
    from firebase_admin import auth

    due = [u for u in _users(run) if sessions_ended_at(u.to_dict() or {}) < run.cut_off.timestamp()]
    for part in range(0, len(due), BATCH):
        batch = run.tenant.db.batch()
        for user in due[part : part + BATCH]:
            batch.update(user.reference, {"tokens_valid_after": run.cut_off})
        batch.commit()
    for user in due:  # the record first, Auth second: a failed Auth call leaves them refused
        auth.revoke_refresh_tokens(user.id, app=firebase_app())
    return len(due)


def force_password_reset(run: Run) -> int:
    """Every active user's password is replaced by a random one (the old one stops working)
    and they are e-mailed a link to choose a new one, once per containment."""
    from firebase_admin import auth

    count = 0
    name = str((run.tenant.root.get().to_dict() or {}).get("display_name") or run.tenant.tenant_id)
    for user in _users(run):
        record = user.to_dict() or {}
        done = record.get("password_reset_forced_at")
        if record.get("status") != MemberStatus.ACTIVE or not record.get("email"):
            continue
        if isinstance(done, datetime) and done >= run.started_at:
            continue
        auth.update_user(user.id, password=secrets.token_urlsafe(32), app=firebase_app())
        link = auth.generate_password_reset_link(record["email"], app=firebase_app())
        locale = Locale(record.get("locale") or Locale.DA)
        outbox.email(
            run.tenant,
            message_id=f"containment-{run.incident_id}-{user.id}-reset",
            to=record["email"],
            kind="containment_password_reset",
            content=MAIL.render(
                "containment_password_reset", locale.value, {"tenant_name": name, "link": link}
            ),
            locale=locale,
        )
        user.reference.update({"password_reset_forced_at": run.started_at})
        count += 1
    return count


def void_remote_task_links(run: Run) -> int:
    """Every open remote-task link stops opening ("gone") and is reminded no more."""
    query = run.tenant.collection(REMOTE_TASKS).where(
        filter=FieldFilter("status", "in", OPEN_TASKS)
    )
    due = [s for s in query.get() if not (s.to_dict() or {}).get("voided_at")]
    for part in range(0, len(due), BATCH):
        batch = run.tenant.db.batch()
        for task in due[part : part + BATCH]:
            batch.update(
                task.reference,
                {
                    "voided_at": run.started_at,
                    "status": "cancelled",
                    "cancelled_at": run.started_at,
                },
            )
        batch.commit()
    return len(due)


def disable_headset_tokens(run: Run) -> int:
    """Every paired VR headset's token stops working at once (shared/vr_retention.py)."""
    return disable_headsets(run.tenant.db, run.tenant.tenant_id, run.started_at)


# The steps, in order.
STEPS: dict[str, Callable[[Run], int]] = {
    "sign_out": sign_out,
    "password_reset": force_password_reset,
    "remote_task_links": void_remote_task_links,
    "headset_tokens": disable_headset_tokens,
}


def contain(
    db: firestore.Client, tenant_id: str, incident_id: str, by: str, now: datetime
) -> ContainmentAnswer:
    if not db.document(INCIDENTS, incident_id).get().exists:
        raise errors.NotFound("No such incident")
    tenant = TenantData(db, tenant_id)
    if not tenant.root.get().exists:
        raise errors.NotFound("No such tenant")
    ref = db.document(INCIDENTS, incident_id, CONTAINMENTS, tenant_id)

    @firestore.transactional
    def start(transaction: firestore.Transaction) -> datetime:
        snapshot = ref.get(transaction=transaction)
        if snapshot.exists:
            started: datetime = snapshot.get("started_at")
            return started
        transaction.set(ref, {"tenant_id": tenant_id, "started_at": now, "started_by": by})
        return now

    run = Run(tenant=tenant, incident_id=incident_id, started_at=start(db.transaction()), by=by)
    counts: dict[str, int] = {}
    for name, step in STEPS.items():
        counts[name] = step(run)
        details = {"incident_id": incident_id, "count": counts[name]}
        record_event(
            tenant, actor=by, action=f"containment.{name}", subject="tenant", details=details
        )
        db.collection(OWNER_LOG).add(
            {
                "actor": by,
                "action": f"containment.{name}",
                "tenant_id": tenant_id,
                "at": now,
                "details": details,
            }
        )
    ref.update({"runs": firestore.ArrayUnion([{"at": now, "by": by, "steps": counts}])})
    return ContainmentAnswer(
        tenant_id=tenant_id, incident_id=incident_id, started_at=run.started_at, steps=counts
    )
