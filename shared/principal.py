"""The request principal: who is calling, for which tenant, in which role.

The ID token is verified by firebase-admin (signature, expiry, audience). The
user record is then read once: it is the authority for disabled accounts,
revoked sessions and the current tenant and role, so a deactivation or a role
change takes effect on the next call rather than when the token expires.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared import errors
from shared.gcp import firebase_app, firestore_client
from shared.tenancy import TENANT_ID_PATTERN, TenantData
from shared.tenants import load_active


class Role(StrEnum):
    OWNER = "owner"  # the supplier's staff (systemejer)
    ADMIN = "admin"  # a tenant's administrator
    PROFESSIONAL = "professional"  # a tenant's professional (fagperson)


# Custom claims carried by every Trivsel ID token (see README, "Identity").
TENANT_CLAIM = "tenant_id"
ROLE_CLAIM = "role"
CLOCK_SKEW_S = 5
RECENT_SIGN_IN_S = 300


@dataclass(frozen=True)
class Principal:
    uid: str
    role: Role
    tenant_id: str | None  # None only for the system owner
    email: str | None = None
    auth_time: int = 0  # when the user last entered their password (epoch seconds)

    def require_recent_sign_in(self, within_s: int = RECENT_SIGN_IN_S) -> None:
        """Changing a password (or e-mail) needs a fresh sign-in, as Firebase advises."""
        if time.time() - self.auth_time > within_s:
            raise errors.ReauthenticationRequired()

    def owner_access(self, tenant_id: str, purpose: str) -> TenantData:
        """The system owner opens one tenant's data: explicit, and logged in that tenant."""
        from shared.events import record_event

        if self.role is not Role.OWNER:
            raise errors.Forbidden("Only the system owner opens another tenant")
        tenant = TenantData(firestore_client(), tenant_id)
        record_event(
            tenant,
            actor=self.uid,
            action="owner.access",
            subject="tenant",
            details={"purpose": purpose},
        )
        return tenant

    def tenant_data(self) -> TenantData:
        """The caller's own tenant; the owner has none and must ask explicitly."""
        if self.tenant_id is None:
            raise errors.Forbidden("This operation belongs to a tenant's users")
        return TenantData(firestore_client(), self.tenant_id)


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise errors.Unauthenticated("Send 'Authorization: Bearer <Firebase ID token>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthenticated("Send 'Authorization: Bearer <Firebase ID token>'")
    return token.strip()


def _claims_principal(
    uid: str, email: str | None, claims: dict[str, Any], auth_time: int = 0
) -> Principal:
    try:
        role = Role(claims.get(ROLE_CLAIM, ""))
    except ValueError:
        raise errors.Forbidden("The account has no Trivsel role") from None
    tenant_id = claims.get(TENANT_CLAIM)
    if role is Role.OWNER:
        return Principal(uid=uid, role=role, tenant_id=None, email=email, auth_time=auth_time)
    if not isinstance(tenant_id, str) or not TENANT_ID_PATTERN.fullmatch(tenant_id):
        raise errors.Forbidden("The account belongs to no tenant")
    return Principal(uid=uid, role=role, tenant_id=tenant_id, email=email, auth_time=auth_time)


def verify_id_token(token: str) -> Principal:
    """Verify a Firebase ID token and return the principal, or raise an ApiError."""
    from firebase_admin import auth

    app = firebase_app()
    try:
        claims = auth.verify_id_token(token, app=app, clock_skew_seconds=CLOCK_SKEW_S)
    except auth.ExpiredIdTokenError:
        raise errors.InvalidToken("The ID token has expired; refresh it") from None
    except (auth.InvalidIdTokenError, ValueError):
        raise errors.InvalidToken() from None
    _check_token_times(claims)
    uid = str(claims["uid"])
    try:
        user = auth.get_user(uid, app=app)
    except auth.UserNotFoundError:
        raise errors.InvalidToken("The account no longer exists") from None
    if user.disabled:
        raise errors.AccountDisabled(
            "Your account is deactivated. Contact your administrator to have it reactivated."
        )
    valid_after_ms = user.tokens_valid_after_timestamp or 0
    if int(claims.get("iat", 0)) * 1000 < valid_after_ms:
        raise errors.TokenRevoked()
    record_claims: dict[str, Any] = dict(user.custom_claims or {})
    # A token minted for another tenant (or before a move) never passes as this one.
    if claims.get(TENANT_CLAIM) != record_claims.get(TENANT_CLAIM):
        raise errors.InvalidToken("The ID token was not issued for this account's tenant")
    principal = _claims_principal(uid, user.email, record_claims, int(claims.get("auth_time", 0)))
    if principal.tenant_id is not None:
        sign_in = load_active(principal.tenant_data()).sign_in
        firebase = claims.get("firebase") or {}
        # Providers are project-wide: only password and the tenant's own Entra ID count.
        providers = {"password", sign_in.entra_provider_id}
        if firebase.get("sign_in_provider") not in providers:
            raise errors.Forbidden("This sign-in method is not enabled for your organisation")
        second_factor = firebase.get("sign_in_second_factor")
        if sign_in.mfa_required and not second_factor:
            raise errors.SecondFactorRequired(
                "Your organisation requires an SMS code at sign-in. Enrol a phone number "
                "and sign in again."
            )
    return principal


def _check_token_times(claims: dict[str, Any], skew_s: int = CLOCK_SKEW_S) -> None:
    """Expiry and issue time, checked here too: against the Auth emulator
    firebase-admin checks no signature and no expiry, and tests must see the
    refusal production gives."""
    now = time.time()
    if float(claims.get("exp", 0)) < now - skew_s:
        raise errors.InvalidToken("The ID token has expired; refresh it")
    if float(claims.get("iat", 0)) > now + skew_s:
        raise errors.InvalidToken("The ID token is issued in the future")
