"""The e-mails moto's SES server received, read as a person's mail client would.

Trivsel sends each e-mail as its MIME message (shared/messaging/providers.py), which
moto keeps whole; this parses them into subject, the plain-text part, the HTML part and
the recipients, for the tests, the demo seed and the benchmarks alike. A message sent
with SES's simple `send_email` (the benchmarks' raw baseline) is read as moto keeps it.
"""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default
from email.utils import getaddresses
from typing import Any


def sent_emails(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every e-mail in moto's `/moto-api/data.json`, oldest first: id, source,
    `destinations.ToAddresses`, subject, `text` (plain part), `body` (HTML part), and
    `content_type` of the whole message."""
    ses = data.get("ses", {})
    mails = [_simple(m) for m in ses.get("Message", [])]
    mails += [_parsed(m) for m in ses.get("RawMessage", [])]
    return mails


def _simple(kept: dict[str, Any]) -> dict[str, Any]:
    return {**kept, "text": None, "content_type": None}


def _content(part: Any) -> str:
    """A part's decoded text with the line breaks a reader sees (MIME's are CRLF)."""
    if not isinstance(part, EmailMessage):
        return ""
    return str(part.get_content()).replace("\r\n", "\n")


def _parsed(kept: dict[str, Any]) -> dict[str, Any]:
    message = email.message_from_string(kept["raw_data"], _class=EmailMessage, policy=default)
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    to = [address for _, address in getaddresses(message.get_all("To", []))]
    return {
        "id": kept.get("id"),
        "source": kept.get("source"),
        "destinations": {"ToAddresses": to},
        "subject": str(message["Subject"] or "").strip(),  # as unfolded by a reader
        "body": _content(html),
        "text": _content(text),
        "content_type": message.get_content_type(),
    }
