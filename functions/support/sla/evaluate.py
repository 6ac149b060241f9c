"""A ticket's SLA from its events and its tenant's contract: pure, no I/O.

The contract's target for the ticket's priority says which event starts the clock
(receipt, or confirmed receipt) and which stops it (work started by a named person, or
a fix released); functions/support/sla/clock.py does the arithmetic.
"""

from __future__ import annotations

from datetime import datetime

from functions.support.sla.clock import Calendar, due_at
from functions.support.tickets.models import SlaState, Ticket
from shared.contracts import Contract
from shared.support_terms import StartEvent, StopEvent, Target

WARNING_AT = 0.75  # of the target: the assignee is warned


def calendar_of(contract: Contract) -> Calendar:
    assert contract.support is not None
    return Calendar(contract.support_hours, contract.support.closed_days)


def target_of(contract: Contract | None, priority: str) -> Target | None:
    if contract is None or contract.support is None:
        return None
    return contract.support.target(priority)


def start_event(ticket: Ticket, target: Target) -> datetime | None:
    if target.starts is StartEvent.CONFIRMED and not target.around_the_clock:
        return ticket.confirmed_at
    return ticket.received_at


def stop_event(ticket: Ticket, target: Target) -> datetime | None:
    if target.stops is StopEvent.FIX_RELEASED:
        return ticket.fix_released_at
    return ticket.work_started_at


def evaluate(ticket: Ticket, contract: Contract | None, tenant_suspended: bool) -> Ticket:
    """The ticket with its `sla` brought up to date (due and warning times, state). A
    breach once marked stays; so does an exclusion."""
    sla = ticket.sla
    if sla is None or sla.state in (SlaState.EXCLUDED, SlaState.BREACHED):
        return ticket
    target = target_of(contract, sla.priority)
    if target is None or contract is None:
        return _with(ticket, state=SlaState.EXCLUDED, excluded_because="no_target")
    if ticket.customer_caused:
        return _with(ticket, state=SlaState.EXCLUDED, excluded_because="customer_caused")
    if tenant_suspended:
        return _with(ticket, state=SlaState.EXCLUDED, excluded_because="tenant_suspended")
    started = start_event(ticket, target)
    if started is None:  # receipt not yet confirmed: no clock
        return _with(ticket, due_at=None, warn_at=None)
    calendar = calendar_of(contract)
    pauses = [(p.since, p.until) for p in ticket.pauses]
    due = due_at(target, started, calendar, pauses)
    warn = due_at(target, started, calendar, pauses, fraction=WARNING_AT)
    changes: dict[str, object] = {"due_at": due, "warn_at": warn}
    if due != sla.due_at:
        changes["version"] = sla.version + 1  # a task for the old due time is void
    stopped = stop_event(ticket, target)
    if stopped is not None and due is not None:
        if stopped <= due:
            changes |= {"state": SlaState.MET, "met_at": stopped, "near_breach": False}
        else:
            changes |= {"state": SlaState.BREACHED, "breached_at": due, "near_breach": False}
    return _with(ticket, **changes)


def _with(ticket: Ticket, **changes: object) -> Ticket:
    assert ticket.sla is not None
    if changes.get("state") is SlaState.EXCLUDED:
        changes["near_breach"] = False
    return ticket.model_copy(update={"sla": ticket.sla.model_copy(update=changes)})
