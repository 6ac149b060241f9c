"""The e-mails of a ticket's changes: to the reporter and the tenant's administrators,
never to whoever made the change. Danish by default, each in the recipient's locale."""

from __future__ import annotations

from pathlib import Path

from functions.support.tickets import people
from functions.support.tickets.models import Ticket, TicketStatus
from shared.messaging import outbox
from shared.templating import MailTemplates
from shared.tenancy import TenantData

MAIL = MailTemplates(Path(__file__).parent.parent / "templates")

STATUS = {
    "da": {
        TicketStatus.NEW: "ny",
        TicketStatus.ASSIGNED: "tildelt",
        TicketStatus.IN_PROGRESS: "under behandling",
        TicketStatus.WAITING: "afventer jer",
        TicketStatus.RESOLVED: "løst",
        TicketStatus.CLOSED: "lukket",
    },
    "en": {
        TicketStatus.NEW: "new",
        TicketStatus.ASSIGNED: "assigned",
        TicketStatus.IN_PROGRESS: "in progress",
        TicketStatus.WAITING: "waiting for you",
        TicketStatus.RESOLVED: "resolved",
        TicketStatus.CLOSED: "closed",
    },
}
CHANGES = {
    "da": {
        "created": "sagen er oprettet",
        "escalated": "sagen er sendt videre til leverandørens support",
        "confirmed": "leverandøren har bekræftet modtagelsen",
        "assigned": "sagen har fået en ansvarlig",
        "status": "sagens status er ændret",
        "comment": "der er en ny kommentar",
        "customer_caused": "sagen er registreret som forårsaget hos kunden og faktureres",
    },
    "en": {
        "created": "the ticket was created",
        "escalated": "the ticket was escalated to the supplier's support",
        "confirmed": "the supplier confirmed receipt",
        "assigned": "the ticket was assigned",
        "status": "the ticket's status changed",
        "comment": "there is a new comment",
        "customer_caused": "the ticket was recorded as caused by the customer and is billed",
    },
}


def tell(
    tenant: TenantData,
    ticket: Ticket,
    change: str,
    change_id: str,
    actor: str,
    note: str | None = None,
) -> list[str]:
    """E-mail the reporter and the administrators (but not `actor`) about `change`; the
    message ids derive from the change, so a retried request sends nothing more."""
    recipients: dict[str, people.Person] = {}
    reporter = people.member(tenant, ticket.reporter_uid)
    for person in [*([reporter] if reporter else []), *people.administrators(tenant)]:
        if person.uid != actor and person.email:
            recipients.setdefault(person.uid, person)
    name = str((tenant.root.get().to_dict() or {}).get("display_name") or tenant.tenant_id)
    sent = []
    for person in recipients.values():
        locale = person.locale.value
        content = MAIL.render(
            "ticket_changed",
            locale,
            {
                "title": ticket.title,
                "tenant_name": name,
                "change": CHANGES[locale][change],
                "status": STATUS[locale][ticket.status],
                "note": note or "",
                "ticket_id": ticket.id,
            },
        )
        message_id = f"ticket-{ticket.id}-{change_id}-{person.uid}"
        outbox.email(
            tenant,
            message_id=message_id,
            to=person.email,
            kind="ticket_changed",
            content=content,
            locale=person.locale,
        )
        sent.append(message_id)
    return sent
