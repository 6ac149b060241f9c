"""The operations on a ticket: each one a transaction on the ticket that re-evaluates its
SLA, then the alerts of a moved clock and the e-mails of the change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.support.sla import alerts
from functions.support.sla.evaluate import evaluate
from functions.support.tickets import notify, people
from functions.support.tickets.models import (
    COMMENTS,
    TICKETS,
    TRANSITIONS,
    Escalation,
    NewComment,
    NewTicket,
    NoSupportTerms,
    Ticket,
    TicketAttachment,
    TicketComment,
    TicketLevel,
    TicketPause,
    TicketSla,
    TicketStatus,
    UnknownPriority,
)
from shared import contracts, errors
from shared.events import record_event
from shared.ids import new_id
from shared.principal import Principal, Role
from shared.tenancy import TenantData
from shared.tenants import TenantStatus

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def _read(snapshot: Any) -> Ticket:
    if not snapshot.exists:
        raise errors.NotFound("No such ticket")
    return Ticket.model_validate(snapshot.to_dict())


def visible_to_member(caller: Principal, ticket: Ticket) -> bool:
    """The administrator sees every ticket of the tenant; a user only their own."""
    return caller.role is Role.ADMIN or ticket.reporter_uid == caller.uid


def get_for_member(caller: Principal, tenant: TenantData, ticket_id: str) -> Ticket:
    ticket = _read(tenant.document(TICKETS, ticket_id).get())
    if not visible_to_member(caller, ticket):
        raise errors.NotFound("No such ticket")
    return ticket


def get_for_support(tenant: TenantData, ticket_id: str) -> Ticket:
    """Support sees escalated tickets only: a first-level one is the tenant's own."""
    ticket = _read(tenant.document(TICKETS, ticket_id).get())
    if ticket.level is not TicketLevel.SECOND:
        raise errors.NotFound("No such ticket")
    return ticket


def create(caller: Principal, tenant: TenantData, body: NewTicket) -> Ticket:
    now = _now()
    ticket = Ticket(
        id=new_id("ticket"),
        tenant_id=tenant.tenant_id,
        reporter_uid=caller.uid,
        created_at=now,
        last_contact_at=now,
        **body.model_dump(),
    )
    tenant.document(TICKETS, ticket.id).create(ticket.to_firestore())
    record_event(
        tenant,
        actor=caller.uid,
        action="ticket.created",
        subject=f"{TICKETS}/{ticket.id}",
        event_id=f"{ticket.id}-created",
    )
    notify.tell(tenant, ticket, "created", "created", caller.uid)
    return ticket


def for_member(caller: Principal, tenant: TenantData) -> list[Ticket]:
    query: Any = tenant.collection(TICKETS)
    if caller.role is not Role.ADMIN:
        query = query.where(filter=FieldFilter("reporter_uid", "==", caller.uid))
    tickets = [Ticket.model_validate(s.to_dict()) for s in query.get()]
    return sorted(tickets, key=lambda t: t.created_at, reverse=True)


def queue(db: firestore.Client, status: TicketStatus | None) -> list[Ticket]:
    """Every escalated ticket across tenants, oldest receipt first: ticket data only."""
    query = db.collection_group(TICKETS).where(filter=FieldFilter("level", "==", "second"))
    if status is not None:
        query = query.where(filter=FieldFilter("status", "==", status.value))
    tickets = [Ticket.model_validate(s.to_dict()) for s in query.get()]
    return sorted(tickets, key=lambda t: t.received_at or t.created_at)


