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
from functools import lru_cache
from typing import Any


def sent_emails(data: dict[str, Any], to: str | None = None) -> list[dict[str, Any]]:
    """Every e-mail in moto's `/moto-api/data.json` (only those to `to`, when given),
    oldest first: id, source, `destinations.ToAddresses`, subject, `text` (plain part),
    `body` (HTML part), and `content_type` of the whole message."""
    ses = data.get("ses", {})
    mails = [
        _simple(m)
        for m in ses.get("Message", [])
        if to is None or to in m["destinations"]["ToAddresses"]
    ]
    # moto keeps a raw message's recipients beside it: only those for `to` are parsed,
    # and each once (a session's test polls thousands of messages many times).
    mails += [
        _parsed(m["id"], m["source"], m["raw_data"])
        for m in ses.get("RawMessage", [])
        if to is None or to in m["destinations"]
    ]
    return mails


def _simple(kept: dict[str, Any]) -> dict[str, Any]:
    return {**kept, "text": None, "content_type": None}


def _content(part: Any) -> str:
    """A part's decoded text with the line breaks a reader sees (MIME's are CRLF)."""
    if not isinstance(part, EmailMessage):
        return ""
    return str(part.get_content()).replace("\r\n", "\n")


@lru_cache(maxsize=20_000)
def _parsed_once(raw_data: str) -> tuple[tuple[str, ...], str, str, str, str]:
    message = email.message_from_string(raw_data, _class=EmailMessage, policy=default)
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    to = tuple(address for _, address in getaddresses(message.get_all("To", [])))
    subject = str(message["Subject"] or "").strip()  # as unfolded by a reader
    return to, subject, _content(html), _content(text), message.get_content_type()


def _parsed(message_id: str, source: str, raw_data: str) -> dict[str, Any]:
    to, subject, html, text, content_type = _parsed_once(raw_data)
    return {
        "id": message_id,
        "source": source,
        "destinations": {"ToAddresses": list(to)},
        "subject": subject,
        "body": html,
        "text": text,
        "content_type": content_type,
    }
