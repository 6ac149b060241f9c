"""Auth accounts in a backup, and coming back from it, against the Auth emulator."""

from __future__ import annotations

from typing import Any

import pytest
from firebase_admin import auth

from functions.support.maintenance.backups import snapshot
from functions.support.maintenance.backups.backup import backup_tenant
from functions.support.maintenance.backups.restore import restore_tenant
from shared.backups.reading import backup_stamps
from shared.gcp import firebase_app, firestore_client
from tests.accounts import activate, active_tenant, add_professional
from tests.auth.test_identity import _identity, _verification_code
from tests.helpers import emails_to, wait_until

pytestmark = pytest.mark.usefixtures("stack")
PHONE = "+4531415927"


def enrol_phone(token: str, phone: str) -> None:
    """As the frontend does: the user enrols an SMS second factor with Firebase."""
    body = {"idToken": token, "phoneEnrollmentInfo": {"phoneNumber": phone}}
    session = _identity("accounts/mfaEnrollment:start", body)["phoneSessionInfo"]["sessionInfo"]
    verification = {"sessionInfo": session, "code": _verification_code(session)}
    _identity(
        "accounts/mfaEnrollment:finalize",
        {"idToken": token, "phoneVerificationInfo": verification},
    )


def reset_mails(address: str) -> list[dict[str, Any]]:
    return [m for m in emails_to(address) if "genoprettet" in m["subject"]]


def test_an_account_lost_from_auth_comes_back_with_claims_and_factor_and_a_reset_mail(
    owner: str,
) -> None:
    created = active_tenant(owner, add_ons=["sms_mfa"])
    slug, app = created["slug"], firebase_app()
    pro = add_professional(created["admin_token"])
    enrol_phone(activate(pro["email"]), PHONE)
    db = firestore_client()
    backup_tenant(db, slug)
    [held] = [a for a in snapshot.accounts(app, slug) if a["uid"] == pro["uid"]]
    assert (held["email"], held["disabled"]) == (pro["email"], False)
    assert held["custom_claims"] == {"tenant_id": slug, "role": "professional"}
    assert [f["phone"] for f in held["mfa"]] == [PHONE]

    # Lost in Auth alone (the console, a broken script): not an erasure through our API.
    auth.delete_user(pro["uid"], app=app)
    report = restore_tenant(db, slug, backup_stamps(slug)[-1])

    assert report.accounts_told == 1
    user = auth.get_user(pro["uid"], app=app)
    assert (user.email, user.disabled) == (pro["email"], False)
    assert user.custom_claims == {"tenant_id": slug, "role": "professional"}
    assert [f["phone"] for f in snapshot.second_factors(user)] == [PHONE]
    [mail] = wait_until(lambda: reset_mails(pro["email"]))
    assert "Vælg en ny adgangskode" in mail["body"]
    assert "oobCode=" in mail["body"]


def test_a_restore_withdraws_a_factor_enrolled_after_the_backup(owner: str) -> None:
    created = active_tenant(owner, add_ons=["sms_mfa"])
    slug, app = created["slug"], firebase_app()
    pro = add_professional(created["admin_token"])
    token = activate(pro["email"])
    db = firestore_client()
    backup_tenant(db, slug)
    enrol_phone(token, PHONE)
    assert snapshot.second_factors(auth.get_user(pro["uid"], app=app))

    report = restore_tenant(db, slug, backup_stamps(slug)[-1])
    assert snapshot.second_factors(auth.get_user(pro["uid"], app=app)) == []
    assert report.accounts_told == 0