def change(
    tenant: TenantData,
    ticket_id: str,
    apply: Callable[[Ticket, datetime], Ticket],
    *,
    actor: str,
    what: str,
    note: str | None = None,
    member: Principal | None = None,
    clock: Clock = _now,
    quiet: bool = False,
) -> Ticket:
    """Apply one change in a transaction, re-evaluate the SLA, then schedule the alerts
    of a moved clock and tell the reporter and administrators."""
    contract = contracts.load(tenant)
    suspended = (tenant.root.get().to_dict() or {}).get("status") == TenantStatus.SUSPENDED
    ref = tenant.document(TICKETS, ticket_id)
    change_id = new_id(f"change-{what}")

    @firestore.transactional
    def run(transaction: firestore.Transaction) -> tuple[Ticket, Ticket]:
        before = _read(ref.get(transaction=transaction))
        if member is not None and not visible_to_member(member, before):
            raise errors.NotFound("No such ticket")
        if member is None and before.level is not TicketLevel.SECOND:
            raise errors.NotFound("No such ticket")
        now = clock()
        after = apply(before, now).model_copy(update={"last_contact_at": now})
        after = evaluate(after, contract, tenant_suspended=suspended)
        transaction.set(ref, after.to_firestore())
        return before, after

    before, after = run(tenant.db.transaction())  # type: Ticket, Ticket
    record_event(
        tenant,
        actor=actor,
        action=f"ticket.{what}",
        subject=f"{TICKETS}/{ticket_id}",
        details={"status": after.status.value},
        event_id=f"{ticket_id}-{change_id}",
    )
    if after.sla is not None and (before.sla is None or before.sla.version != after.sla.version):
        alerts.schedule(after)
    if (
        after.sla is not None
        and before.sla is not None
        and (before.sla.near_breach and not after.sla.near_breach)
    ):
        alerts.record_near_breach(tenant.db, after.sla.priority)
    if not quiet:
        notify.tell(tenant, after, what, change_id, actor, note)
    return after


# -- the changes ---------------------------------------------------------------------------


def escalate(caller: Principal, tenant: TenantData, ticket_id: str, body: Escalation) -> Ticket:
    contract = contracts.load(tenant)
    if contract is None or contract.support is None:
        raise NoSupportTerms()
    if contract.support.target(body.priority) is None:
        known = ", ".join(t.priority for t in contract.support.targets)
        raise UnknownPriority(f"The contract's priorities are: {known}")

    def apply(ticket: Ticket, now: datetime) -> Ticket:
        if ticket.level is not TicketLevel.FIRST or ticket.status is not TicketStatus.NEW:
            raise errors.InvalidTransition("Only a new first-level ticket is escalated")
        update: dict[str, Any] = {
            "level": TicketLevel.SECOND,
            "received_at": now,
            "escalated_by": caller.uid,
            "sla": TicketSla(priority=body.priority),
            "steps_to_reproduce": body.steps_to_reproduce,
            "consequence": body.consequence,
        }
        if body.description:
            update["description"] = body.description
        return ticket.model_copy(update=update)

    return change(tenant, ticket_id, apply, actor=caller.uid, what="escalated", member=caller)


MEMBER_MOVES = {
    TicketLevel.FIRST: {
        (TicketStatus.NEW, TicketStatus.RESOLVED),
        (TicketStatus.RESOLVED, TicketStatus.CLOSED),
    },
    TicketLevel.SECOND: {
        (TicketStatus.WAITING, TicketStatus.IN_PROGRESS),
        (TicketStatus.RESOLVED, TicketStatus.CLOSED),
        (TicketStatus.RESOLVED, TicketStatus.IN_PROGRESS),
    },
}


def move(ticket: Ticket, to: TicketStatus, now: datetime) -> Ticket:
    """The status change itself, with the events the SLA clock counts."""
    if to not in TRANSITIONS[ticket.status]:
        raise errors.InvalidTransition(
            f"A ticket that is {ticket.status.value} cannot become {to.value}"
        )
    update: dict[str, Any] = {"status": to}
    pauses = list(ticket.pauses)
    if ticket.status is TicketStatus.WAITING and pauses and pauses[-1].until is None:
        pauses[-1] = TicketPause(since=pauses[-1].since, until=now)
    if to is TicketStatus.WAITING:
        pauses.append(TicketPause(since=now))
    update["pauses"] = pauses
    if ticket.level is TicketLevel.SECOND:
        if to in (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS) and ticket.assignee_uid is None:
            raise errors.InvalidTransition("Assign a named person first")
        if to is TicketStatus.IN_PROGRESS and ticket.work_started_at is None:
            update["work_started_at"] = now  # a named person has taken it and begun
        if to is TicketStatus.RESOLVED and ticket.fix_released_at is None:
            update["fix_released_at"] = now
    elif to is TicketStatus.ASSIGNED:
        raise errors.InvalidTransition("Escalate the ticket to have it assigned")
    if to is TicketStatus.CLOSED:
        update["closed_at"] = now
    return ticket.model_copy(update=update)


def member_move(
    caller: Principal, tenant: TenantData, ticket_id: str, to: TicketStatus, note: str | None
) -> Ticket:
    def apply(ticket: Ticket, now: datetime) -> Ticket:
        moved = move(ticket, to, now)  # invalid_transition first: it says more
        allowed = MEMBER_MOVES[ticket.level]
        if (ticket.status, to) not in allowed:
            raise errors.Forbidden("The supplier's support makes this change")
        if to is not TicketStatus.CLOSED and caller.role is not Role.ADMIN:
            raise errors.Forbidden("Your administrator makes this change")
        return moved

    return change(
        tenant, ticket_id, apply, actor=caller.uid, what="status", note=note, member=caller
    )


