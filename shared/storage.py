"""Cloud Storage: tenant-prefixed object names and v4 signed URLs.

Objects of a tenant live under `<tenant id>/` in the uploads bucket, so a signed
URL for one tenant can never name another tenant's object. In production URLs
are signed through IAM with the function's service account; against
fake-gcs-server (which does not check signatures) with a throwaway local key.
Every signed URL lives SIGNED_URL_LIFETIME: long enough to upload over a school's
network, short enough that a leaked URL is soon worthless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from shared.gcp import storage_client
from shared.settings import get_settings
from shared.tenancy import TenantData, check_segments

SIGNED_URL_LIFETIME = timedelta(minutes=15)


def uploads_bucket() -> Any:
    """The bucket of tenants' files (profile pictures, client files, catalogue documents)."""
    return storage_client().bucket(get_settings().uploads_bucket)


@dataclass(frozen=True)
class SignedUpload:
    url: str
    headers: dict[str, str]  # the client sends these with its PUT
    expires_at: datetime


def signed_upload(name: str, content_type: str, size: int) -> SignedUpload:
    """A PUT URL for one object of at most `size` bytes of `content_type`."""
    limit = {"x-goog-content-length-range": f"1,{size}"}
    url = signed_url(
        get_settings().uploads_bucket,
        name,
        method="PUT",
        expires=SIGNED_URL_LIFETIME,
        content_type=content_type,
        headers=limit,
    )
    return SignedUpload(
        url=url,
        headers={"Content-Type": content_type, **limit},
        expires_at=datetime.now(UTC) + SIGNED_URL_LIFETIME,
    )


def signed_download(name: str) -> str:
    return signed_url(
        get_settings().uploads_bucket, name, method="GET", expires=SIGNED_URL_LIFETIME
    )


def tenant_object(tenant: TenantData, *segments: str) -> str:
    return "/".join((tenant.tenant_id, *check_segments(segments)))


@lru_cache(maxsize=1)
def _local_signer() -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from google.oauth2 import service_account

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
        {
            "type": "service_account",
            "client_email": "local-signer@localhost",
            "private_key": pem,
            "token_uri": "http://127.0.0.1/token",
        }
    )


def signed_url(
    bucket: str,
    name: str,
    *,
    method: str,
    expires: timedelta,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    settings = get_settings()
    blob = storage_client().bucket(bucket).blob(name)
    options: dict[str, Any] = {
        "version": "v4",
        "method": method,
        "expiration": expires,
        "content_type": content_type,
        "headers": headers,
    }
    if settings.storage_emulator_host:
        options |= {
            "credentials": _local_signer(),
            "api_access_endpoint": settings.storage_emulator_host,
        }
    else:
        import google.auth
        import google.auth.transport.requests

        # Signed through IAM signBlob: a function has no private key of its own.
        credentials: Any = google.auth.default()[0]
        credentials.refresh(google.auth.transport.requests.Request())
        options |= {
            "service_account_email": credentials.service_account_email,
            "access_token": credentials.token,
        }
    return str(blob.generate_signed_url(**options))
