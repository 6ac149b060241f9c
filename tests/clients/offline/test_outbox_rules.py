"""firestore.rules for the app's offline outbox (tenants/{t}/sync_outbox/{uid}-{record}):
only an active member of an active tenant adds their own records; nobody reads, changes or
deletes one through the browser. Attack tests with the rules harness (tests/rules.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shared.gcp import firestore_client
from shared.offline import OUTBOX
from shared.tenancy import TENANTS
from tests.helpers import create_tenant, unique
from tests.rules import Browser, allowed

pytestmark = pytest.mark.usefixtures("stack")


@pytest.fixture
def tenants() -> tuple[str, str]:
    db = firestore_client()
    made = create_tenant(), create_tenant()
    for tenant in made:
        users = db.collection(TENANTS).document(tenant).collection("users")
        users.document("alice").set({"status": "active"})
        users.document("bob").set({"status": "active"})
    return made


def _record(uid: str, record: str, **extra: Any) -> dict[str, Any]:
    return {
        "uid": uid,
        "id": record,
        "kind": "log_entry",
        "device_time": datetime.now(UTC),
        "client_id": "c1",
        "text": "x",
    } | extra


def _path(tenant: str, uid: str, record: str) -> str:
    return f"{TENANTS}/{tenant}/{OUTBOX}/{uid}-{record}"


@pytest.mark.parametrize("role", ["admin", "professional"])
def test_an_active_member_adds_their_own_record_and_nothing_else(
    tenants: tuple[str, str], role: str
) -> None:
    a, _ = tenants
    alice = Browser("alice", a, role)
    record = unique("rec")
    assert allowed(alice.write(_path(a, "alice", record), _record("alice", record)))
    # Once in, it is the server's: not read back, changed or removed from the browser.
    assert not allowed(alice.get(_path(a, "alice", record)))
    assert not allowed(alice.write(_path(a, "alice", record), _record("alice", record)))
    assert not allowed(alice.delete(_path(a, "alice", record)))
    assert not allowed(alice.get(f"{TENANTS}/{a}/{OUTBOX}"))


def test_nobody_writes_into_another_users_outbox(tenants: tuple[str, str]) -> None:
    a, _ = tenants
    bob = Browser("bob", a, "admin")
    record = unique("rec")
    as_alice = _record("alice", record)
    assert not allowed(bob.write(_path(a, "alice", record), as_alice))  # her id, her uid
    assert not allowed(bob.write(_path(a, "alice", record), _record("bob", record)))
    assert not allowed(bob.write(_path(a, "bob", record), as_alice))  # his id, her uid
    assert not allowed(bob.write(_path(a, "bob", unique("other")), _record("bob", record)))


def test_another_tenants_member_writes_into_no_outbox_of_this_tenant(
    tenants: tuple[str, str],
) -> None:
    a, b = tenants
    record = unique("rec")
    intruder = Browser("alice", b, "professional")  # same uid, the other tenant's token
    assert not allowed(intruder.write(_path(a, "alice", record), _record("alice", record)))
    assert not allowed(Browser().write(_path(a, "alice", record), _record("alice", record)))
    owner = Browser("alice", None, "owner")
    assert not allowed(owner.write(_path(a, "alice", record), _record("alice", record)))


def test_a_deactivated_member_or_a_suspended_tenant_writes_nothing(
    tenants: tuple[str, str],
) -> None:
    a, b = tenants
    db = firestore_client()
    db.collection(TENANTS).document(a).collection("users").document("alice").update(
        {"status": "deactivated"}
    )
    db.collection(TENANTS).document(b).update({"status": "suspended"})
    for tenant in (a, b):
        record = unique("rec")
        alice = Browser("alice", tenant, "professional")
        assert not allowed(alice.write(_path(tenant, "alice", record), _record("alice", record)))


def test_a_record_of_an_unknown_kind_or_with_other_fields_is_refused(
    tenants: tuple[str, str],
) -> None:
    a, _ = tenants
    alice = Browser("alice", a, "professional")
    for extra in ({"kind": "delete_client"}, {"status": "applied"}):
        record = unique("rec")
        assert not allowed(
            alice.write(_path(a, "alice", record), _record("alice", record, **extra))
        )


def test_a_record_missing_what_its_kind_needs_or_of_the_wrong_types_is_refused(
    tenants: tuple[str, str],
) -> None:
    a, _ = tenants
    alice = Browser("alice", a, "professional")
    now = datetime.now(UTC)
    well_formed = {
        "log_entry": {},
        "client_field": {
            "kind": "client_field",
            "field": "notes",
            "value": "v",
            "base_value": "b",
            "base_version": now,
        },
    }
    malformed: list[dict[str, Any]] = [
        {"device_time": "yesterday"},  # a timestamp, not text
        {"text": 7},
        {"client_id": {"id": "c1"}},
        {"kind": "client_field", "field": "notes", "value": 1, "base_version": now},
        {"kind": "client_field", "field": "role", "value": "admin", "base_version": now},
        {"kind": "exercise_scheduled", "course_ref": "k1", "item_id": "i0"},  # no date
    ]
    for extra in well_formed.values():
        record = unique("rec")
        assert allowed(alice.write(_path(a, "alice", record), _record("alice", record, **extra)))
    for extra in malformed:
        record = unique("rec")
        assert not allowed(
            alice.write(_path(a, "alice", record), _record("alice", record, **extra))
        ), extra
    for missing in ("device_time", "client_id", "text"):
        record = unique("rec")
        doc = {k: v for k, v in _record("alice", record).items() if k != missing}
        assert not allowed(alice.write(_path(a, "alice", record), doc)), missing
