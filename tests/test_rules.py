"""firestore.rules: default deny, and a tenant's users see only what the rules allow."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from functions.auth.payments import DEMANDS
from shared.contracts import CONTRACT, Contract
from shared.data_subjects import DATA_SUBJECT_REQUESTS
from shared.gcp import firestore_client
from shared.members import STAFF
from shared.tenancy import TENANTS
from tests.accounts import contract_terms
from tests.helpers import create_tenant, unique
from tests.rules import Browser, allowed


@contextmanager
def present(path: str, fields: dict[str, object]) -> Iterator[None]:
    """The document exists while the rules are tried: a real one (shared by the session,
    like the sub-processor list) is left as it is, one made for the test is removed after."""
    ref = firestore_client().document(path)
    made = not ref.get().exists
    if made:
        ref.set(fields)
    try:
        yield
    finally:
        if made:
            ref.delete()


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


# -- issue 11: the contract, payment demands, the request register, the staff register ---


def _contract_duties(tenant: str) -> list[str]:
    """Documents of issue 11 that only the functions read (admin credentials)."""
    db = firestore_client()
    root = db.collection(TENANTS).document(tenant)
    # A valid record: the nightly jobs and the notices of later tests read every contract.
    record = Contract.model_validate(contract_terms()).to_firestore()
    root.collection(CONTRACT[0]).document(CONTRACT[1]).set(record)
    root.collection(DEMANDS).document("d1").set({"invoice_number": "1"})
    root.collection(DATA_SUBJECT_REQUESTS).document("r1").set({"kind": "access"})
    db.collection(STAFF).document("alice").set({"status": "active", "role": "owner"})
    return [
        f"{TENANTS}/{tenant}/{'/'.join(CONTRACT)}",
        f"{TENANTS}/{tenant}/{DEMANDS}/d1",
        f"{TENANTS}/{tenant}/{DATA_SUBJECT_REQUESTS}/r1",
        f"{STAFF}/alice",
    ]


@pytest.mark.parametrize("role", ["admin", "professional", "owner"])
def test_contract_demands_requests_and_staff_records_are_closed_to_every_browser(
    tenant_a: str, role: str
) -> None:
    paths = _contract_duties(tenant_a)
    tenant = None if role == "owner" else tenant_a
    browser = Browser("alice", tenant, role)  # alice is also the staff record's holder
    for path in paths:
        assert not allowed(browser.get(path)), path
        assert not allowed(browser.write(path)), path
        assert not allowed(browser.delete(path)), path
        collection = path.rsplit("/", 1)[0]
        assert not allowed(browser.get(collection)), collection  # nor listed
    for path in paths:
        assert not allowed(SIGNED_OUT.get(path)), path


@pytest.mark.parametrize("role", ["admin", "professional"])
def test_a_pending_tenants_users_read_nothing_in_the_browser(role: str) -> None:
    """memberOf admits only an active tenant: pending (no DPA yet) reads nothing."""
    tenant = create_tenant()
    db = firestore_client()
    db.collection(TENANTS).document(tenant).update({"status": "pending"})
    db.collection(TENANTS).document(tenant).collection("users").document("alice").set(
        {"status": "active"}
    )
    browser = Browser("alice", tenant, role)
    for path in (f"{TENANTS}/{tenant}", f"{TENANTS}/{tenant}/users/alice"):
        assert not allowed(browser.get(path)), path
    db.collection(TENANTS).document(tenant).update({"status": "active"})
    assert allowed(browser.get(f"{TENANTS}/{tenant}"))  # the same user, once active


@pytest.mark.parametrize(
    "path",
    ["subprocessors/amazon-sns", "subprocessor_changes/c1", "subprocessor_changes/c1/objections/t"],
)
@pytest.mark.parametrize("role", [None, "admin", "owner"])
def test_the_sub_processor_list_and_changes_are_server_only(
    tenant_a: str, path: str, role: str | None
) -> None:
    # The public list is served by the API and the page; browsers read none of it directly.
    browser = SIGNED_OUT if role is None else Browser("alice", tenant_a, role)
    with present(path, {"name": "x"}):
        assert not allowed(browser.get(path))
        assert not allowed(browser.get(path.rsplit("/", 1)[0]))
        assert not allowed(browser.write(path, {"name": "y"}))


# -- issue 14: support tickets, their comments and the support desk are server-only -----


@pytest.mark.parametrize("role", ["admin", "professional", "owner", "support"])
def test_tickets_comments_and_the_support_desk_are_closed_to_every_browser(
    tenant_a: str, role: str
) -> None:
    db = firestore_client()
    ticket = db.collection(TENANTS).document(tenant_a).collection("tickets").document("t1")
    ticket.set({"reporter_uid": "alice", "tenant_id": tenant_a})
    ticket.collection("comments").document("c1").set({"author_uid": "alice"})
    paths = [
        f"{TENANTS}/{tenant_a}/tickets/t1",
        f"{TENANTS}/{tenant_a}/tickets/t1/comments/c1",
        "support_desk/settings",
    ]
    tenant = None if role in ("owner", "support") else tenant_a
    browser = Browser("alice", tenant, role)  # alice reported the ticket
    with present("support_desk/settings", {"lead_uid": "alice"}):  # the real lead stays
        for path in paths:
            assert not allowed(browser.get(path)), path
            assert not allowed(browser.write(path)), path
            assert not allowed(browser.delete(path)), path
            assert not allowed(browser.get(path.rsplit("/", 1)[0])), path


# -- issue 14: the status page's documents are server-only (the page reads them for all) -----


@pytest.mark.parametrize("role", ["admin", "professional", "owner", "support"])
def test_the_status_page_documents_are_closed_to_every_browser(tenant_a: str, role: str) -> None:
    db = firestore_client()
    db.document("status/summary").set({}, merge=True)  # the real one, if any, unchanged
    for collection in ("status_incidents", "status_maintenances", "status_changes"):
        db.document(f"{collection}/x1").set({"id": "x1"})
    paths = [
        "status/summary",
        "status_incidents/x1",
        "status_maintenances/x1",
        "status_changes/x1",
    ]
    tenant = None if role in ("owner", "support") else tenant_a
    browser = Browser("alice", tenant, role)
    for path in paths:
        assert not allowed(browser.get(path)), path
        assert not allowed(browser.write(path)), path
        assert not allowed(browser.delete(path)), path
        assert not allowed(browser.get(path.rsplit("/", 1)[0])), path


# -- issue 14 part 2: incidents, the rota, the breach register, the owner log: server-only --


@pytest.mark.parametrize("role", ["admin", "professional", "owner", "support"])
def test_incidents_the_rota_the_breach_register_and_the_owner_log_are_closed_to_every_browser(
    tenant_a: str, role: str
) -> None:
    # No documents are written: the rules refuse the paths themselves, and fakes in these
    # supplier-wide collections would disturb the chain other tests verify.
    paths = [
        "incidents/i1",
        f"incidents/i1/containments/{tenant_a}",
        "support_desk/rota",
        "breaches/b1",
        "breach_register/0000000001",
        "breach_register_head/head",
        "owner_log/l1",
    ]
    tenant = None if role in ("owner", "support") else tenant_a
    browser = Browser("alice", tenant, role)
    for path in paths:
        assert not allowed(browser.get(path)), path
        assert not allowed(browser.write(path)), path
        assert not allowed(browser.delete(path)), path
        assert not allowed(browser.get(path.rsplit("/", 1)[0])), path