def support_move(
    caller: Principal, tenant: TenantData, ticket_id: str, to: TicketStatus, note: str | None
) -> Ticket:
    return change(
        tenant,
        ticket_id,
        lambda t, now: move(t, to, now),
        actor=caller.uid,
        what="status",
        note=note,
    )


def confirm(caller: Principal, tenant: TenantData, ticket_id: str) -> Ticket:
    def apply(ticket: Ticket, now: datetime) -> Ticket:
        if ticket.confirmed_at is not None or ticket.status is TicketStatus.CLOSED:
            raise errors.InvalidTransition("Receipt is confirmed already")
        return ticket.model_copy(update={"confirmed_at": now})

    return change(tenant, ticket_id, apply, actor=caller.uid, what="confirmed")


def assign(caller: Principal, tenant: TenantData, ticket_id: str, assignee_uid: str) -> Ticket:
    assignee = people.support_staff(assignee_uid, _now())

    def apply(ticket: Ticket, now: datetime) -> Ticket:
        if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            raise errors.InvalidTransition("A resolved or closed ticket is not assigned")
        update: dict[str, Any] = {"assignee_uid": assignee.uid, "assignee_name": assignee.name}
        if ticket.status is TicketStatus.NEW:
            update["status"] = TicketStatus.ASSIGNED
        return ticket.model_copy(update=update)

    return change(tenant, ticket_id, apply, actor=caller.uid, what="assigned")


def mark_customer_caused(
    caller: Principal, tenant: TenantData, ticket_id: str, minutes: int, note: str
) -> Ticket:
    def apply(ticket: Ticket, now: datetime) -> Ticket:
        if ticket.customer_caused:
            raise errors.InvalidTransition("The ticket is marked customer-caused already")
        return ticket.model_copy(update={"customer_caused": True, "billable_minutes": minutes})

    return change(tenant, ticket_id, apply, actor=caller.uid, what="customer_caused", note=note)


def comment(
    caller: Principal,
    tenant: TenantData,
    ticket_id: str,
    body: NewComment,
    member: Principal | None,
) -> TicketComment:
    def apply(ticket: Ticket, now: datetime) -> Ticket:
        if ticket.status is TicketStatus.CLOSED:
            raise errors.InvalidTransition("A closed ticket takes no comments")
        return ticket

    ticket = change(
        tenant, ticket_id, apply, actor=caller.uid, what="comment", note=body.text, member=member
    )
    side = "customer" if member is not None else "supplier"
    found = TicketComment(
        id=new_id("comment"),
        author_uid=caller.uid,
        author_side=side,
        text=body.text,
        at=ticket.last_contact_at,
    )
    tenant.document(TICKETS, ticket_id, COMMENTS, found.id).set(found.model_dump())
    return found


def comments(tenant: TenantData, ticket_id: str) -> list[TicketComment]:
    found = tenant.collection(TICKETS, ticket_id, COMMENTS).get()
    return sorted((TicketComment.model_validate(s.to_dict()) for s in found), key=lambda c: c.at)


def add_attachment(
    caller: Principal, tenant: TenantData, ticket_id: str, attachment: TicketAttachment
) -> Ticket:
    def apply(ticket: Ticket, now: datetime) -> Ticket:
        if ticket.status is TicketStatus.CLOSED:
            raise errors.InvalidTransition("A closed ticket takes no attachments")
        return ticket.model_copy(update={"attachments": [*ticket.attachments, attachment]})

    return change(
        tenant, ticket_id, apply, actor=caller.uid, what="attachment", member=caller, quiet=True
    )


def mark_uploaded(
    caller: Principal, tenant: TenantData, ticket_id: str, attachment_id: str
) -> Ticket:
    def apply(ticket: Ticket, now: datetime) -> Ticket:
        if ticket.status is TicketStatus.CLOSED:
            raise errors.InvalidTransition("A closed ticket takes no attachments")
        listed = [
            a.model_copy(update={"uploaded": True}) if a.id == attachment_id else a
            for a in ticket.attachments
        ]
        return ticket.model_copy(update={"attachments": listed})

    return change(
        tenant, ticket_id, apply, actor=caller.uid, what="attachment", member=caller, quiet=True
    )
