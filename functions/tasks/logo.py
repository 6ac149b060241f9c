"""The organisation's logo on the page behind a link (issue 21).

An administrator uploads a small PNG or JPEG (its type told by its first bytes, not by
what the upload claims); it is kept base64-encoded in one Firestore document beside the
tenant's, which the page reads in the same batch as the tenant and the task, and shown as a
data: URI, so the page still loads nothing from anywhere else (CSP `img-src data:`).
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from shared import errors
from shared.events import record_event
from shared.models import Model, Strict
from shared.principal import Principal
from shared.tenancy import TenantData

SETTINGS, LOGO = "settings", "logo"  # tenants/{t}/settings/logo
MAX_BYTES = 100_000
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


class LogoUpload(Strict):
    # Room beyond the limit's base64 (133 KB), so a logo a little too large is told so.
    content_base64: str = Field(min_length=8, max_length=2 * MAX_BYTES)


class Logo(Model):
    content_type: str
    size: int
    uploaded_at: datetime


class LogoNotImage(errors.ApiError):
    status, code = 422, "logo_not_image"
    title = "The logo must be a PNG or JPEG image (base64)"


class LogoTooLarge(errors.ApiError):
    status, code = 413, "logo_too_large"
    title = f"The logo must be at most {MAX_BYTES // 1000} KB"


def logo_ref(data: TenantData) -> Any:
    return data.document(SETTINGS, LOGO)


def image_type(content: bytes) -> str:
    """The image's type by its first bytes; anything else is refused."""
    for signature, content_type in SIGNATURES.items():
        if content.startswith(signature):
            return content_type
    raise LogoNotImage()


def upload(me: Principal, data: TenantData, body: LogoUpload) -> Logo:
    try:
        content = base64.b64decode(body.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise LogoNotImage() from None
    if len(content) > MAX_BYTES:
        raise LogoTooLarge()
    logo = Logo(content_type=image_type(content), size=len(content), uploaded_at=datetime.now(UTC))
    logo_ref(data).set({**logo.model_dump(), "data": base64.b64encode(content).decode()})
    record_event(
        data,
        actor=me.uid,
        action="tenant.logo_changed",
        subject="tenant",
        details={"content_type": logo.content_type, "size": logo.size},
    )
    return logo


def remove(me: Principal, data: TenantData) -> None:
    logo_ref(data).delete()
    record_event(data, actor=me.uid, action="tenant.logo_removed", subject="tenant")


def data_uri(snapshot: Any) -> str:
    """The stored logo as a data: URI for the page, or "" without one."""
    stored = (snapshot.to_dict() or {}) if snapshot.exists else {}
    if stored.get("content_type") not in SIGNATURES.values() or not stored.get("data"):
        return ""
    return f"data:{stored['content_type']};base64,{stored['data']}"
