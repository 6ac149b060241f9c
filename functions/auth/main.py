"""HTTP function `auth_api`: tenants and licences (owner), users (administrator),
own profile (every user) and sign-in configuration (public)."""

from __future__ import annotations

import flask
import functions_framework
from pydantic import BaseModel

from functions.auth import tenants, users
from functions.auth.models import (
    Accepted,
    Licence,
    PasswordResetRequest,
    Photo,
    PhotoUpload,
    PhotoUploadRequest,
    ProfileUpdate,
    SignInChange,
    SignInConfig,
    Tenant,
    TenantCreate,
    TenantCreated,
    TenantList,
    User,
    UserCreate,
    UserList,
    UserUpdate,
)
from shared import errors
from shared.gcp import firestore_client
from shared.http import Api, Context
from shared.principal import Role
from shared.tenancy import TENANTS

api = Api("auth_api", "Trivsel identity: tenants, licences, users and sign-in")
OWNER = [Role.OWNER]
ADMIN = [Role.ADMIN]
MEMBERS = [Role.ADMIN, Role.PROFESSIONAL]


class Me(BaseModel):
    uid: str
    email: str | None
    role: Role
    tenant_id: str | None
    tenant_name: str | None


@api.route("GET", "/me", summary="The signed-in user, their role and tenant", response=Me)
def me(ctx: Context, _: None) -> Me:
    caller = ctx.caller
    tenant_name = None
    if caller.tenant_id is not None:
        snapshot = firestore_client().collection(TENANTS).document(caller.tenant_id).get()
        tenant_name = (snapshot.to_dict() or {}).get("display_name")
    return Me(
        uid=caller.uid,
        email=caller.email,
        role=caller.role,
        tenant_id=caller.tenant_id,
        tenant_name=tenant_name,
    )


# -- the system owner: tenants and licences (T-1, T-3, T-4) -----------------------------


@api.route(
    "POST",
    "/tenants",
    summary="Provision a tenant and its first administrator",
    roles=OWNER,
    body=TenantCreate,
    response=TenantCreated,
    status=201,
    refusals=[errors.SlugTaken, errors.EmailTaken],
)
def provision(ctx: Context, body: TenantCreate) -> TenantCreated:
    return tenants.provision(ctx.caller, body)


@api.route(
    "GET",
    "/tenants",
    summary="All tenants (name, status, licence)",
    roles=OWNER,
    response=TenantList,
)
def list_tenants(ctx: Context, _: None) -> TenantList:
    return TenantList(tenants=tenants.list_tenants())


@api.route(
    "GET",
    "/tenants/{tenant_id}",
    summary="One tenant (audited owner access)",
    roles=OWNER,
    response=Tenant,
    refusals=[errors.NotFound],
)
def get_tenant(ctx: Context, _: None) -> Tenant:
    tenant_id = ctx.path_params["tenant_id"]
    tenants.load_existing(tenant_id)
    return tenants.load(ctx.caller.owner_access(tenant_id, "read tenant"))


@api.route(
    "PUT",
    "/tenants/{tenant_id}/licence",
    summary="Change the licence",
    roles=OWNER,
    body=Licence,
    response=Tenant,
    refusals=[errors.NotFound, errors.InvalidTransition],
)
def change_licence(ctx: Context, body: Licence) -> Tenant:
    tenants.load_existing(ctx.path_params["tenant_id"])
    return tenants.change_licence(ctx.caller, ctx.path_params["tenant_id"], body)


def _status_route(verb: str, summary: str) -> None:
    @api.route(
        "POST",
        f"/tenants/{{tenant_id}}/{verb}",
        summary=summary,
        roles=OWNER,
        response=Tenant,
        refusals=[errors.NotFound, errors.InvalidTransition],
    )
    def change(ctx: Context, _: None) -> Tenant:
        tenants.load_existing(ctx.path_params["tenant_id"])
        return tenants.change_status(ctx.caller, ctx.path_params["tenant_id"], verb)

    change.__name__ = f"{verb}_tenant"


_status_route("suspend", "Suspend a tenant (non-payment): every user is refused")
_status_route("reactivate", "Lift a suspension: access returns with nothing lost")
_status_route("terminate", "End the subscription: export for 90 days, then erasure")


@api.route(
    "PATCH",
    "/tenants/{tenant_id}/sign-in",
    summary="A tenant's sign-in settings",
    roles=OWNER,
    body=SignInChange,
    response=Tenant,
    refusals=[errors.NotFound],
)
def owner_sign_in(ctx: Context, body: SignInChange) -> Tenant:
    tenants.load_existing(ctx.path_params["tenant_id"])
    data = ctx.caller.owner_access(ctx.path_params["tenant_id"], "change sign-in settings")
    return tenants.change_sign_in(ctx.caller, data, body)


# -- the administrator: own tenant and its users (T-3, T-5, T-7) -------------------------


@api.route(
    "GET",
    "/tenant",
    summary="The caller's tenant, its licence and sign-in settings",
    roles=MEMBERS,
    response=Tenant,
)
def own_tenant(ctx: Context, _: None) -> Tenant:
    return tenants.load(ctx.caller.tenant_data())


@api.route(
    "PATCH",
    "/tenant/sign-in",
    summary="SMS second factor and Entra ID sign-in",
    roles=ADMIN,
    body=SignInChange,
    response=Tenant,
)
def admin_sign_in(ctx: Context, body: SignInChange) -> Tenant:
    return tenants.change_sign_in(ctx.caller, ctx.caller.tenant_data(), body)


