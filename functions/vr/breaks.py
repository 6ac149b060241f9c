"""The 30-minute break (SPEC V-3): a named Cloud Task per session, run and play stretch.

Each play or resume schedules a task for the moment 30 minutes of continuous use would
be reached. The task re-reads the session in a transaction and recommends the break
only if it is really due now, the session is still open and this run has not had its
recommendation: a task delivered twice, or after a pause, or after the session ended,
does nothing. Tablet and headsets both listen to the session document and see
`break_recommended_at`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore

from functions.vr import store, usage
from functions.vr.models import BreakCheck
from shared.gcp import firestore_client, schedule_call
from shared.settings import get_settings
from shared.tenancy import TenantData


def intervals(data: dict[str, Any]) -> list[usage.Interval]:
    return [(i["start"], i.get("end")) for i in data.get("play_log") or []]


def task_name(tenant_id: str, session_id: str, run: int, stretch: int) -> str:
    return f"vr-break-{tenant_id}-{session_id}-r{run}-p{stretch}"


def schedule(tenant: TenantData, session_id: str, now: datetime | None = None) -> str | None:
    moment = now or datetime.now(UTC)
    data = store.session_ref(tenant, session_id).get().to_dict() or {}
    played = intervals(data)
    due = usage.break_due_at(played, moment)
    if due is None:
        return None
    run = usage.continuous_use(played, moment).run
    name = task_name(tenant.tenant_id, session_id, run, len(played))
    body = BreakCheck(tenant_id=tenant.tenant_id, session_id=session_id, run=run)
    schedule_call(
        get_settings().queue("vr_break_queue"), body.model_dump_json().encode(), due, name
    )
    return name


def check(body: BreakCheck, now: datetime | None = None) -> bool:
    """Recommend the break if it is due in this run now; True if this call recorded it."""
    tenant = TenantData(firestore_client(), body.tenant_id)
    ref = store.session_ref(tenant, body.session_id)
    recorded: bool = _check(tenant.db.transaction(), ref, body.run, now or datetime.now(UTC))
    return recorded


@firestore.transactional
def _check(
    transaction: firestore.Transaction, ref: firestore.DocumentReference, run: int, now: datetime
) -> bool:
    snapshot = ref.get(transaction=transaction)
    data = snapshot.to_dict() if snapshot.exists else None
    if data is None or data.get("status") != "open":
        return False  # ended (or purged) meanwhile
    played = intervals(data)
    use = usage.continuous_use(played, now)
    if (
        use.run != run
        or use.continuous < usage.BREAK_AFTER
        or run in (data.get("break_runs") or [])
    ):
        return False
    transaction.update(
        ref,
        {"break_recommended_at": now, "break_runs": firestore.ArrayUnion([run])},
    )
    return True
