"""Who received a client's data: so a rectification or an erasure can be passed on.

GDPR Art. 19 (and the DPA) ask the controller to tell each recipient of a client's data
about a rectification, an erasure or a restriction. The platform knows two kinds, from
the records that exist: the contact persons it e-mailed (remote tasks, kept until the
client is erased, and messages, kept 30 days) and the processors that carried those
e-mails and SMS (Amazon SES, Amazon SNS). What it cannot know is listed in LIMITS.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.cloud.firestore_v1.base_query import FieldFilter

from functions.clients.models import ClientRecipients, Recipient
from shared.client_data import REMOTE_TASKS
from shared.clients import CLIENTS, load_document, open_contact
from shared.events import record_event
from shared.messaging.models import MESSAGES, Channel, MessageState
from shared.principal import Principal
from shared.tenancy import TenantData

PROCESSORS = {
    Channel.EMAIL: "Amazon Web Services EMEA SARL (Amazon SES, eu-central-1): e-mail delivery",
    Channel.SMS: "Amazon Web Services EMEA SARL (Amazon SNS, eu-central-1): SMS delivery",
}
LIMITS = (
    "Built from the platform's own records: remote tasks (kept until the client is erased) "
    "and e-mail/SMS records (deleted 30 days after sending). Not known: whom a professional "
    "told outside the platform, exports downloaded by the administrator, and e-mails a "
    "recipient forwarded. The processors are named as the channel's processor; the "
    "sub-processor list names their own sub-processors."
)


def _key(channel: Channel, address: str) -> tuple[str, str]:
    return channel.value, address.lower()


def recipients(me: Principal, data: TenantData, client_id: str) -> ClientRecipients:
    """Every address that was sent something about the client, and the processors used.

    Contact persons' addresses are personal data: the read is audited like a client read.
    """
    load_document(data, client_id)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    channels: set[Channel] = set()

    def seen(channel: Channel, address: str, name: str | None, at: datetime, source: str) -> None:
        entry = found.setdefault(
            _key(channel, address),
            {"channel": channel, "address": address, "name": name, "sources": set(), "at": []},
        )
        entry["name"] = entry["name"] or name
        entry["sources"].add(source)
        entry["at"].append(at)
        channels.add(channel)

    for snapshot in _of_client(data, REMOTE_TASKS, client_id):
        task = snapshot.to_dict() or {}
        name, address = task.get("contact_name"), task.get("contact_email") or ""
        if task.get("contact_sealed"):  # a pseudonymised client's contact person
            context = f"{REMOTE_TASKS}/{snapshot.id}"
            name, address = open_contact(data, context, str(task["contact_sealed"]))
        seen(Channel.EMAIL, address, name, task["created_at"], REMOTE_TASKS)
    for snapshot in _of_client(data, MESSAGES, client_id):
        record = snapshot.to_dict() or {}
        if record.get("state") != MessageState.SENT:  # queued, or failed: nothing arrived
            continue
        request = record["request"]
        seen(Channel(request["channel"]), request["to"], None, record["sent_at"], MESSAGES)
    record_event(
        data,
        actor=me.uid,
        action="client.recipients_read",
        subject=f"{CLIENTS}/{client_id}",
        client_id=client_id,
    )
    people = [
        Recipient(
            kind="contact_person",
            channel=e["channel"],
            address=e["address"],
            name=e["name"],
            first_at=min(e["at"]),
            last_at=max(e["at"]),
            count=len(e["at"]),
            sources=sorted(e["sources"]),
        )
        for e in sorted(found.values(), key=lambda e: (e["channel"], e["address"]))
    ]
    processors = [
        Recipient(kind="processor", channel=c, name=PROCESSORS[c], sources=[MESSAGES])
        for c in sorted(channels)
    ]
    return ClientRecipients(client_id=client_id, recipients=people + processors, limits=LIMITS)


def _of_client(data: TenantData, collection: str, client_id: str) -> Any:
    query = data.collection(collection).where(filter=FieldFilter("client_id", "==", client_id))
    return query.stream()
