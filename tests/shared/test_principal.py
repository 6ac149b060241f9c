"""The HTTP layer and the request principal, through the running auth_api function.

Covers the token refusals every later route inherits: missing, malformed, forged,
expired, revoked, disabled account, suspended tenant, and CORS.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from firebase_admin import auth

from shared import members
from shared.gcp import firebase_app
from shared.principal import Role
from shared.tenants import TenantStatus
from tests.helpers import (
    call,
    create_tenant,
    create_user,
    forge,
    set_tenant_status,
    token_payload,
    unique,
    unsigned_token,
)

pytestmark = pytest.mark.usefixtures("stack")


def assert_problem(reply: object, status: int, code: str) -> dict[str, object]:
    import requests

    assert isinstance(reply, requests.Response)
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"] == "application/problem+json"
    body = reply.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"].endswith("/" + code)
    assert body["title"]
    assert body["detail"]
    return dict(body)


def test_me_returns_the_principal_from_the_user_record() -> None:
    tenant = create_tenant(name="Aarhus Kommune")
    user = create_user(tenant, Role.ADMIN)
    reply = call("GET", "/auth_api/me", user.sign_in())
    assert reply.status_code == 200
    assert reply.json() == {
        "uid": user.uid,
        "email": user.email,
        "role": "admin",
        "tenant_id": tenant,
        "tenant_name": "Aarhus Kommune",
    }


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "Bearer"])
def test_missing_or_malformed_authorization_is_401(header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    assert_problem(call("GET", "/auth_api/me", headers=headers), 401, "unauthenticated")


def test_garbage_token_is_401() -> None:
    assert_problem(call("GET", "/auth_api/me", "not.a.token"), 401, "invalid_token")


def test_token_for_a_user_that_does_not_exist_is_refused() -> None:
    real = create_user(create_tenant()).sign_in()
    forged = forge(real, sub="nobody-here", user_id="nobody-here")
    assert_problem(call("GET", "/auth_api/me", forged), 401, "invalid_token")


def test_token_with_another_tenants_claims_is_refused() -> None:
    tenant_a, tenant_b = create_tenant(), create_tenant()
    token_b = create_user(tenant_b, Role.PROFESSIONAL).sign_in()
    forged = forge(token_b, tenant_id=tenant_a, role="admin")
    body = assert_problem(call("GET", "/auth_api/me", forged), 401, "invalid_token")
    assert tenant_a not in str(body)


def test_role_comes_from_the_user_record_not_the_token() -> None:
    tenant = create_tenant()
    user = create_user(tenant, Role.PROFESSIONAL)
    forged = forge(user.sign_in(), role="admin")
    assert call("GET", "/auth_api/me", forged).json()["role"] == "professional"


def test_expired_token_is_401() -> None:
    token = create_user(create_tenant()).sign_in()
    claims = token_payload(token)
    expired = forge(
        token, iat=claims["iat"] - 7200, auth_time=claims["iat"] - 7200, exp=claims["iat"] - 3600
    )
    body = assert_problem(call("GET", "/auth_api/me", expired), 401, "invalid_token")
    assert "expired" in str(body["detail"])


def test_unsigned_token_with_made_up_claims_is_refused() -> None:
    token = unsigned_token({"sub": "x", "tenant_id": "demo", "role": "owner"})
    assert_problem(call("GET", "/auth_api/me", token), 401, "invalid_token")


def test_disabled_account_is_refused_at_once_with_a_message_to_contact_the_admin() -> None:
    user = create_user(create_tenant())
    token = user.sign_in()  # issued before the deactivation
    assert call("GET", "/auth_api/me", token).status_code == 200
    members.set_active(user.tenant_id, user.uid, False)
    body = assert_problem(call("GET", "/auth_api/me", token), 403, "account_disabled")
    assert "administrator" in str(body["detail"])


def test_revoked_session_is_refused() -> None:
    user = create_user(create_tenant())
    token = user.sign_in()
    time.sleep(1.1)  # revocation has one-second resolution
    members.revoke_sessions(user.tenant_id, user.uid)
    assert_problem(call("GET", "/auth_api/me", token), 401, "token_revoked")
    assert call("GET", "/auth_api/me", user.sign_in()).status_code == 200  # a new session


def test_an_auth_write_that_fails_after_the_record_changed_leaves_the_user_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = create_user(create_tenant())
    token = user.sign_in()

    def auth_down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("Identity Toolkit is unreachable")

    monkeypatch.setattr(auth, "update_user", auth_down)
    with pytest.raises(ConnectionError):
        members.set_active(user.tenant_id, user.uid, False)
    assert_problem(call("GET", "/auth_api/me", token), 403, "account_disabled")


def test_no_auth_admin_call_is_made_on_the_request_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The request is served in this process with every Identity Toolkit call refused:
    the principal needs only the token and one Firestore read."""
    import flask
    import requests

    from functions.clients.main import api

    tenant = create_tenant()
    user = create_user(tenant, Role.PROFESSIONAL)
    token = user.sign_in()
    auth_host = os.environ["FIREBASE_AUTH_EMULATOR_HOST"]
    real_send = requests.Session.send
    sent: list[str] = []

    def refuse_auth(self: requests.Session, request: requests.PreparedRequest, **kw: Any) -> object:
        if auth_host in str(request.url):
            sent.append(str(request.url))
            raise AssertionError(f"an Auth call on the request path: {request.url}")
        return real_send(self, request, **kw)

    monkeypatch.setattr(requests.Session, "send", refuse_auth)

    def refused(name: str) -> object:
        return lambda *args, **kwargs: pytest.fail(f"auth.{name} was called")

    for name in ("get_user", "get_users", "get_user_by_email", "verify_session_cookie"):
        monkeypatch.setattr(auth, name, refused(name))
    app = flask.Flask(__name__)
    headers = {"Authorization": f"Bearer {token}"}
    with app.test_request_context("/clients", method="GET", headers=headers):
        reply = api(flask.request)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert sent == []


