"""Who a headset is, for the few calls it makes to the API (a film's URL).

The headset signs in with its custom token and sends the ID token; we verify it and
then check what the rules check: the headset is active and valid, its session open,
its tenant active with the VR add-on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from functions.vr import store
from functions.vr.models import HeadsetRefused, VrNotLicensed
from shared import errors
from shared.contracts import AddOn
from shared.gcp import firebase_app, firestore_client
from shared.principal import CLOCK_SKEW_S, bearer_token
from shared.tenancy import TENANT_ID_PATTERN, TenantData
from shared.tenants import active_document


@dataclass(frozen=True)
class Headset:
    tenant: TenantData
    session_id: str
    headset_id: str


def verify(authorization: str | None) -> Headset:
    from firebase_admin import auth

    token = bearer_token(authorization)
    try:
        claims = auth.verify_id_token(token, app=firebase_app(), clock_skew_seconds=CLOCK_SKEW_S)
    except (auth.InvalidIdTokenError, ValueError):
        raise errors.InvalidToken() from None
    now = datetime.now(UTC)
    if float(claims.get("exp", 0)) < now.timestamp() - CLOCK_SKEW_S:
        raise errors.InvalidToken("The ID token has expired; refresh it")
    ids = [str(claims.get(k) or "") for k in ("tenant_id", "session_id", "headset_id")]
    if claims.get("vr_headset") is not True or not all(TENANT_ID_PATTERN.fullmatch(v) for v in ids):
        raise HeadsetRefused()
    tenant_id, session_id, headset_id = ids
    tenant = TenantData(firestore_client(), tenant_id)
    refs = [
        tenant.root,
        store.session_ref(tenant, session_id),
        store.headset_ref(tenant, session_id, headset_id),
    ]
    root, session, headset = firestore_client().get_all(refs)
    document = active_document(root)
    if not document.has(AddOn.VR):
        raise VrNotLicensed()
    data = headset.to_dict() if headset.exists else None
    if (
        not session.exists
        or session.get("status") != "open"
        or data is None
        or data.get("active") is not True
        or data["valid_until"] < now
    ):
        raise HeadsetRefused()
    tenant.keep({root.reference.path: root})
    return Headset(tenant, session_id, headset_id)
