"""Envelope encryption of personal data, one data key per tenant (SPEC C-2).

Each tenant has a random 256-bit data key (DEK), stored only wrapped by the key
encryption key (KEK) in `tenants/{t}/keys/client-data`. Data is sealed with
AES-256-GCM under the DEK, with the record's path as associated data, so a
ciphertext copied onto another record or tenant does not open. The KEK comes
from settings (a secret); README, "Pseudonymisation", names the Cloud KMS design.
"""

from __future__ import annotations

import base64
import contextlib
import os
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.api_core.exceptions import AlreadyExists

from shared import errors
from shared.faults import crash_point

if TYPE_CHECKING:
    from shared.tenancy import TenantData

KEYS = "keys"
CLIENT_DATA_KEY = "client-data"
NONCE_BYTES = 12


class KeyUnavailable(errors.KeyUnavailable):
    """No KEK is configured, or it does not open the tenant's data key (503 to callers)."""


def _kek() -> AESGCM:
    from shared.settings import get_settings

    raw = get_settings().client_data_kek
    if raw is None:
        raise KeyUnavailable("TRIVSEL_CLIENT_KEK is not set")
    return AESGCM(raw)


def _seal(key: AESGCM, plaintext: bytes, context: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    return base64.b64encode(nonce + key.encrypt(nonce, plaintext, context.encode())).decode()


def _open(key: AESGCM, sealed: str, context: str) -> bytes:
    raw = base64.b64decode(sealed)
    return key.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())


def tenant_key(tenant: TenantData) -> AESGCM:
    """The tenant's data key, created (and wrapped) on first use; read once per request
    (a fan-out to a class's parents seals each contact without reading it again)."""
    cached = tenant.memo.get(CLIENT_DATA_KEY)
    if isinstance(cached, AESGCM):
        return cached
    key = _tenant_key(tenant)
    tenant.memo[CLIENT_DATA_KEY] = key
    return key


def _tenant_key(tenant: TenantData) -> AESGCM:
    ref = tenant.document(KEYS, CLIENT_DATA_KEY)
    context = f"{tenant.tenant_id}/{CLIENT_DATA_KEY}"
    snapshot = ref.get()
    if not snapshot.exists:
        wrapped = _seal(_kek(), AESGCM.generate_key(bit_length=256), context)
        with contextlib.suppress(AlreadyExists):  # created concurrently: use that one
            ref.create({"wrapped": wrapped, "algorithm": "AES-256-GCM"})
        crash_point("crypto.key_created")
        snapshot = ref.get()
    try:
        return AESGCM(_open(_kek(), str(snapshot.get("wrapped")), context))
    except Exception as exc:
        raise KeyUnavailable("the tenant's data key does not open with this KEK") from exc


def seal(tenant: TenantData, plaintext: bytes, context: str) -> str:
    return _seal(tenant_key(tenant), plaintext, context)


def open_sealed(tenant: TenantData, sealed: str, context: str) -> bytes:
    return _open(tenant_key(tenant), sealed, context)
