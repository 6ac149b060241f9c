"""The request principal: who is calling, for which tenant, in which role.

The ID token is verified by firebase-admin (signature, expiry, audience; its public
keys are cached). Then one Firestore round trip reads, together, the caller's member
record (shared/members.py), their tenant's document and any documents the route asked
for: the record is the authority for deactivated accounts, revoked sessions and the
current role, and the tenant's status refuses every user of a suspended or ended
tenant, on the very next call. No Auth admin call is made on the request path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from shared import errors
from shared.gcp import firebase_app, firestore_client
from shared.members import (
    MemberStatus,
    certification_pending,
    member_ref,
    sessions_ended_at,
    staff_access_lapsed,
)
from shared.subprocessors import MEMO as SUBPROCESSOR_MEMO
from shared.tenancy import TENANT_ID_PATTERN, TenantData
from shared.tenants import TenantDocument, active_document


class Role(StrEnum):
    OWNER = "owner"  # the supplier's staff (systemejer)
    ADMIN = "admin"  # a tenant's administrator
    PROFESSIONAL = "professional"  # a tenant's professional (fagperson)
    # The supplier's support staff (second level): tickets across tenants, never a tenant's
    # client data. A staff record like the owner's (granted, reviewed, revoked).
    SUPPORT = "support"


STAFF_ROLES = frozenset({Role.OWNER, Role.SUPPORT})  # the supplier's people: no tenant


# Custom claims carried by every Trivsel ID token (see README, "Identity").
TENANT_CLAIM = "tenant_id"
ROLE_CLAIM = "role"
CLOCK_SKEW_S = 5
RECENT_SIGN_IN_S = 300
# What a route may read in the same round trip as the caller's authority.
Prefetch = Callable[[TenantData], list[Any]]


@dataclass(frozen=True)
class Principal:
    uid: str
    role: Role
    tenant_id: str | None  # None only for the system owner
    email: str | None = None
    auth_time: int = 0  # when the user last entered their password (epoch seconds)
    # The caller's tenant as read with their record (None for the owner).
    tenant: TenantDocument | None = field(default=None, compare=False, repr=False)
    _data: TenantData | None = field(default=None, compare=False, repr=False)

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
        """The caller's own tenant (with what was read for the request); the owner has none
        and must ask explicitly."""
        if self.tenant_id is None:
            raise errors.Forbidden("This operation belongs to a tenant's users")
        return self._data or TenantData(firestore_client(), self.tenant_id)


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise errors.Unauthenticated("Send 'Authorization: Bearer <Firebase ID token>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthenticated("Send 'Authorization: Bearer <Firebase ID token>'")
    return token.strip()


def _role(value: Any) -> Role:
    try:
        return Role(value or "")
    except ValueError:
        raise errors.Forbidden("The account has no Trivsel role") from None


def _token_claims(token: str) -> dict[str, Any]:
    from firebase_admin import auth

    try:
        claims = auth.verify_id_token(token, app=firebase_app(), clock_skew_seconds=CLOCK_SKEW_S)
    except auth.ExpiredIdTokenError:
        raise errors.InvalidToken("The ID token has expired; refresh it") from None
    except (auth.InvalidIdTokenError, ValueError):
        raise errors.InvalidToken() from None
    _check_token_times(claims)
    return dict(claims)


def verify_id_token(
    token: str,
    prefetch: Prefetch | None = None,
    *,
    allow_pending: bool = False,
    allow_inactive: bool = False,
    allow_uncertified: bool = False,
) -> Principal:
    """Verify a Firebase ID token and return the principal, or raise an ApiError.

    `prefetch` names documents of the caller's tenant that the route will read; they are
    read in the same round trip and kept on the principal's TenantData. A user of a
    pending tenant (no DPA yet) is admitted only when `allow_pending` (the Api says); a
    user the licence requires certified, and who is not, only when `allow_uncertified`
    (the route says: sign-in, own profile, the certification course).
    """
    claims = _token_claims(token)
    uid = str(claims["uid"])
    tenant_id = claims.get(TENANT_CLAIM)
    # The token must say it is one of ours; the member record then says which role.
    if _role(claims.get(ROLE_CLAIM)) in STAFF_ROLES:
        tenant_id = None
    elif not isinstance(tenant_id, str) or not TENANT_ID_PATTERN.fullmatch(tenant_id):
        raise errors.Forbidden("The account belongs to no tenant")
    data = TenantData(firestore_client(), tenant_id) if tenant_id is not None else None
    record_ref = member_ref(tenant_id, uid)
    refs = [record_ref]
    if data is not None:
        refs += [data.root, *(prefetch(data) if prefetch else [])]
    found = {s.reference.path: s for s in firestore_client().get_all(refs)}
    member = found[record_ref.path]
    if not member.exists:  # never a member of this tenant (or a token made for another)
        raise errors.InvalidToken("The ID token is not for an account of this organisation")
    record = member.to_dict() or {}
    if record.get("status") != MemberStatus.ACTIVE:
        raise errors.AccountDisabled(
            "Your account is deactivated. Contact your administrator to have it reactivated."
        )
    if float(claims.get("iat", 0)) < sessions_ended_at(record):
        raise errors.TokenRevoked()
    role = _role(record.get("role"))  # the record's role: a change applies at once
    email = claims.get("email")
    auth_time = int(claims.get("auth_time", 0))
    if data is None:
        if role not in STAFF_ROLES:
            raise errors.Forbidden("The account has no Trivsel role")
        if staff_access_lapsed(record, datetime.now(UTC)):
            raise errors.StaffReviewOverdue(
                "Your owner access was not reviewed within 6 months; another owner must "
                "review it (POST /staff/{uid}/review)"
            )
        return Principal(uid=uid, role=role, tenant_id=None, email=email, auth_time=auth_time)
    if role in STAFF_ROLES:
        raise errors.Forbidden("A tenant's account cannot act as the supplier's staff")
    tenant = active_document(found[data.root.path], allow_pending, allow_inactive)
    data.memo[SUBPROCESSOR_MEMO] = tenant  # the sub-processor gate reads its approvals here
    data.keep({path: s for path, s in found.items() if path not in (record_ref.path,)})
    _check_sign_in(tenant, claims)
    requirement = tenant.licence.certification if tenant.licence else None
    if not allow_uncertified and certification_pending(
        record, requirement, uid, role.value, datetime.now(UTC)
    ):
        raise errors.CertificationRequired(
            "Your organisation requires the certification course before client work: "
            "GET /certification of the identity API"
        )
    return Principal(
        uid=uid,
        role=role,
        tenant_id=tenant_id,
        email=email,
        auth_time=auth_time,
        tenant=tenant,
        _data=data,
    )


def _check_sign_in(tenant: TenantDocument, claims: dict[str, Any]) -> None:
    firebase = claims.get("firebase") or {}
    # Providers are project-wide: only password and the tenant's own Entra ID or SAML count.
    saml = tenant.sign_in.saml
    providers = {"password", tenant.sign_in.entra_provider_id, saml.provider_id if saml else None}
    if firebase.get("sign_in_provider") not in providers:
        raise errors.Forbidden("This sign-in method is not enabled for your organisation")
    if tenant.sign_in.mfa_required and not firebase.get("sign_in_second_factor"):
        raise errors.SecondFactorRequired(
            "Your organisation requires an SMS code at sign-in. Enrol a phone number "
            "and sign in again."
        )


def _check_token_times(claims: dict[str, Any], skew_s: int = CLOCK_SKEW_S) -> None:
    """Expiry and issue time, checked here too: against the Auth emulator
    firebase-admin checks no signature and no expiry, and tests must see the
    refusal production gives."""
    now = time.time()
    if float(claims.get("exp", 0)) < now - skew_s:
        raise errors.InvalidToken("The ID token has expired; refresh it")
    if float(claims.get("iat", 0)) > now + skew_s:
        raise errors.InvalidToken("The ID token is issued in the future")
