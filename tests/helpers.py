"""What tests do against the stack: tenants, users, tokens, calls, and reading moto."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests

from emulators.moto_mail import sent_emails
from shared.principal import ROLE_CLAIM, TENANT_CLAIM, Role
from shared.tenants import TenantStatus

T = TypeVar("T")
PASSWORD = "Test-password-2026"


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def functions_url(path: str) -> str:
    return os.environ["TRIVSEL_FUNCTIONS_URL"] + path


def auth_url(path: str) -> str:
    return f"http://{os.environ['FIREBASE_AUTH_EMULATOR_HOST']}{path}"


def moto_url(path: str) -> str:
    return os.environ["AWS_ENDPOINT_URL"] + path


def wait_until(check: Callable[[], T], timeout: float = 20.0, interval: float = 0.1) -> T:
    """Poll until check() returns something truthy; fail with the last value."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {value!r})")
        time.sleep(interval)
        value = check()
    return value


def create_tenant(
    tenant_id: str | None = None,
    *,
    status: TenantStatus = TenantStatus.ACTIVE,
    name: str = "Testkommune",
) -> str:
    from shared.gcp import firestore_client
    from shared.tenancy import TENANTS

    tenant_id = tenant_id or unique("t")
    today = datetime.now(UTC).date()
    # A licence as valid as none (all seats, no focus areas or add-ons), so the owner's
    # tenant list, which validates every tenant document, reads this one too.
    licence = {
        "seats": None,
        "period_start": (today - timedelta(days=1)).isoformat(),
        "period_end": (today + timedelta(days=364)).isoformat(),
    }
    firestore_client().collection(TENANTS).document(tenant_id).set(
        {
            "display_name": name,
            "status": status.value,
            "created_at": datetime.now(UTC),
            "licence": licence,
            "privacy": {  # as an administrator sets it (tests.accounts.PRIVACY_NOTICE)
                "controller": "",
                "purpose": "Svaret bruges i arbejdet med barnets trivsel.",
                "recipients": "Den fagperson, der sendte opgaven.",
                "retention": "Svaret gemmes, så længe sagen er åben.",
                "policy_url": "https://kommune.example.dk/privatliv",
                "contact_email": "dpo@kommune.example.dk",
                "show_professional_email": False,
            },
        }
    )
    return tenant_id


def set_tenant_status(tenant_id: str, status: TenantStatus) -> None:
    from shared.gcp import firestore_client
    from shared.tenancy import TENANTS

    firestore_client().collection(TENANTS).document(tenant_id).update({"status": status.value})


@dataclass(frozen=True)
class User:
    uid: str
    email: str
    tenant_id: str | None
    role: Role

    def sign_in(self) -> str:
        return sign_in(self.email, PASSWORD)


def create_user(tenant_id: str | None, role: Role = Role.PROFESSIONAL) -> User:
    from firebase_admin import auth

    from shared.gcp import firebase_app
    from shared.members import member_ref, register_staff

    email = f"{unique('u')}@example.dk"
    record = auth.create_user(email=email, password=PASSWORD, app=firebase_app())
    claims: dict[str, Any] = {ROLE_CLAIM: role.value}
    if tenant_id is not None:
        claims[TENANT_CLAIM] = tenant_id
    auth.set_custom_user_claims(record.uid, claims, app=firebase_app())
    if role in (Role.OWNER, Role.SUPPORT):
        register_staff(record.uid, email, granted_by="tests", role=role.value)
    else:  # the member record a real user gets from auth_api
        member_ref(tenant_id, record.uid).set(
            {"email": email, "role": role.value, "status": "active", "display_name": "Test"}
        )
    return User(record.uid, email, tenant_id, role)


def sign_in(email: str, password: str) -> str:
    reply = requests.post(
        auth_url("/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=any"),
        json={"email": email, "password": password, "returnSecureToken": True},
        timeout=10,
    )
    reply.raise_for_status()
    return str(reply.json()["idToken"])


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def token_payload(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def unsigned_token(claims: dict[str, Any]) -> str:
    """A JWT with alg 'none', as the emulators accept (and production never would)."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def forge(token: str, **changes: Any) -> str:
    """The same token with some claims changed (its signature, if any, dropped)."""
    return unsigned_token({**token_payload(token), **changes})


def rules_claims(uid: str, tenant_id: str | None, role: str) -> dict[str, Any]:
    now = int(time.time())
    project = os.environ["GOOGLE_CLOUD_PROJECT"]
    claims: dict[str, Any] = {
        "iss": f"https://securetoken.google.com/{project}",
        "aud": project,
        "sub": uid,
        "user_id": uid,
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        ROLE_CLAIM: role,
        "firebase": {"sign_in_provider": "password", "identities": {}},
    }
    if tenant_id is not None:
        claims[TENANT_CLAIM] = tenant_id
    return claims


def call(method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, functions_url(path), headers=headers, timeout=30, **kwargs)


def moto_data() -> dict[str, Any]:
    reply = requests.get(moto_url("/moto-api/data.json"), timeout=10)
    reply.raise_for_status()
    return dict(reply.json())


def emails_to(address: str) -> list[dict[str, Any]]:
    """The e-mails sent to `address`, parsed (`emulators/moto_mail.py`): subject, `text`
    and `body` (the HTML part)."""
    return sent_emails(moto_data(), to=address)


def sms_to(number: str) -> list[dict[str, Any]]:
    return [m for m in moto_data()["sns"]["SMS"] if m["phone_number"] == number]
