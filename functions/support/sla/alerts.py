"""Breach alerts (SPEC S-3): a named Cloud Task at 75% of each target and one at its due
time. The task names carry the clock's version, so moving the due time (a pause ended,
receipt confirmed) schedules new tasks and leaves the old ones void; a duplicate or late
delivery finds the alert already recorded on the ticket and does nothing twice."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.support.sla.evaluate import evaluate, target_of
from functions.support.tickets import people
from functions.support.tickets.models import TICKETS, AlertOutcome, SlaAlert, SlaState, Ticket
from shared import contracts
from shared.gcp import schedule_call
from shared.messaging import outbox
from shared.observability import metrics
from shared.settings import get_settings
from shared.subscriptions import COPENHAGEN
from shared.templating import MailTemplates, TextTemplates
from shared.tenancy import TenantData
from shared.tenants import TenantStatus

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent.parent / "templates"
MAIL = MailTemplates(TEMPLATES)
SMS = TextTemplates(TEMPLATES)


def task_id(alert: SlaAlert) -> str:
    return f"sla-{alert.tenant_id}-{alert.ticket_id}-v{alert.version}-{alert.kind}"


def schedule(ticket: Ticket) -> None:
    """The warning and breach tasks of the ticket's current clock (again: harmless)."""
    sla = ticket.sla
    if sla is None or sla.state is not SlaState.RUNNING:
        return
    queue = get_settings().queue("sla_alert_queue")
    for kind, at in (("warning", sla.warn_at), ("breach", sla.due_at)):
        if at is None or kind in sla.alerted:
            continue
        alert = SlaAlert(
            tenant_id=ticket.tenant_id, ticket_id=ticket.id, kind=kind, version=sla.version
        )
        schedule_call(queue, alert.model_dump_json().encode(), at, task_id(alert))


def handle(db: firestore.Client, alert: SlaAlert, now: datetime) -> AlertOutcome:
    """Deliver one alert if it is still due: marked on the ticket in a transaction, then
    sent with message ids derived from the ticket, version and kind."""
    tenant = TenantData(db, alert.tenant_id)
    contract = contracts.load(tenant)
    status = (tenant.root.get().to_dict() or {}).get("status")
    ref = tenant.document(TICKETS, alert.ticket_id)

    @firestore.transactional
    def mark(transaction: firestore.Transaction) -> tuple[str, Ticket | None]:
        snapshot = ref.get(transaction=transaction)
        if not snapshot.exists:
            return "no_ticket", None
        ticket = evaluate(
            Ticket.model_validate(snapshot.to_dict()),
            contract,
            tenant_suspended=status == TenantStatus.SUSPENDED,
        )
        sla = ticket.sla
        if sla is None:
            return "no_sla", None
        if alert.kind in sla.alerted:
            return "already_sent", None
        if sla.state in (SlaState.MET, SlaState.EXCLUDED):
            return sla.state.value, None
        if sla.version != alert.version:
            return "stale", None
        due = sla.warn_at if alert.kind == "warning" else sla.due_at
        if due is None or now < due:
            return "not_due", None
        changes: dict[str, object] = {"alerted": [*sla.alerted, alert.kind]}
        if alert.kind == "breach":
            changes |= {"state": SlaState.BREACHED, "breached_at": due, "near_breach": False}
        elif sla.state is SlaState.RUNNING:
            changes |= {"warned_at": now, "near_breach": True}
        ticket = ticket.model_copy(update={"sla": sla.model_copy(update=changes)})
        transaction.set(ref, ticket.to_firestore())
        return ("breached" if alert.kind == "breach" else "warned"), ticket

    done, ticket = mark(db.transaction())
    if ticket is not None:
        _send(db, tenant, ticket, alert, now)
        record_near_breach(db, ticket.sla.priority if ticket.sla else "")
    return AlertOutcome(done=done)


def _send(
    db: firestore.Client, tenant: TenantData, ticket: Ticket, alert: SlaAlert, now: datetime
) -> None:
    assert ticket.sla is not None
    contract = contracts.load(tenant)
    target = target_of(contract, ticket.sla.priority)
    name = str((tenant.root.get().to_dict() or {}).get("display_name") or tenant.tenant_id)
    due = ticket.sla.due_at.astimezone(COPENHAGEN) if ticket.sla.due_at else now
    params = {
        "tenant_name": name,
        "title": ticket.title,
        "priority": ticket.sla.priority,
        "target": target.label if target else "",
        "due": due.strftime("%d-%m-%Y %H:%M"),
        "assignee": ticket.assignee_name or "ingen",
        "ticket_id": ticket.id,
    }
    lead = people.lead(db, now)
    assignee = people.support_staff_or_none(ticket.assignee_uid, now)
    base = f"sla-{ticket.id}-v{alert.version}-{alert.kind}"
    if alert.kind == "warning":
        to = assignee or lead
        if to is None:
            log.warning("no assignee or support lead to warn", extra={"ticket_id": ticket.id})
            return
        content = MAIL.render("sla_warning", to.locale.value, params)
        outbox.email(
            tenant,
            message_id=f"{base}-{to.uid}",
            to=to.email,
            kind="sla_warning",
            content=content,
            locale=to.locale,
        )
        return
    if lead is None:
        log.warning("no support lead named for a breach", extra={"ticket_id": ticket.id})
        return
    content = MAIL.render("sla_breach", lead.locale.value, params)
    outbox.email(
        tenant,
        message_id=f"{base}-{lead.uid}-email",
        to=lead.email,
        kind="sla_breach",
        content=content,
        locale=lead.locale,
    )
    if lead.phone:
        text = SMS.render("sla_breach_sms", lead.locale.value, params)
        outbox.sms(
            tenant,
            message_id=f"{base}-{lead.uid}-sms",
            to=lead.phone,
            kind="sla_breach_sms",
            text=text,
            locale=lead.locale,
        )


def record_near_breach(db: firestore.Client, priority: str) -> None:
    """trivsel.support.sla_near_breach {priority}: open tickets warned and not yet met
    or breached, across tenants."""
    if not priority:
        return
    query: Any = (
        db.collection_group(TICKETS)
        .where(filter=FieldFilter("sla.near_breach", "==", True))
        .where(filter=FieldFilter("sla.priority", "==", priority))
    )
    counted: Any = query.count(alias="n").get()
    metrics.record_sla_near_breach(priority, int(counted[0][0].value))
