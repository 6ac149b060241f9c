"""The monthly SLA report per tenant (SPEC S-3): met and breached per priority and the
median response, as JSON and as an SVG chart the administrator opens by a signed link.
pygal is imported only when a chart is drawn, so no cold start pays for it."""

from __future__ import annotations

import statistics
from datetime import datetime

from google.cloud.firestore_v1.base_query import FieldFilter

from functions.support.sla.evaluate import start_event, stop_event
from functions.support.tickets.models import (
    TICKETS,
    DownloadAnswer,
    NoSupportTerms,
    PriorityReport,
    SlaReport,
    SlaState,
    Ticket,
)
from shared import contracts, storage
from shared.subscriptions import COPENHAGEN
from shared.tenancy import TenantData


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=COPENHAGEN)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=COPENHAGEN)
    return start, end


def state_at(ticket: Ticket, now: datetime) -> SlaState:
    """The SLA state as of `now`: a running clock past its due time is breached even
    before its alert has been delivered."""
    assert ticket.sla is not None
    sla = ticket.sla
    if sla.state is SlaState.RUNNING and sla.due_at is not None and sla.due_at <= now:
        return SlaState.BREACHED
    return sla.state


def build(tenant: TenantData, month: str, now: datetime) -> SlaReport:
    contract = contracts.load(tenant)
    if contract is None or contract.support is None:
        raise NoSupportTerms()
    start, end = month_bounds(month)
    query = tenant.collection(TICKETS).where(filter=FieldFilter("level", "==", "second"))
    tickets = [Ticket.model_validate(s.to_dict()) for s in query.get()]
    tickets = [t for t in tickets if t.sla and t.received_at and start <= t.received_at < end]
    rows = []
    for target in contract.support.targets:
        mine = [t for t in tickets if t.sla and t.sla.priority == target.priority]
        states = [state_at(t, now) for t in mine]
        responses = []
        for ticket in mine:
            began, stopped = start_event(ticket, target), stop_event(ticket, target)
            if began is not None and stopped is not None:
                responses.append((stopped - began).total_seconds() / 60)
        rows.append(
            PriorityReport(
                priority=target.priority,
                label=target.label,
                met=states.count(SlaState.MET),
                breached=states.count(SlaState.BREACHED),
                running=states.count(SlaState.RUNNING),
                excluded=states.count(SlaState.EXCLUDED),
                median_response_minutes=statistics.median(responses) if responses else None,
            )
        )
    return SlaReport(
        tenant_id=tenant.tenant_id,
        month=month,
        priorities=rows,
        billable_minutes=sum(t.billable_minutes for t in tickets if t.customer_caused),
        generated_at=now,
    )


def render_svg(report: SlaReport) -> bytes:
    import pygal  # type: ignore[import-untyped]  # only when a chart is drawn

    chart = pygal.StackedBar(height=400, width=800, legend_at_bottom=True)
    chart.title = f"Servicemål {report.month}: {report.tenant_id}"
    chart.x_labels = [row.priority for row in report.priorities]
    chart.add("Overholdt", [row.met for row in report.priorities])
    chart.add("Brudt", [row.breached for row in report.priorities])
    chart.add("Igangværende", [row.running for row in report.priorities])
    rendered: bytes = chart.render()
    return rendered


def chart(tenant: TenantData, report: SlaReport) -> DownloadAnswer:
    name = storage.tenant_object(tenant, "sla_reports", report.month)  # served as SVG
    blob = storage.uploads_bucket().blob(name)
    blob.upload_from_string(render_svg(report), content_type="image/svg+xml")
    return DownloadAnswer(url=storage.signed_download(name))
