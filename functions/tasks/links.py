"""Remote-task links: signed, single-purpose, expiring tokens (SPEC R-1).

A token names one remote task of one tenant, a link version and an expiry; it is
signed by itsdangerous (HMAC-SHA256, salted with the link's purpose) under a secret
from settings. It opens that one exercise and nothing else. Resending a task raises
its link version, so earlier links stop working.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from shared.settings import get_settings

PURPOSE = "remote_task"
# One spelling per token: anything else is not ours (and could dodge per-link limits).
TOKEN_SYNTAX = re.compile(r"^\.?[A-Za-z0-9_-]{20,400}\.[A-Za-z0-9_-]{43}$")


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


def _serializer() -> URLSafeSerializer:
    secret = get_settings().link_secret
    if secret is None:
        raise RuntimeError("TRIVSEL_LINK_SECRET is not set")
    return URLSafeSerializer(secret, salt=PURPOSE, signer_kwargs={"digest_method": hashlib.sha256})


def sign(link: Link) -> str:
    claims = {"t": link.tenant_id, "r": link.task_id, "v": link.version, "x": link.expires}
    return str(_serializer().dumps(claims))


def verify(token: str, now: float | None = None) -> Link:
    if not TOKEN_SYNTAX.fullmatch(token):
        raise BadLink("tampered")
    serializer = _serializer()
    try:
        claims = serializer.loads(token)
        # Base64 has spare bits: only the token we would have written is ours, so no other
        # spelling of it opens anything (or counts against another key of a rate limit).
        if serializer.dumps(claims) != token:
            raise BadLink("tampered")
        link = Link(
            tenant_id=str(claims["t"]),
            task_id=str(claims["r"]),
            version=int(claims["v"]),
            expires=int(claims["x"]),
        )
    except BadLink:
        raise
    except (BadSignature, ValueError, KeyError, TypeError):
        raise BadLink("tampered") from None
    if (now if now is not None else time.time()) > link.expires:
        raise BadLink("expired")
    return link
