"""Users of a tenant: the administrator's work, and each user's own profile (SPEC T-3, T-5, T-6)."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime

from firebase_admin import auth
from google.api_core.exceptions import NotFound as GoogleNotFound
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.auth import accounts, tenants
from functions.auth import errors as auth_errors
from functions.auth.models import (
    PHOTO_MAX_BYTES,
    Photo,
    PhotoUpload,
    PhotoUploadRequest,
    ProfileUpdate,
    Seats,
    User,
    UserCreate,
    UserList,
    UserStatus,
    UserUpdate,
)
from shared import erasure_ledger, errors, members, ratelimit
from shared.erasure_ledger import Erased
from shared.events import record_event
from shared.gcp import firebase_app, firestore_client, schedule_call
from shared.ids import new_id
from shared.messaging.models import MESSAGES
from shared.principal import Principal, Role
from shared.settings import get_settings
from shared.storage import signed_download, signed_upload, tenant_object, uploads_bucket
from shared.tenancy import TenantData
from shared.tenants import TenantDocument

USERS = tenants.USERS
# Seats and removals contend on the tenant document: retry more before giving up (409).
CONTENDED_ATTEMPTS = 10
# File signatures: what the first bytes of each accepted image type must be.
IMAGE_MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}


# -- seats (T-3) ------------------------------------------------------------------------


def seats(data: TenantData) -> Seats:
    tenant = tenants.load(data)
    licensed = tenant.licence.seats
    free = None if licensed is None else max(licensed - tenant.seats_used, 0)
    return Seats(licensed=licensed, used=tenant.seats_used, free=free)


# -- the administrator's work (T-5) ---------------------------------------------------


def get_user(data: TenantData, uid: str) -> User:
    snapshot = data.document(USERS, uid).get()
    if not snapshot.exists:
        raise errors.NotFound("No such user in this tenant")
    return User.model_validate({**(snapshot.to_dict() or {}), "uid": uid})


def list_users(data: TenantData) -> UserList:
    users = [
        User.model_validate({**(s.to_dict() or {}), "uid": s.id})
        for s in data.collection(USERS).order_by("email").get()
    ]
    return UserList(users=users, seats=seats(data))


def _seat_free(tenant: TenantDocument) -> None:
    licensed = tenant.licence.seats if tenant.licence else 0
    if licensed is None:  # the licence covers every professional (SkoleRo)
        return
    if tenant.seats_used + 1 > licensed:
        raise auth_errors.LicenceExhausted(
            f"The licences are used up ({tenant.seats_used} of {licensed})"
            " — contact the supplier to upgrade, or free a seat."
        )


def create_user(admin: Principal, data: TenantData, body: UserCreate) -> User:
    """Create a user; a professional takes a seat, or nothing at all is created."""
    tenant = tenants.load(data)
    return accounts.create_member(
        data,
        body,
        body.role,
        uid=new_id("user"),  # the same in a retry's re-run: it finds what the first made
        check_seat=_seat_free if body.role is Role.PROFESSIONAL else None,
        tenant_name=tenant.display_name,
        locale=tenant.locale,
        actor=admin.uid,
    )


def update_user(actor: Principal, data: TenantData, uid: str, body: UserUpdate) -> User:
    user = get_user(data, uid)
    changes = body.model_dump(exclude_unset=True, exclude={"password"})
    if uid == actor.uid and "email" in changes:
        actor.require_recent_sign_in()  # one's own sign-in name, through any route
    if "email" in changes or "display_name" in changes:
        accounts.update_account(uid, **{k: v for k, v in changes.items() if k != "phone"})
    try:
        data.document(USERS, uid).update(changes)
    except GoogleNotFound:  # removed (e.g. its own DELETE /me/profile) since it was read
        raise errors.NotFound("No such user") from None
    record_event(
        data,
        actor=actor.uid,
        action="user.updated",
        subject=f"users/{uid}",
        details={"fields": sorted(changes)},
    )
    return user.model_copy(update=changes)


def send_reset(admin: Principal, data: TenantData, uid: str) -> None:
    user = get_user(data, uid)
    tenant = tenants.load(data)
    accounts.send_password_reset(
        data, email=user.email, locale=tenant.locale, requested_by=admin.uid
    )
    record_event(data, actor=admin.uid, action="user.password_reset_sent", subject=f"users/{uid}")


def _active_admins(data: TenantData) -> list[str]:
    query = data.collection(USERS).where(filter=FieldFilter("role", "==", Role.ADMIN.value))
    return [s.id for s in query.get() if s.get("status") == UserStatus.ACTIVE.value]


def _keep_an_administrator(data: TenantData, uid: str, user: User) -> None:
    if user.role is Role.ADMIN and _active_admins(data) == [uid]:
        raise errors.InvalidTransition("A tenant keeps at least one active administrator")


def set_active(admin: Principal, data: TenantData, uid: str, active: bool) -> User:
    if uid == admin.uid:
        raise errors.InvalidTransition("Administrators cannot deactivate themselves")
    user = get_user(data, uid)
    if (user.status is UserStatus.ACTIVE) == active:
        raise errors.InvalidTransition(f"The user is {user.status} already")
    if not active:
        _keep_an_administrator(data, uid, user)
    try:
        members.set_active(data.tenant_id, uid, active)  # the record first, then Auth
    except auth.UserNotFoundError:  # deleted by a concurrent request
        raise errors.NotFound("No such user") from None
    status = UserStatus.ACTIVE if active else UserStatus.DEACTIVATED
    record_event(data, actor=admin.uid, action=f"user.{status.value}", subject=f"users/{uid}")
    return user.model_copy(update={"status": status})


def remove_user(actor: Principal, data: TenantData, uid: str) -> None:
    """Delete the account, its profile, picture and messages; a professional's seat is freed.

    The event log keeps only the uid as actor, which no longer leads to a person.
    """
    user = get_user(data, uid)
    _keep_an_administrator(data, uid, user)

    @firestore.transactional
    def remove_profile(transaction: firestore.Transaction) -> bool:
        profile = data.document(USERS, uid)
        if not profile.get(transaction=transaction).exists:
            return False  # removed by a concurrent request, which freed the seat
        tenant = tenants.load(data, transaction)
        transaction.delete(profile)
        erasure_ledger.record(transaction, data.db, data.tenant_id, Erased.USER, uid)
        if user.role is Role.PROFESSIONAL:
            transaction.update(data.root, {"seats_used": max(tenant.seats_used - 1, 0)})
        return True

    # Without its record the account is refused at once; Auth follows.
    if not remove_profile(data.db.transaction(max_attempts=CONTENDED_ATTEMPTS)):
        raise errors.NotFound("No such user in this tenant")
    accounts.delete_account(uid)
    bucket = uploads_bucket()
    for name in (photo_object(data, uid), upload_object(data, uid)):
        with contextlib.suppress(GoogleNotFound):
            bucket.blob(name).delete()
    _forget_messages_to(data, user.email)
    record_event(
        data,
        actor=actor.uid,
        action="user.deleted",
        subject=f"users/{uid}",
        details={"role": user.role.value, "by_self": actor.uid == uid},
    )


def _forget_messages_to(data: TenantData, email: str) -> None:
    """Message records hold the address (and one-time links): they go with the user."""
    query = data.collection(MESSAGES).where(filter=FieldFilter("request.to", "==", email))
    for snapshot in query.get():
        snapshot.reference.delete()


# -- each user's own profile (T-6) -------------------------------------------------------


def update_profile(me: Principal, body: ProfileUpdate) -> User:
    data = me.tenant_data()
    if body.password is not None or body.email is not None:
        me.require_recent_sign_in()
    if body.password is not None:
        # A new password ends every session, ours first (as Firebase does its own).
        members.revoke_sessions(data.tenant_id, me.uid)
        accounts.update_account(me.uid, password=body.password.get_secret_value())
        record_event(data, actor=me.uid, action="user.password_changed", subject=f"users/{me.uid}")
    profile = UserUpdate.model_construct(
        **{k: v for k, v in body.model_dump(exclude_unset=True).items() if k != "password"}
    )
    if not profile.model_fields_set:
        return get_user(data, me.uid)
    return update_user(me, data, me.uid, profile)


def photo_object(data: TenantData, uid: str) -> str:
    return tenant_object(data, USERS, uid, "profile-picture")


def upload_object(data: TenantData, uid: str) -> str:
    """Where a new picture waits for its check; the one in use is never overwritten."""
    return tenant_object(data, USERS, uid, "profile-picture-upload")


def photo_upload(me: Principal, body: PhotoUploadRequest) -> PhotoUpload:
    data = me.tenant_data()
    name = upload_object(data, me.uid)
    upload = signed_upload(name, body.content_type, body.size)
    return PhotoUpload(
        upload_url=upload.url, headers=upload.headers, object=name, expires_at=upload.expires_at
    )


def confirm_photo(me: Principal) -> Photo:
    """Check the uploaded file really is an image of an accepted type and size, then use it."""
    data = me.tenant_data()
    bucket = uploads_bucket()
    blob = bucket.get_blob(upload_object(data, me.uid))
    if blob is None:
        raise errors.NotFound("Upload the picture to the signed URL first")
    head = blob.download_as_bytes(start=0, end=15)
    signatures = IMAGE_MAGIC.get(blob.content_type or "", ())
    is_webp = blob.content_type != "image/webp" or head[8:12] == b"WEBP"
    if (blob.size or 0) > PHOTO_MAX_BYTES or not head.startswith(signatures) or not is_webp:
        blob.delete()
        raise auth_errors.NotAnImage(
            f"Upload a JPEG, PNG or WebP image of at most {PHOTO_MAX_BYTES // 1024 // 1024} MB"
        )
    name = photo_object(data, me.uid)
    bucket.copy_blob(blob, bucket, name)
    blob.delete()
    data.document(USERS, me.uid).update({"photo_object": name})
    record_event(data, actor=me.uid, action="user.photo_changed", subject=f"users/{me.uid}")
    return Photo(object=name, download_url=signed_download(name))


# A forgotten password: per address and per caller, per hour (mail bombing, enumeration).
RESETS_PER_ADDRESS, RESETS_PER_CALLER = 3, 30


def request_password_reset(email: str, caller: str) -> None:
    """Queue the reset: the request costs the same whether or not the address has an
    account (nothing is looked up here), and is limited per address and per caller."""
    from functions.auth.models import PasswordResetJob

    if not ratelimit.allow(f"reset-caller-{ratelimit.fingerprint(caller)}", RESETS_PER_CALLER):
        raise errors.RateLimited("Too many password resets from here; try again in an hour")
    if not ratelimit.allow(f"reset-address-{ratelimit.fingerprint(email)}", RESETS_PER_ADDRESS):
        raise errors.RateLimited("Too many password resets for this address; try in an hour")
    body = PasswordResetJob(email=email).model_dump_json().encode()
    queue = get_settings().queue("password_reset_queue")
    schedule_call(queue, body, datetime.now(UTC), f"reset-{uuid.uuid4().hex}")


def forgot_password(email: str) -> None:
    """Send a reset link if an active account has this address; never tell whether it has."""
    from shared.principal import TENANT_CLAIM

    try:
        record = auth.get_user_by_email(email, app=firebase_app())
    except auth.UserNotFoundError:
        return
    tenant_id = (record.custom_claims or {}).get(TENANT_CLAIM)
    if record.disabled or not isinstance(tenant_id, str):
        return
    data = TenantData(firestore_client(), tenant_id)
    try:
        tenant = tenants.load(data)
    except errors.NotFound:
        return  # the same answer as for an unknown address
    try:
        accounts.send_password_reset(
            data, email=email, locale=tenant.locale, requested_by=record.uid
        )
    except errors.NotFound:  # deleted a moment ago: the same answer as for any address
        return
    record_event(
        data,
        actor=record.uid,
        action="user.password_reset_requested",
        subject=f"users/{record.uid}",
    )
