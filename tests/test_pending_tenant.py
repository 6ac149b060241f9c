"""Attack: a pending tenant (no DPA yet, SPEC K-2) reaches no client data through any route.

Every route of clients_api and remote_tasks_api that a tenant's user may call is tried
by the pending tenant's administrator and by its professional: each answers 403
`dpa_missing`, whatever the method, and no client, remote task or request is written.
(The browser's side, under firestore.rules, is in tests/test_rules.py.)
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from functions.clients.main import api as clients_api
from functions.tasks.main import api as remote_tasks_api
from shared.gcp import firestore_client
from shared.http import Api
from shared.principal import Role
from shared.tenancy import TenantData
from tests.accounts import activate, add_professional, problem, provision
from tests.helpers import call

pytestmark = pytest.mark.usefixtures("stack")
TENANT_ROLES = {Role.ADMIN, Role.PROFESSIONAL}
APIS: dict[str, Api] = {"/clients_api": clients_api, "/remote_tasks_api": remote_tasks_api}


def _tenant_routes() -> list[tuple[str, str, str]]:
    """(function, method, path with every parameter filled) of each route a tenant's
    user may call."""
    found = []
    for prefix, api in APIS.items():
        for route in api.routes:
            if route.roles is None or not route.roles & TENANT_ROLES:
                continue
            path = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", "x1", route.path)
            found.append((prefix, route.method, path))
    return found


ROUTES = _tenant_routes()


def test_the_table_holds_every_client_and_remote_task_route() -> None:
    # A route added later is in the table by construction; this guards the filter.
    assert len({r for r in ROUTES if r[0] == "/clients_api"}) >= 25
    assert ("/clients_api", "POST", "/clients") in ROUTES
    assert ("/remote_tasks_api", "POST", "/clients/x1/courses/x1/items/x1/remote-tasks") in ROUTES


@pytest.fixture(scope="module")
def pending(owner: str) -> dict[str, Any]:
    created = provision(owner, dpa=False)
    assert created["tenant"]["status"] == "pending"
    admin = activate(created["admin_email"])
    pro = activate(add_professional(admin)["email"])
    return {"slug": created["slug"], Role.ADMIN: admin, Role.PROFESSIONAL: pro}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PROFESSIONAL])
@pytest.mark.parametrize(("prefix", "method", "path"), ROUTES)
def test_every_route_answers_dpa_missing_to_a_pending_tenants_user(
    pending: dict[str, Any], role: Role, prefix: str, method: str, path: str
) -> None:
    kwargs: dict[str, Any] = {} if method in ("GET", "DELETE") else {"json": {}}
    problem(call(method, prefix + path, pending[role], **kwargs), 403, "dpa_missing")
    if method != "GET":
        data = TenantData(firestore_client(), pending["slug"])
        for collection in ("clients", "remote_tasks", "data_subject_requests"):
            assert not data.collection(collection).limit(1).get(), collection
