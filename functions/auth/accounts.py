"""Firebase Auth accounts and the welcome / reset e-mails that go with them."""

from __future__ import annotations

import contextlib
import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from firebase_admin import auth

from functions.auth import errors as auth_errors
from functions.auth.models import EntraConfig, Person, User, UserStatus
from shared import errors, member_creation
from shared.faults import crash_point
from shared.gcp import firebase_app
from shared.member_creation import SeatCheck
from shared.messaging import outbox
from shared.messaging.models import Locale
from shared.principal import ROLE_CLAIM, TENANT_CLAIM, Role
from shared.settings import get_settings
from shared.templating import MailTemplates
from shared.tenancy import TenantData

USERS = "users"
MAIL = MailTemplates(Path(__file__).with_name("templates"))
log = logging.getLogger(__name__)


def create_account(uid: str, email: str, display_name: str, tenant_id: str, role: Role) -> None:
    """A new, passwordless account under `uid` with its tenant and role claims; a re-run
    after a crash finds the account it created and sets the claims again.

    There is never a password in an e-mail: the user sets one with the link in the
    welcome message.
    """
    try:
        auth.create_user(uid=uid, email=email, display_name=display_name, app=firebase_app())
    except auth.UidAlreadyExistsError:
        pass  # created by the first run of this request, which died
    except auth.EmailAlreadyExistsError:
        raise auth_errors.EmailTaken() from None
    except (auth.InvalidArgumentError, ValueError) as exc:
        raise errors.ValidationFailed(f"Firebase refused the account: {exc}") from None
    crash_point("users.create.account_created")
    claims = {TENANT_CLAIM: tenant_id, ROLE_CLAIM: role.value}
    auth.set_custom_user_claims(uid, claims, app=firebase_app())


def create_member(
    data: TenantData,
    person: Person,
    role: Role,
    *,
    uid: str,
    check_seat: SeatCheck | None,
    tenant_name: str,
    locale: Locale,
    actor: str,
) -> User:
    """A user of the tenant: account, member record, log entry and welcome e-mail; a
    seat too when `check_seat` is given (it refuses when the licence is used up).

    The order and its completion rule are shared/member_creation.py's: a user exists in
    both Auth and Firestore or in neither, and a crash is completed by the retry or
    rolled back by the nightly maintenance.
    """
    email = str(person.email)
    user = User(
        uid=uid,
        email=email,
        display_name=person.display_name,
        phone=person.phone,
        role=role,
        status=UserStatus.ACTIVE,
        created_at=datetime.now(UTC),
    )
    seat = check_seat is not None
    if member_creation.reserve(data, uid, email, seat, check_seat or (lambda tenant: None)):
        crash_point("users.create.reserved")
        try:
            create_account(uid, email, person.display_name, data.tenant_id, role)
            crash_point("users.create.claims_set")
            member_creation.complete(data, uid, user.model_dump(exclude={"uid"}), actor, role.value)
        except BaseException:
            with contextlib.suppress(Exception):  # else the maintenance rolls it back
                delete_account(uid)
                member_creation.release(data, uid)
            raise
        crash_point("users.create.completed")
    else:  # a re-run of a creation that completed: the record is the user
        stored = data.document(USERS, uid).get().to_dict() or {}
        user = User.model_validate({**stored, "uid": uid})
    try:
        send_welcome(  # its message id is the uid's: a re-run sends it once
            data,
            uid=uid,
            email=user.email,
            name=user.display_name,
            tenant_name=tenant_name,
            locale=locale,
            requested_by=actor,
        )
    except Exception:
        # The user exists; the administrator can send a reset link instead.
        log.exception("welcome e-mail for %s could not be queued", uid)
    crash_point("users.create.welcomed")
    return user


delete_account = member_creation.delete_account


def update_account(uid: str, **changes: Any) -> None:
    try:
        auth.update_user(uid, app=firebase_app(), **changes)
    except auth.EmailAlreadyExistsError:
        raise auth_errors.EmailTaken() from None
    except auth.UserNotFoundError:
        raise errors.NotFound("No such user") from None
    except (auth.InvalidArgumentError, ValueError) as exc:
        raise errors.ValidationFailed(f"Firebase refused the change: {exc}") from None


def reset_link(email: str) -> str:
    """Firebase's one-time link to choose a password."""
    try:
        return str(auth.generate_password_reset_link(email, app=firebase_app()))
    except auth.UserNotFoundError:  # deleted by a concurrent request
        raise errors.NotFound("No such user") from None


def send_welcome(
    tenant: TenantData,
    *,
    uid: str,
    email: str,
    name: str,
    tenant_name: str,
    locale: Locale,
    requested_by: str,
) -> None:
    params = {"name": name, "tenant_name": tenant_name, "link": reset_link(email)}
    outbox.email(
        tenant,
        message_id=f"welcome-{uid}",
        to=email,
        kind="welcome",
        content=MAIL.render("welcome", locale, params),
        locale=locale,
        requested_by=requested_by,
    )


def send_password_reset(
    tenant: TenantData, *, email: str, locale: Locale, requested_by: str
) -> None:
    outbox.email(
        tenant,
        message_id=f"reset-{uuid.uuid4().hex}",
        to=email,
        kind="password_reset",
        content=MAIL.render("password_reset", locale, {"link": reset_link(email)}),
        locale=locale,
        requested_by=requested_by,
    )


def configure_entra(slug: str, config: EntraConfig) -> str:
    """Create or update the tenant's Entra ID (OIDC) sign-in provider; returns its id.

    Users sign in with Entra ID under the e-mail their administrator created them
    with; Firebase links the two by e-mail, so claims and seat stay the same.
    The Auth emulator does not implement provider configurations, so locally only
    the tenant's settings are stored (README, "Identity").
    """
    provider_id = f"oidc.entra-{slug}"
    if get_settings().uses_emulators:
        return provider_id
    options: dict[str, Any] = {
        "client_id": str(config.client_id),
        "issuer": f"https://login.microsoftonline.com/{config.directory_id}/v2.0",
        "display_name": "Microsoft Entra ID",
        "enabled": True,
        "client_secret": config.client_secret.get_secret_value(),
        "code_response_type": True,
        "id_token_response_type": False,
        "app": firebase_app(),
    }
    try:
        auth.update_oidc_provider_config(provider_id, **options)
    except auth.ConfigurationNotFoundError:
        auth.create_oidc_provider_config(provider_id, **options)
    return provider_id
