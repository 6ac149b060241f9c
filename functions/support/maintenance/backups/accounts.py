"""Putting a tenant's Auth accounts back as a backup holds them (in place only)."""

from __future__ import annotations

from typing import Any

from firebase_admin import auth

from functions.support.maintenance.backups import snapshot
from shared.faults import crash_point
from shared.gcp import firebase_app


def restore_accounts(tenant_id: str, backed_up: list[dict[str, Any]]) -> int:
    """Every backed-up account as it was (created again if gone: same uid, no password,
    so its user sets one through the reset link); accounts of the tenant that the backup
    does not hold are deleted. Returns how many accounts were written or deleted."""
    app = firebase_app()
    wanted = {account["uid"]: account for account in backed_up}
    changed = 0
    for account in snapshot.accounts(app, tenant_id):
        if account["uid"] not in wanted:
            auth.delete_user(account["uid"], app=app)
            changed += 1
        elif account != wanted[account["uid"]]:
            _put(app, wanted[account["uid"]], exists=True)
            changed += 1
        wanted.pop(account["uid"], None)
    for account in wanted.values():
        try:
            auth.get_user(account["uid"], app=app)
            _put(app, account, exists=True)  # an account moved to another tenant's claim
        except auth.UserNotFoundError:
            _put(app, account, exists=False)
        changed += 1
    return changed


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
    crash_point("restore.account.put")
