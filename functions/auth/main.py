"""HTTP function `auth_api`: tenants and licences (owner), users (administrator),
own profile (every user) and sign-in configuration (public)."""

from __future__ import annotations

import flask

from functions.auth import (
    contract_routes,
    my_export,
    public_pages,
    subprocessor_routes,
    subprocessors,
    tenants,
    users,
)
from functions.auth import errors as auth_errors
from functions.auth.certification import routes as certification_routes
from functions.auth.models import (
    Accepted,
    MyExport,
    PasswordResetJob,
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
from shared.http import Api, JsonStream, caller_address, http_function
from shared.messaging.models import Locale
from shared.models import Model
from shared.principal import Principal, Role
from shared.tenancy import TenantData
from shared.tenants import Licence
from shared.tenants import load as load_tenant

# Users of a pending tenant (no DPA yet) may sign in and set up users here; every other
# API, all of which hold clients' personal data, refuses them (`dpa_missing`).
api = Api("Trivsel identity: tenants, licences, users and sign-in", pending_tenants=True)
contract_routes.register(api)
certification_routes.register(api)
subprocessor_routes.register(api)
OWNER = [Role.OWNER]
ADMIN = [Role.ADMIN]
MEMBERS = [Role.ADMIN, Role.PROFESSIONAL]
TENANT = "/tenants/<tenant_id>"
USER = "/users/<uid>"


class Me(Model):
    uid: str
    email: str | None
    role: Role
    tenant_id: str | None
    tenant_name: str | None


@api.route("GET", "/me", summary="The signed-in user, their role and tenant", uncertified=True)
def me(caller: Principal) -> Me:
    tenant_name = None
    if caller.tenant_id is not None:
        tenant_name = load_tenant(caller.tenant_data()).display_name
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
    status=201,
    refusals=[auth_errors.SlugTaken, auth_errors.EmailTaken],
)
def provision(caller: Principal, body: TenantCreate) -> TenantCreated:
    return tenants.provision(caller, body)


@api.route("GET", "/tenants", summary="All tenants (name, status, licence)", roles=OWNER)
def list_tenants(caller: Principal) -> TenantList:
    return TenantList(tenants=tenants.list_tenants())


@api.route("GET", TENANT, summary="One tenant (audited owner access)", roles=OWNER)
def get_tenant(caller: Principal, tenant_id: str) -> Tenant:
    tenants.load_existing(tenant_id)
    return tenants.load(caller.owner_access(tenant_id, "read tenant"))


@api.route(
    "PUT",
    TENANT + "/licence",
    summary="Change the licence",
    roles=OWNER,
    refusals=[errors.InvalidTransition],
)
def change_licence(caller: Principal, tenant_id: str, body: Licence) -> Tenant:
    tenants.load_existing(tenant_id)
    return tenants.change_licence(caller, tenant_id, body)


def _status_route(verb: str, summary: str) -> None:
    @api.route(
        "POST",
        f"{TENANT}/{verb}",
        summary=summary,
        roles=OWNER,
        refusals=[errors.InvalidTransition],
    )
    def change(caller: Principal, tenant_id: str) -> Tenant:
        tenants.load_existing(tenant_id)
        return tenants.change_status(caller, tenant_id, verb)

    change.__name__ = f"{verb}_tenant"


_status_route("reactivate", "Lift a suspension: access returns with nothing lost")
_status_route("terminate", "End the subscription: export for 90 days, then erasure")


@api.route(
    "PATCH",
    TENANT + "/sign-in",
    summary="A tenant's sign-in settings",
    roles=OWNER,
    refusals=[errors.InvalidTransition],
)
def owner_sign_in(caller: Principal, tenant_id: str, body: SignInChange) -> Tenant:
    tenants.load_existing(tenant_id)
    data = caller.owner_access(tenant_id, "change sign-in settings")
    return tenants.change_sign_in(caller, data, body)


# -- the administrator: own tenant and its users (T-3, T-5, T-7) -------------------------


@api.route(
    "GET", "/tenant", summary="The caller's tenant, its licence and sign-in settings", roles=MEMBERS
)
def own_tenant(tenant: TenantData) -> Tenant:
    return tenants.load(tenant)


@api.route(
    "PATCH",
    "/tenant/sign-in",
    summary="SMS second factor, Entra ID and ADFS (SAML) sign-in",
    roles=ADMIN,
    refusals=[errors.InvalidTransition],
)
def admin_sign_in(caller: Principal, tenant: TenantData, body: SignInChange) -> Tenant:
    return tenants.change_sign_in(caller, tenant, body)


@api.route("GET", "/users", summary="The tenant's users and seat usage", roles=ADMIN)
def list_users(tenant: TenantData) -> UserList:
    return users.list_users(tenant)


@api.route(
    "POST",
    "/users",
    summary="Create a user; they get a welcome e-mail",
    roles=ADMIN,
    status=201,
    refusals=[auth_errors.LicenceExhausted, auth_errors.EmailTaken],
)
def create_user(caller: Principal, tenant: TenantData, body: UserCreate) -> User:
    return users.create_user(caller, tenant, body)


@api.route("GET", USER, summary="One user", roles=ADMIN)
def get_user(tenant: TenantData, uid: str) -> User:
    return users.get_user(tenant, uid)


