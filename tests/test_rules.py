"""firestore.rules: default deny, and a tenant's users see only what the rules allow."""

from __future__ import annotations

import pytest

from shared.gcp import firestore_client
from shared.tenancy import TENANTS
from tests.helpers import create_tenant, unique
from tests.rules import Browser, allowed

pytestmark = pytest.mark.usefixtures("stack")


@pytest.fixture
def tenant_a() -> str:
    tenant = create_tenant()
    db = firestore_client()
    users = db.collection(TENANTS).document(tenant).collection("users")
    users.document("alice").set({"status": "active"})
    users.document("bob").set({"status": "active"})
    db.collection(TENANTS).document(tenant).collection("events").document("e1").set({"x": 1})
    db.collection("anything").document("doc").set({"x": 1})
    return tenant


SIGNED_OUT = Browser()


@pytest.mark.parametrize("path", ["anything/doc", "anything", f"{unique('x')}/y/z/w"])
@pytest.mark.parametrize("role", [None, "admin", "professional", "owner"])
def test_default_deny_on_an_arbitrary_path(tenant_a: str, path: str, role: str | None) -> None:
    browser = SIGNED_OUT if role is None else Browser("alice", tenant_a, role)
    assert not allowed(browser.get(path))
    assert not allowed(browser.write(path if path.count("/") % 2 else f"{path}/d"))
    assert not allowed(browser.delete(path if path.count("/") % 2 else f"{path}/d"))


def test_members_read_their_tenant_document_and_nobody_writes_it(tenant_a: str) -> None:
    member = Browser("alice", tenant_a, "professional")
    assert allowed(member.get(f"{TENANTS}/{tenant_a}"))
    assert not allowed(member.write(f"{TENANTS}/{tenant_a}", {"status": "active"}))
    assert not allowed(Browser("alice", tenant_a, "admin").write(f"{TENANTS}/{tenant_a}"))
    assert not allowed(member.delete(f"{TENANTS}/{tenant_a}"))
    assert not allowed(member.get(TENANTS))


def test_a_user_reads_their_own_profile_only(tenant_a: str) -> None:
    alice = Browser("alice", tenant_a, "professional")
    bob = Browser("bob", tenant_a, "professional")
    assert allowed(alice.get(f"{TENANTS}/{tenant_a}/users/alice"))
    assert not allowed(bob.get(f"{TENANTS}/{tenant_a}/users/alice"))
    assert not allowed(alice.write(f"{TENANTS}/{tenant_a}/users/alice", {"role": "admin"}))
    assert not allowed(alice.get(f"{TENANTS}/{tenant_a}/users"))


@pytest.mark.parametrize("role", ["admin", "professional"])
def test_another_tenants_users_reach_nothing_of_tenant_a(tenant_a: str, role: str) -> None:
    tenant_b = create_tenant()
    intruder = Browser("alice", tenant_b, role)  # same uid, other tenant
    for path in (
        f"{TENANTS}/{tenant_a}",
        f"{TENANTS}/{tenant_a}/users/alice",
        f"{TENANTS}/{tenant_a}/events/e1",
    ):
        assert not allowed(intruder.get(path)), path
        assert not allowed(intruder.write(path)), path
        assert not allowed(intruder.delete(path)), path


def test_a_token_without_a_tenant_or_with_an_unknown_role_reads_nothing(tenant_a: str) -> None:
    assert not allowed(Browser("alice", None, "admin").get(f"{TENANTS}/{tenant_a}"))
    assert not allowed(Browser("alice", tenant_a, "client").get(f"{TENANTS}/{tenant_a}"))


def test_the_event_log_and_messages_are_not_browser_readable_or_writable(tenant_a: str) -> None:
    admin = Browser("alice", tenant_a, "admin")
    for path in (f"{TENANTS}/{tenant_a}/events/e1", f"{TENANTS}/{tenant_a}/messages/m1"):
        assert not allowed(admin.get(path))
        assert not allowed(admin.write(path))


def test_a_session_ended_since_it_began_reads_nothing(tenant_a: str) -> None:
    """A token from before a password change or a sign-out everywhere: refused by the
    rules as by the functions (the member record's tokens_valid_after)."""
    import time
    from datetime import UTC, datetime

    db = firestore_client()
    ended = datetime.fromtimestamp(int(time.time()) - 60, tz=UTC)
    db.collection(TENANTS).document(tenant_a).collection("users").document("alice").update(
        {"tokens_valid_after": ended}
    )
    before = Browser("alice", tenant_a, "admin", {"auth_time": int(ended.timestamp()) - 600})
    after = Browser("alice", tenant_a, "admin", {"auth_time": int(ended.timestamp()) + 1})
    for path in (f"{TENANTS}/{tenant_a}", f"{TENANTS}/{tenant_a}/users/alice"):
        assert not allowed(before.get(path)), path
        assert allowed(after.get(path)), path


def test_without_the_required_second_factor_a_user_reads_nothing(tenant_a: str) -> None:
    firestore_client().collection(TENANTS).document(tenant_a).update(
        {"sign_in": {"mfa_required": True}}
    )
    plain = Browser("alice", tenant_a, "admin")
    second = {"sign_in_provider": "password", "identities": {}, "sign_in_second_factor": "phone"}
    with_code = Browser("alice", tenant_a, "admin", {"firebase": second})
    for path in (f"{TENANTS}/{tenant_a}", f"{TENANTS}/{tenant_a}/users/bob"):
        assert not allowed(plain.get(path)), path
        assert allowed(with_code.get(path)), path
    assert not allowed(plain.get(f"{TENANTS}/{tenant_a}/users"))  # nor lists the users


@pytest.mark.parametrize(
    "path",
    ["subprocessors/amazon-sns", "subprocessor_changes/c1", "subprocessor_changes/c1/objections/t"],
)
@pytest.mark.parametrize("role", [None, "admin", "owner"])
def test_the_sub_processor_list_and_changes_are_server_only(
    tenant_a: str, path: str, role: str | None
) -> None:
    # The public list is served by the API and the page; browsers read none of it directly.
    firestore_client().document(path).set({"name": "x"})
    browser = SIGNED_OUT if role is None else Browser("alice", tenant_a, role)
    assert not allowed(browser.get(path))
    assert not allowed(browser.get(path.rsplit("/", 1)[0]))
    assert not allowed(browser.write(path, {"name": "y"}))
