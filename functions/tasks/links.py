"""Remote-task links: signed, single-purpose, expiring tokens (SPEC R-1).

A token names one remote task of one tenant and a link version; it is signed with
HMAC-SHA256 under a secret from settings. It opens that one exercise and nothing
else. Resending a task raises its link version, so earlier links stop working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

from shared.settings import get_settings

PURPOSE = "remote_task"


class BadLink(ValueError):
    """Tampered, malformed, for another purpose or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "tampered" or "expired"


@dataclass(frozen=True)
class Link:
    tenant_id: str
    task_id: str
    version: int
    expires: int  # epoch seconds


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _secret() -> bytes:
    secret = get_settings().link_secret
    if secret is None:
        raise RuntimeError("TRIVSEL_LINK_SECRET is not set")
    return secret


def sign(link: Link) -> str:
    payload = _b64(
        json.dumps(
            {
                "p": PURPOSE,
                "t": link.tenant_id,
                "r": link.task_id,
                "v": link.version,
                "x": link.expires,
            },
            separators=(",", ":"),
        ).encode()
    )
    mac = hmac.new(_secret(), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


TOKEN_SYNTAX = re.compile(r"^[A-Za-z0-9_-]{20,400}\.[A-Za-z0-9_-]{43}$")


def verify(token: str, now: float | None = None) -> Link:
    # One spelling per token: lenient base64 would accept variants (and dodge rate limits).
    if not TOKEN_SYNTAX.fullmatch(token):
        raise BadLink("tampered")
    try:
        payload, mac = token.split(".")
        expected = _b64(hmac.new(_secret(), payload.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, mac):
            raise BadLink("tampered")
        claims = json.loads(_unb64(payload))
        link = Link(
            tenant_id=str(claims["t"]),
            task_id=str(claims["r"]),
            version=int(claims["v"]),
            expires=int(claims["x"]),
        )
        if claims["p"] != PURPOSE:
            raise BadLink("tampered")
    except BadLink:
        raise
    except (ValueError, KeyError, TypeError):
        raise BadLink("tampered") from None
    if (now if now is not None else time.time()) > link.expires:
        raise BadLink("expired")
    return link


def fingerprint(token: str) -> str:
    """A short, non-reversible key for rate limits and logs (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]
