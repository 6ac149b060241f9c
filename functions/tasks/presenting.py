"""Who is asking and what happens with the answer, as the e-mail and the page say it.

The e-mail, its reminder and the page behind the link name the same things: the
organisation, the professional (first name and role), what the exercise is for, whom to
ask for help, and (on the page) the tenant's privacy notice (GDPR Art. 13). They are
worked out here once, from the tenant document and what the task kept when it was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.tasks.models import RemoteTask, Sender
from shared.messaging.models import Locale
from shared.tenants import PrivacyNotice, TenantDocument

# Role values (shared.principal.Role, not imported: the page's cold start stays small).
ROLES: dict[Locale, dict[str, str]] = {
    Locale.DA: {"professional": "fagperson", "admin": "administrator"},
    Locale.EN: {"professional": "professional", "admin": "administrator"},
}


def sender(display_name: str, role: str, email: str) -> Sender:
    """The professional as the contact person reads them: the first name only."""
    words = display_name.split()
    return Sender(first_name=words[0] if words else "", role=role, email=email)


def who(task: RemoteTask, locale: Locale) -> str:
    """ "Anna (fagperson)", or "" when the task kept no sender (sent before senders were)."""
    if task.sender is None or not task.sender.first_name:
        return ""
    role = ROLES[locale].get(task.sender.role, ROLES[locale]["professional"])
    return f"{task.sender.first_name} ({role})"


def help_address(privacy: PrivacyNotice | None, task: RemoteTask) -> str:
    """Whom to write to: the professional's work e-mail where the tenant allows it, else the
    organisation's contact; "" when the tenant has set neither."""
    if privacy is None:
        return ""
    if privacy.show_professional_email and task.sender is not None and task.sender.email:
        return task.sender.email
    return str(privacy.contact_email)


@dataclass(frozen=True)
class Notice:
    """The privacy notice as the page shows it."""

    controller: str
    purpose: str
    recipients: str
    retention: str
    policy_url: str
    contact_email: str


def notice(tenant: TenantDocument) -> Notice | None:
    privacy = tenant.privacy
    if privacy is None:
        return None
    return Notice(
        controller=privacy.controller or tenant.display_name,
        purpose=privacy.purpose,
        recipients=privacy.recipients,
        retention=privacy.retention,
        policy_url=privacy.policy_url,
        contact_email=str(privacy.contact_email),
    )


@dataclass(frozen=True)
class Asker:
    """Who sent a task, for the page (and for a refused link whose task was read)."""

    organisation: str
    who: str  # "Anna (fagperson)" or ""
    help: str  # an e-mail address or ""
    locale: Locale  # the task's language
    logo: str = ""  # the organisation's logo as a data: URI, or ""


def asker(tenant: TenantDocument, task: RemoteTask, locale: Locale, logo: str = "") -> Asker:
    help_ = help_address(tenant.privacy, task)
    return Asker(tenant.display_name, who(task, locale), help_, locale, logo)