def test_suspended_tenant_is_refused_and_reactivation_restores_access() -> None:
    tenant = create_tenant()
    token = create_user(tenant).sign_in()
    set_tenant_status(tenant, TenantStatus.SUSPENDED)
    assert_problem(call("GET", "/auth_api/me", token), 403, "tenant_suspended")
    set_tenant_status(tenant, TenantStatus.ACTIVE)
    assert call("GET", "/auth_api/me", token).status_code == 200


def test_terminated_tenant_is_refused() -> None:
    tenant = create_tenant()
    token = create_user(tenant).sign_in()
    set_tenant_status(tenant, TenantStatus.TERMINATED)
    assert_problem(call("GET", "/auth_api/me", token), 403, "tenant_terminated")


def test_user_without_a_role_is_refused() -> None:
    tenant = create_tenant()
    user = create_user(tenant)
    auth.set_custom_user_claims(user.uid, {"tenant_id": tenant}, app=firebase_app())
    assert_problem(call("GET", "/auth_api/me", user.sign_in()), 403, "forbidden")


def test_unknown_route_is_404_and_wrong_method_405() -> None:
    assert_problem(call("GET", "/auth_api/nothing-here"), 404, "not_found")
    assert_problem(call("DELETE", "/auth_api/me"), 405, "method_not_allowed")


def test_cors_allows_the_configured_frontend_origin_only() -> None:
    allowed = "http://localhost:5173"
    preflight = call(
        "OPTIONS",
        "/auth_api/me",
        headers={
            "Origin": allowed,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == allowed
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    refused = call("GET", "/auth_api/me", headers={"Origin": allowed})
    assert refused.headers["Access-Control-Allow-Origin"] == allowed  # errors are readable too
    foreign = call("OPTIONS", "/auth_api/me", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_openapi_document_is_served_and_lists_every_route() -> None:
    from functions.auth.main import api

    document = call("GET", "/auth_api/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    listed = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    assert listed == {(route.openapi_path, route.method) for route in api.routes}


def test_a_token_issued_in_the_future_is_refused() -> None:
    token = create_user(create_tenant()).sign_in()
    claims = token_payload(token)
    future = forge(token, iat=claims["iat"] + 3600, exp=claims["exp"] + 3600)
    assert_problem(call("GET", "/auth_api/me", future), 401, "invalid_token")


def test_a_user_whose_tenant_does_not_exist_is_refused() -> None:
    user = create_user(unique("gone"))
    assert_problem(call("GET", "/auth_api/me", user.sign_in()), 403, "forbidden")
