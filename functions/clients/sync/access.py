"""Who sent a batch whose access was closed while they were offline (issue 16).

A user deactivated or removed, or whose tenant was suspended or terminated, cannot get
a fresh ID token (Firebase refuses a disabled account's refresh), so after hours offline
their app sends the token it has: expired, perhaps revoked. For the quarantine only, we
accept a token whose *signature* verifies (Google's Firebase certificates, our project as
audience and issuer) up to TOLERANCE after its expiry, and only to learn who sent it. It
then must name a tenant and a member whose access is closed *now*: the batch is held for
the administrator and the caller gets the refusal (with "sign out"). Nothing is applied
or read for them on this path, and an active user's expired token is refused as always
(`invalid_token`: refresh it), so this path opens nothing an ordinary token does not.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from shared import errors
from shared.gcp import firebase_app, firestore_client
from shared.members import MemberStatus, member_ref
from shared.principal import CLOCK_SKEW_S, ROLE_CLAIM, TENANT_CLAIM
from shared.settings import get_settings
from shared.tenancy import TENANT_ID_PATTERN, TenantData
from shared.tenants import active_document

TOLERANCE_S = 7 * 24 * 3600  # a week offline; the quarantine keeps a batch 30 days
FIREBASE_ISSUER = "https://securetoken.google.com/"
# The refusals after which the app may be a user whose access closed while offline.
MAYBE_CLOSED = (
    errors.AccountDisabled,
    errors.TenantSuspended,
    errors.TenantTerminated,
    errors.InvalidToken,
    errors.TokenRevoked,
)

# What POST /sync, which checks its token itself, can refuse with (as every route does).
TOKEN_REFUSALS = (
    *MAYBE_CLOSED,
    errors.Unauthenticated,
    errors.TenantRestoring,
    errors.DpaMissing,
    errors.CertificationRequired,  # not closed: the batch applies once they are certified
    errors.SecondFactorRequired,
    errors.Forbidden,
)


@dataclass(frozen=True)
class ClosedAccess:
    uid: str
    tenant_id: str
    refusal: errors.ApiError  # what the caller is told: account_disabled, tenant_suspended...


def signed_claims(token: str, now: float | None = None) -> dict[str, Any] | None:
    """The claims of a token Firebase signed for this project, expired at most TOLERANCE_S
    ago; None for anything else."""
    settings = get_settings()
    now = time.time() if now is None else now
    try:
        if settings.uses_emulators:  # the Auth emulator signs nothing; firebase-admin knows
            from firebase_admin import auth

            claims = dict(auth.verify_id_token(token, app=firebase_app()))
        else:
            import google.auth.transport.requests
            from google.oauth2 import id_token

            claims = dict(
                id_token.verify_firebase_token(
                    token,
                    google.auth.transport.requests.Request(),  # type: ignore[no-untyped-call]
                    audience=settings.project_id,
                    clock_skew_in_seconds=TOLERANCE_S,
                )
            )
            if claims.get("iss") != FIREBASE_ISSUER + settings.project_id:
                return None
    except Exception:  # forged, malformed, another project's: nobody we know
        return None
    if float(claims.get("exp", 0)) < now - TOLERANCE_S:
        return None
    if float(claims.get("iat", 0)) > now + CLOCK_SKEW_S:
        return None
    return claims


def closed_access(token: str) -> ClosedAccess | None:
    """The sender, if the token is Firebase's and their access is closed now; else None."""
    claims = signed_claims(token)
    if claims is None:
        return None
    uid = str(claims.get("uid") or claims.get("sub") or "")
    tenant_id = claims.get(TENANT_CLAIM)
    if claims.get(ROLE_CLAIM) not in ("admin", "professional"):
        return None
    if not isinstance(tenant_id, str) or not TENANT_ID_PATTERN.fullmatch(tenant_id) or not uid:
        return None
    data = TenantData(firestore_client(), tenant_id)
    try:
        record_ref = member_ref(tenant_id, uid)
    except Exception:  # not a uid a path can hold
        return None
    found = {s.reference.path: s for s in firestore_client().get_all([record_ref, data.root])}
    tenant = found[data.root.path]
    if not tenant.exists:
        return None
    member = found[record_ref.path]
    record = member.to_dict() if member.exists else None
    if record is None or record.get("status") != MemberStatus.ACTIVE:  # removed, deactivated
        refusal: errors.ApiError = errors.AccountDisabled(
            "Your account is deactivated. Sign out; your offline records are kept for your "
            "administrator."
        )
        return ClosedAccess(uid, tenant_id, refusal)
    try:
        active_document(tenant)
    except (errors.TenantSuspended, errors.TenantTerminated) as refused:
        return ClosedAccess(uid, tenant_id, refused)
    except errors.ApiError:  # pending, restoring: not closed, the app retries later
        return None
    return None
