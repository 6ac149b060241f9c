"""Putting a tenant's Auth accounts back as a backup holds them (in place only).

An account holds its e-mail, claims, disabled flag and enrolled SMS second factors.
firebase-admin for Python has no multi-factor API, so the factors are read from the
account's raw Identity Toolkit record and written with the Identity Toolkit's
`accounts:update` (`mfa.enrollments`), which the Auth emulator honours as production
does (README "Backups"). An account created again (its user was deleted since the
backup) has no password: its user gets a Danish (or the tenant's language) e-mail with
Firebase's one-time link to choose one, through the messaging outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firebase_admin import auth

from functions.support.maintenance.backups import snapshot
from shared.faults import crash_point
from shared.gcp import firebase_app
from shared.messaging import outbox
from shared.retrying import auth_http_timeout_s
from shared.settings import get_settings
from shared.templating import MailTemplates
from shared.tenancy import TenantData
from shared.tenants import load

MAIL = MailTemplates(Path(__file__).parent.parent.parent / "templates")


@dataclass
class AccountsRestored:
    changed: int = 0  # accounts written or deleted
    created: list[dict[str, Any]] = field(default_factory=list)  # gone since, made again


def _nobody(_uid: str) -> None:
    return None


def restore_accounts(
    tenant_id: str,
    backed_up: list[dict[str, Any]],
    on_create: Callable[[str], None] = _nobody,
) -> AccountsRestored:
    """Every backed-up account as it was (created again if gone: same uid, no password,
    so its user sets one through the reset link); accounts of the tenant that the backup
    does not hold are deleted."""
    app = firebase_app()
    wanted = {account["uid"]: account for account in backed_up}
    done = AccountsRestored()
    for account in snapshot.accounts(app, tenant_id):
        if account["uid"] not in wanted:
            auth.delete_user(account["uid"], app=app)
            done.changed += 1
        elif account != wanted[account["uid"]]:
            _put(app, wanted[account["uid"]], exists=True)
            done.changed += 1
        wanted.pop(account["uid"], None)
    for account in wanted.values():
        try:
            auth.get_user(account["uid"], app=app)
            _put(app, account, exists=True)  # an account moved to another tenant's claim
        except auth.UserNotFoundError:
            on_create(account["uid"])  # first: a crash right after must still send the mail
            _put(app, account, exists=False)
            done.created.append(account)
        done.changed += 1
    return done


def _put(app: Any, account: dict[str, Any], *, exists: bool) -> None:
    fields = {
        "email": account["email"],
        "email_verified": account["email_verified"],
        "disabled": account["disabled"],
    }
    for name in ("display_name", "phone_number"):
        value = account[name]
        fields[name] = value if value is not None or not exists else auth.DELETE_ATTRIBUTE
    if exists:
        auth.update_user(account["uid"], app=app, **fields)
    else:
        auth.create_user(uid=account["uid"], app=app, **{k: v for k, v in fields.items() if v})
    auth.set_custom_user_claims(account["uid"], account["custom_claims"], app=app)
    factors = account.get("mfa", [])  # a backup from before factors were kept has none
    if factors or exists:
        set_second_factors(account["uid"], factors)
    crash_point("restore.account.put")


def set_second_factors(uid: str, factors: list[dict[str, Any]]) -> None:
    """Enrol exactly these SMS factors (none: withdraw every factor)."""
    enrollments = [
        {
            "mfaEnrollmentId": f["enrollment_id"],
            "phoneInfo": f["phone"],
            "displayName": f.get("display_name") or "",
            "enrolledAt": f["enrolled_at"],
        }
        for f in factors
    ]
    _identity_toolkit("accounts:update", {"localId": uid, "mfa": {"enrollments": enrollments}})


def _identity_toolkit(method: str, body: dict[str, Any]) -> dict[str, Any]:
    from google.auth.transport.requests import AuthorizedSession

    settings = get_settings()
    path = f"identitytoolkit.googleapis.com/v1/projects/{settings.project_id}/{method}"
    if settings.auth_emulator_host:
        from google.auth.credentials import AnonymousCredentials

        session = AuthorizedSession(AnonymousCredentials())  # type: ignore[no-untyped-call]
        url, headers = (
            f"http://{settings.auth_emulator_host}/{path}",
            {"Authorization": "Bearer owner"},
        )
    else:
        import google.auth

        credentials, _ = google.auth.default(
            scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
        session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
        url, headers = f"https://{path}", {}
    reply = session.post(url, json=body, headers=headers, timeout=auth_http_timeout_s())
    reply.raise_for_status()
    result: dict[str, Any] = reply.json()
    return result


def send_sign_in_again(
    tenant: TenantData, created: list[dict[str, Any]], *, message_key: str
) -> int:
    """E-mail each account created again Firebase's link to choose a password; returns
    how many were sent (an account without an e-mail address cannot be told)."""
    if not created:
        return 0
    settings = load(tenant)
    sent = 0
    for account in created:
        if not account.get("email"):
            continue
        link = auth.generate_password_reset_link(account["email"], app=firebase_app())
        params = {"tenant_name": settings.display_name, "link": str(link)}
        outbox.email(
            tenant,
            # One mail per restore and account, however often a resumed restore gets here.
            message_id=f"account-restored-{message_key}-{account['uid']}",
            to=account["email"],
            kind="account_restored",
            content=MAIL.render("account_restored", settings.locale.value, params),
            locale=settings.locale,
        )
        sent += 1
    return sent