@api.route(
    "GET", "/users", summary="The tenant's users and seat usage", roles=ADMIN, response=UserList
)
def list_users(ctx: Context, _: None) -> UserList:
    return users.list_users(ctx.caller.tenant_data())


@api.route(
    "POST",
    "/users",
    summary="Create a user; they get a welcome e-mail",
    roles=ADMIN,
    body=UserCreate,
    response=User,
    status=201,
    refusals=[errors.LicenceExhausted, errors.EmailTaken],
)
def create_user(ctx: Context, body: UserCreate) -> User:
    return users.create_user(ctx.caller, ctx.caller.tenant_data(), body)


@api.route(
    "GET",
    "/users/{uid}",
    summary="One user",
    roles=ADMIN,
    response=User,
    refusals=[errors.NotFound],
)
def get_user(ctx: Context, _: None) -> User:
    return users.get_user(ctx.caller.tenant_data(), ctx.path_params["uid"])


@api.route(
    "PATCH",
    "/users/{uid}",
    summary="Change a user's e-mail, name or phone",
    roles=ADMIN,
    body=UserUpdate,
    response=User,
    refusals=[errors.NotFound, errors.EmailTaken],
)
def update_user(ctx: Context, body: UserUpdate) -> User:
    return users.update_user(ctx.caller, ctx.caller.tenant_data(), ctx.path_params["uid"], body)


@api.route(
    "POST",
    "/users/{uid}/password-reset",
    summary="E-mail the user a reset link",
    roles=ADMIN,
    refusals=[errors.NotFound],
)
def reset_user_password(ctx: Context, _: None) -> None:
    users.send_reset(ctx.caller, ctx.caller.tenant_data(), ctx.path_params["uid"])


@api.route(
    "POST",
    "/users/{uid}/deactivate",
    summary="Deactivate at once (sessions end)",
    roles=ADMIN,
    response=User,
    refusals=[errors.NotFound, errors.InvalidTransition],
)
def deactivate_user(ctx: Context, _: None) -> User:
    return users.set_active(ctx.caller, ctx.caller.tenant_data(), ctx.path_params["uid"], False)


@api.route(
    "POST",
    "/users/{uid}/reactivate",
    summary="Reactivate a deactivated user",
    roles=ADMIN,
    response=User,
    refusals=[errors.NotFound, errors.InvalidTransition],
)
def reactivate_user(ctx: Context, _: None) -> User:
    return users.set_active(ctx.caller, ctx.caller.tenant_data(), ctx.path_params["uid"], True)


@api.route(
    "DELETE",
    "/users/{uid}",
    summary="Delete a user and free their seat",
    roles=ADMIN,
    refusals=[errors.NotFound, errors.InvalidTransition],
)
def delete_user(ctx: Context, _: None) -> None:
    users.remove_user(ctx.caller, ctx.caller.tenant_data(), ctx.path_params["uid"])


# -- every user: own profile (T-6) -----------------------------------------------------------


@api.route("GET", "/me/profile", summary="Own profile", roles=MEMBERS, response=User)
def my_profile(ctx: Context, _: None) -> User:
    return users.get_user(ctx.caller.tenant_data(), ctx.caller.uid)


@api.route(
    "PATCH",
    "/me/profile",
    summary="Change own e-mail, name, phone or password",
    roles=MEMBERS,
    body=ProfileUpdate,
    response=User,
    refusals=[errors.EmailTaken, errors.ReauthenticationRequired],
)
def update_profile(ctx: Context, body: ProfileUpdate) -> User:
    return users.update_profile(ctx.caller, body)


@api.route(
    "DELETE",
    "/me/profile",
    summary="Delete own profile (right to be forgotten)",
    roles=MEMBERS,
    refusals=[errors.InvalidTransition],
)
def delete_profile(ctx: Context, _: None) -> None:
    users.remove_user(ctx.caller, ctx.caller.tenant_data(), ctx.caller.uid)


@api.route(
    "POST",
    "/me/photo-upload",
    summary="A signed URL to upload a profile picture",
    roles=MEMBERS,
    body=PhotoUploadRequest,
    response=PhotoUpload,
)
def photo_upload(ctx: Context, body: PhotoUploadRequest) -> PhotoUpload:
    return users.photo_upload(ctx.caller, body)


@api.route(
    "POST",
    "/me/photo",
    summary="Check the uploaded picture and use it",
    roles=MEMBERS,
    response=Photo,
    refusals=[errors.NotFound, errors.NotAnImage],
)
def confirm_photo(ctx: Context, _: None) -> Photo:
    return users.confirm_photo(ctx.caller)


# -- public: sign-in (T-7) --------------------------------------------------------------------


@api.route(
    "GET",
    "/sign-in/{tenant_id}",
    summary="A tenant's sign-in configuration",
    roles=None,
    response=SignInConfig,
    refusals=[errors.NotFound],
)
def sign_in_config(ctx: Context, _: None) -> SignInConfig:
    return tenants.sign_in_config(ctx.path_params["tenant_id"])


@api.route(
    "POST",
    "/password-reset",
    summary="Forgot password: e-mail a reset link",
    roles=None,
    body=PasswordResetRequest,
    response=Accepted,
    status=202,
)
def forgot_password(ctx: Context, body: PasswordResetRequest) -> Accepted:
    users.forgot_password(str(body.email))
    return Accepted(detail="If an account has this address, a reset link is on its way.")


@functions_framework.http
def auth_api(request: flask.Request) -> flask.Response:
    return api(request)
