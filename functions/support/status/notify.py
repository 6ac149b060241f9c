"""The e-mails of the status page: each affected tenant's administrators when an incident
opens and at each update; the contract's operations contacts and the administrators
(`notice_recipients`, OPERATIONS) when maintenance is announced. Danish by default, in
each recipient's locale; message ids derive from what they announce, so a retry sends
nothing twice."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from functions.support.status.models import Incident, IncidentUpdate, Maintenance
from functions.support.tickets import people
from shared.contracts import NoticeTopic, notice_recipients
from shared.messaging import outbox
from shared.settings import get_settings
from shared.subscriptions import COPENHAGEN
from shared.templating import MailTemplates
from shared.tenancy import TenantData

MAIL = MailTemplates(Path(__file__).with_name("templates"))

STATUS = {
    "da": {
        "investigating": "undersøges",
        "identified": "årsagen er fundet",
        "monitoring": "overvåges",
        "resolved": "løst",
    },
    "en": {
        "investigating": "investigating",
        "identified": "identified",
        "monitoring": "monitoring",
        "resolved": "resolved",
    },
}


def moment(value: datetime | None, locale: str) -> str:
    """A moment as Copenhagen wall-clock time: "10. juni 2026 14.30"."""
    if value is None:
        return ""
    from babel.dates import format_datetime  # imported when needed: cold-start time

    local = value.astimezone(COPENHAGEN)
    return format_datetime(
        local,
        "d. MMMM y HH:mm" if locale == "da" else "MMMM d, y HH:mm",
        locale=locale,
        tzinfo=COPENHAGEN,
    )


def _digest(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()[:16]


def incident(tenants: list[TenantData], found: Incident, update: IncidentUpdate) -> list[str]:
    sent = []
    for tenant in tenants:
        for person in people.administrators(tenant):
            if not person.email:
                continue
            locale = person.locale.value
            content = MAIL.render(
                "status_incident",
                locale,
                {
                    "title": found.title.in_(locale),
                    "status": STATUS[locale][update.status.value],
                    "message": update.message.in_(locale),
                    "opened": "1" if update.id == "1" else "",
                    "expected": moment(found.expected_resolution_at, locale),
                    "cause": found.cause.in_(locale) if found.cause else "",
                    "prevention": found.prevention.in_(locale) if found.prevention else "",
                    "link": get_settings().status_page_url,
                },
            )
            message_id = f"status-{found.id}-{update.id}-{person.uid}"
            outbox.email(
                tenant,
                message_id=message_id,
                to=person.email,
                kind="status_incident",
                content=content,
                locale=person.locale,
            )
            sent.append(message_id)
    return sent


def maintenance(tenants: list[TenantData], found: Maintenance) -> list[str]:
    sent = []
    for tenant in tenants:
        for person in notice_recipients(tenant, NoticeTopic.OPERATIONS):
            locale = person.locale.value
            content = MAIL.render(
                "status_maintenance",
                locale,
                {
                    "title": found.title.in_(locale),
                    "description": found.description.in_(locale),
                    "starts": moment(found.starts_at, locale),
                    "ends": moment(found.ends_at, locale),
                    "emergency": found.emergency_reason or "",
                    "link": get_settings().status_page_url,
                },
            )
            message_id = f"status-{found.id}-{_digest(person.email)}"
            outbox.email(
                tenant,
                message_id=message_id,
                to=person.email,
                kind="status_maintenance",
                content=content,
                locale=person.locale,
            )
            sent.append(message_id)
    return sent
