"""`support_tickets`: the tenant's users and administrator file and follow tickets; the
supplier's support staff work one queue across tenants; the owner names the support lead."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.support.sla import report
from functions.support.tickets import attachments, people, store
from functions.support.tickets.models import (
    TICKETS,
    Assignment,
    AttachmentInvalid,
    CustomerCaused,
    DeskAnswer,
    DeskLead,
    DownloadAnswer,
    Escalation,
    NewAttachment,
    NewComment,
    NewTicket,
    NoSupportTerms,
    NotSupportStaff,
    QueueQuery,
    ReportQuery,
    SlaReport,
    StatusChange,
    Ticket,
    TicketComment,
    TicketCommentList,
    TicketList,
    UnknownPriority,
    UploadAnswer,
)
from shared import errors
from shared.gcp import firestore_client
from shared.http import Api
from shared.principal import Principal, Role
from shared.tenancy import TenantData

api = Api("Trivsel support tickets: first level at the administrator, second at the supplier")
MEMBERS = [Role.ADMIN, Role.PROFESSIONAL]
SUPPORT = [Role.SUPPORT]
TICKET = "/tickets/<ticket_id>"
DESK_TICKET = "/tenants/<tenant_id>/tickets/<ticket_id>"


def _support_tenant(tenant_id: str) -> TenantData:
    return TenantData(firestore_client(), tenant_id)


# -- the tenant's users ---------------------------------------------------------------------


@api.route("POST", "/tickets", summary="Write to your administrator", roles=MEMBERS, status=201)
def create_ticket(caller: Principal, tenant: TenantData, body: NewTicket) -> Ticket:
    return store.create(caller, tenant, body)


@api.route("GET", "/tickets", summary="Your tickets (the administrator: all)", roles=MEMBERS)
def list_tickets(caller: Principal, tenant: TenantData) -> TicketList:
    return TicketList(tickets=store.for_member(caller, tenant))


@api.route("GET", TICKET, summary="One ticket", roles=MEMBERS)
def get_ticket(caller: Principal, tenant: TenantData, ticket_id: str) -> Ticket:
    return store.get_for_member(caller, tenant, ticket_id)


@api.route(
    "POST",
    TICKET + "/escalate",
    summary="Escalate to the supplier with steps, consequence and priority",
    roles=[Role.ADMIN],
    refusals=[errors.InvalidTransition, NoSupportTerms, UnknownPriority],
)
def escalate_ticket(
    caller: Principal, tenant: TenantData, ticket_id: str, body: Escalation
) -> Ticket:
    return store.escalate(caller, tenant, ticket_id, body)


@api.route(
    "POST",
    TICKET + "/status",
    summary="Resolve, close, reopen, or answer a ticket waiting for you",
    roles=MEMBERS,
    refusals=[errors.InvalidTransition],
)
def member_status(
    caller: Principal, tenant: TenantData, ticket_id: str, body: StatusChange
) -> Ticket:
    return store.member_move(caller, tenant, ticket_id, body.status, body.note)


@api.route(
    "POST",
    TICKET + "/comments",
    summary="TicketComment on a ticket",
    roles=MEMBERS,
    status=201,
    refusals=[errors.InvalidTransition],
)
def member_comment(
    caller: Principal, tenant: TenantData, ticket_id: str, body: NewComment
) -> TicketComment:
    return store.comment(caller, tenant, ticket_id, body, member=caller)


@api.route("GET", TICKET + "/comments", summary="A ticket's comments", roles=MEMBERS)
def member_comments(caller: Principal, tenant: TenantData, ticket_id: str) -> TicketCommentList:
    store.get_for_member(caller, tenant, ticket_id)
    return TicketCommentList(comments=store.comments(tenant, ticket_id))


@api.route(
    "POST",
    TICKET + "/attachments",
    summary="A signed URL to upload a screenshot or log file (PNG, JPEG, text, JSON; 10 MB)",
    roles=MEMBERS,
    status=201,
    refusals=[AttachmentInvalid, errors.InvalidTransition],
)
def start_attachment(
    caller: Principal, tenant: TenantData, ticket_id: str, body: NewAttachment
) -> UploadAnswer:
    ticket = store.get_for_member(caller, tenant, ticket_id)
    attachment, answer = attachments.start(tenant, ticket, body)
    store.add_attachment(caller, tenant, ticket_id, attachment)
    return answer


@api.route(
    "POST",
    TICKET + "/attachments/<attachment_id>/uploaded",
    summary="Check the uploaded file (size and type) and list it on the ticket",
    roles=MEMBERS,
    refusals=[AttachmentInvalid, errors.InvalidTransition],
)
def finish_attachment(
    caller: Principal, tenant: TenantData, ticket_id: str, attachment_id: str
) -> Ticket:
    ticket = store.get_for_member(caller, tenant, ticket_id)
    attachment = attachments.find(ticket, attachment_id, uploaded=False)
    attachments.check_upload(tenant, ticket, attachment)
    return store.mark_uploaded(caller, tenant, ticket_id, attachment_id)


@api.route(
    "GET",
    TICKET + "/attachments/<attachment_id>",
    summary="A short-lived link to an attachment",
    roles=MEMBERS,
)
def member_attachment(
    caller: Principal, tenant: TenantData, ticket_id: str, attachment_id: str
) -> DownloadAnswer:
    ticket = store.get_for_member(caller, tenant, ticket_id)
    return attachments.download(tenant, ticket, attachment_id)


@api.route(
    "GET",
    "/tenant/sla-report",
    summary="The month's SLA report: met and breached per priority, median response",
    roles=[Role.ADMIN],
    refusals=[NoSupportTerms],
)
def tenant_report(tenant: TenantData, query: ReportQuery) -> SlaReport:
    return report.build(tenant, query.month, datetime.now(UTC))


@api.route(
    "GET",
    "/tenant/sla-report/chart",
    summary="The month's SLA report as a chart (SVG), by a short-lived link",
    roles=[Role.ADMIN],
    refusals=[NoSupportTerms],
)
def tenant_report_chart(tenant: TenantData, query: ReportQuery) -> DownloadAnswer:
    return report.chart(tenant, report.build(tenant, query.month, datetime.now(UTC)))


# -- the supplier's support staff -----------------------------------------------------------


@api.route("GET", "/queue", summary="Every escalated ticket across tenants", roles=SUPPORT)
def support_queue(query: QueueQuery) -> TicketList:
    return TicketList(tickets=store.queue(firestore_client(), query.status))


@api.route("GET", DESK_TICKET, summary="One escalated ticket", roles=SUPPORT)
def support_ticket(tenant_id: str, ticket_id: str) -> Ticket:
    return store.get_for_support(_support_tenant(tenant_id), ticket_id)


@api.route(
    "POST",
    DESK_TICKET + "/confirm",
    summary="Confirm receipt (starts the clock where the contract says so)",
    roles=SUPPORT,
    refusals=[errors.InvalidTransition],
)
def support_confirm(caller: Principal, tenant_id: str, ticket_id: str) -> Ticket:
    return store.confirm(caller, _support_tenant(tenant_id), ticket_id)


@api.route(
    "POST",
    DESK_TICKET + "/assign",
    summary="Assign a named member of the support staff",
    roles=SUPPORT,
    refusals=[errors.InvalidTransition, NotSupportStaff],
)
def support_assign(caller: Principal, tenant_id: str, ticket_id: str, body: Assignment) -> Ticket:
    return store.assign(caller, _support_tenant(tenant_id), ticket_id, body.assignee_uid)


@api.route(
    "POST",
    DESK_TICKET + "/status",
    summary="Move the ticket: assigned, in progress, waiting for customer, resolved, closed",
    roles=SUPPORT,
    refusals=[errors.InvalidTransition],
)
def support_status(caller: Principal, tenant_id: str, ticket_id: str, body: StatusChange) -> Ticket:
    return store.support_move(caller, _support_tenant(tenant_id), ticket_id, body.status, body.note)


@api.route(
    "POST",
    DESK_TICKET + "/customer-caused",
    summary="Caused by the customer: out of the SLA, the time billed by the hour",
    roles=SUPPORT,
    refusals=[errors.InvalidTransition],
)
def support_customer_caused(
    caller: Principal, tenant_id: str, ticket_id: str, body: CustomerCaused
) -> Ticket:
    tenant = _support_tenant(tenant_id)
    return store.mark_customer_caused(caller, tenant, ticket_id, body.billable_minutes, body.note)


@api.route(
    "POST",
    DESK_TICKET + "/comments",
    summary="TicketComment on an escalated ticket",
    roles=SUPPORT,
    status=201,
    refusals=[errors.InvalidTransition],
)
def support_comment(
    caller: Principal, tenant_id: str, ticket_id: str, body: NewComment
) -> TicketComment:
    return store.comment(caller, _support_tenant(tenant_id), ticket_id, body, member=None)


@api.route(
    "GET", DESK_TICKET + "/comments", summary="An escalated ticket's comments", roles=SUPPORT
)
def support_comments(tenant_id: str, ticket_id: str) -> TicketCommentList:
    tenant = _support_tenant(tenant_id)
    store.get_for_support(tenant, ticket_id)
    return TicketCommentList(comments=store.comments(tenant, ticket_id))


@api.route(
    "GET",
    DESK_TICKET + "/attachments/<attachment_id>",
    summary="A short-lived link to an attachment of an escalated ticket",
    roles=SUPPORT,
)
def support_attachment(tenant_id: str, ticket_id: str, attachment_id: str) -> DownloadAnswer:
    tenant = _support_tenant(tenant_id)
    return attachments.download(tenant, store.get_for_support(tenant, ticket_id), attachment_id)


@api.route(
    "GET",
    "/tenants/<tenant_id>/sla-report",
    summary="A tenant's SLA report for a month",
    roles=[Role.SUPPORT, Role.OWNER],
    refusals=[NoSupportTerms],
)
def support_report(tenant_id: str, query: ReportQuery) -> SlaReport:
    return report.build(_support_tenant(tenant_id), query.month, datetime.now(UTC))


# -- the owner ------------------------------------------------------------------------------


@api.route(
    "PUT",
    "/desk/lead",
    summary="Name the support lead (breach alerts by e-mail and SMS)",
    roles=[Role.OWNER],
    refusals=[NotSupportStaff],
)
def put_lead(caller: Principal, body: DeskLead) -> DeskAnswer:
    return people.set_lead(firestore_client(), body.lead_uid, datetime.now(UTC), caller.uid)


__all__ = ["TICKETS", "api"]