@api.route(
    "PATCH",
    USER,
    summary="Change a user's e-mail, name or phone",
    roles=ADMIN,
    refusals=[auth_errors.EmailTaken, errors.ReauthenticationRequired],
)
def update_user(caller: Principal, tenant: TenantData, uid: str, body: UserUpdate) -> User:
    return users.update_user(caller, tenant, uid, body)


@api.route("POST", USER + "/password-reset", summary="E-mail the user a reset link", roles=ADMIN)
def reset_user_password(caller: Principal, tenant: TenantData, uid: str) -> None:
    users.send_reset(caller, tenant, uid)


@api.route(
    "POST",
    USER + "/deactivate",
    summary="Deactivate at once (sessions end)",
    roles=ADMIN,
    refusals=[errors.InvalidTransition],
)
def deactivate_user(caller: Principal, tenant: TenantData, uid: str) -> User:
    return users.set_active(caller, tenant, uid, False)


@api.route(
    "POST",
    USER + "/reactivate",
    summary="Reactivate a deactivated user",
    roles=ADMIN,
    refusals=[errors.InvalidTransition],
)
def reactivate_user(caller: Principal, tenant: TenantData, uid: str) -> User:
    return users.set_active(caller, tenant, uid, True)


@api.route(
    "DELETE",
    USER,
    summary="Delete a user and free their seat",
    roles=ADMIN,
    refusals=[errors.InvalidTransition],
)
def delete_user(caller: Principal, tenant: TenantData, uid: str) -> None:
    users.remove_user(caller, tenant, uid)


# -- every user: own profile (T-6) -----------------------------------------------------------


@api.route("GET", "/me/profile", summary="Own profile", roles=MEMBERS, refusals=[errors.NotFound])
def my_profile(caller: Principal, tenant: TenantData) -> User:
    return users.get_user(tenant, caller.uid)


@api.route(
    "PATCH",
    "/me/profile",
    summary="Change own e-mail, name, phone or password",
    roles=MEMBERS,
    refusals=[auth_errors.EmailTaken, errors.ReauthenticationRequired, errors.NotFound],
)
def update_profile(caller: Principal, body: ProfileUpdate) -> User:
    return users.update_profile(caller, body)


@api.route(
    "DELETE",
    "/me/profile",
    summary="Delete own profile (right to be forgotten)",
    roles=MEMBERS,
    refusals=[errors.InvalidTransition, errors.NotFound],
)
def delete_profile(caller: Principal, tenant: TenantData) -> None:
    users.remove_user(caller, tenant, caller.uid)


@api.route(
    "GET",
    "/me/export",
    summary="Own data as JSON: profile, own log, reported tickets, what one wrote (by id)",
    roles=MEMBERS,
)
def export_me(caller: Principal, tenant: TenantData) -> JsonStream[MyExport]:
    return JsonStream(my_export.export(caller, tenant))


@api.route(
    "POST", "/me/photo-upload", summary="A signed URL to upload a profile picture", roles=MEMBERS
)
def photo_upload(caller: Principal, body: PhotoUploadRequest) -> PhotoUpload:
    return users.photo_upload(caller, body)


@api.route(
    "POST",
    "/me/photo",
    summary="Check the uploaded picture and use it",
    roles=MEMBERS,
    refusals=[errors.NotFound, auth_errors.NotAnImage],
)
def confirm_photo(caller: Principal) -> Photo:
    return users.confirm_photo(caller)


# -- public: sign-in (T-7) --------------------------------------------------------------------


@api.route("GET", "/sign-in/<tenant_id>", summary="A tenant's sign-in configuration", roles=None)
def sign_in_config(tenant_id: str) -> SignInConfig:
    return tenants.sign_in_config(tenant_id)


@api.route(
    "POST",
    "/password-reset",
    summary="Forgot password: e-mail a reset link",
    roles=None,
    status=202,
    refusals=[errors.RateLimited],
)
def forgot_password(request: flask.Request, body: PasswordResetRequest) -> Accepted:
    caller = caller_address(request.headers.get("X-Forwarded-For"), request.remote_addr)
    users.request_password_reset(str(body.email), caller)
    return Accepted(detail="If an account has this address, a reset link is on its way.")


@http_function(api)
def auth_api(request: flask.Request) -> flask.Response:
    return api(request)


# Internal: reachable only by Cloud Tasks (IAM invoker), so no Firebase principal.
resets = Api("Internal: forgotten passwords")


@resets.route("POST", "/", summary="E-mail a reset link if the address has an account", roles=None)
def send_reset(body: PasswordResetJob) -> None:
    users.forgot_password(str(body.email))


@http_function(resets)
def send_password_reset(request: flask.Request) -> flask.Response:
    return resets(request)


# Public, no sign-in: the sub-processor list as a page (Danish; ?lang=en) or as JSON
# (?format=json, the same as auth_api's GET /subprocessors).
@http_function()
def subprocessor_page(request: flask.Request) -> flask.Response:
    if request.method not in ("GET", "HEAD"):
        return flask.Response(status=405, headers={"Allow": "GET, HEAD"})
    listing = subprocessors.public_list()
    if request.args.get("format") == "json":
        return flask.Response(
            listing.model_dump_json(),
            mimetype="application/json",
            headers={"Cache-Control": "public, max-age=300"},
        )
    locale = Locale.EN if request.args.get("lang") == "en" else Locale.DA
    nonce = public_pages.new_nonce()
    return flask.Response(
        public_pages.render(listing, locale, nonce, "?format=json"),
        mimetype="text/html",
        headers=public_pages.headers(nonce),
    )
