"""Erasing a terminated tenant (SPEC T-4; GDPR Art. 28(3)(g)) against the emulators."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.support.maintenance import tenant_deletion
from functions.support.maintenance.backups import snapshot
from functions.support.maintenance.backups.drills import remove_tenant
from functions.support.maintenance.tenant_deletion import (
    DELETIONS,
    erase_terminated_tenants,
)
from shared.erasure_ledger import LEDGER
from shared.exports import archive_name, exports_bucket
from shared.gcp import firestore_client
from shared.messaging.providers import Providers, default_providers
from tests.accounts import API, SECURITY, provision
from tests.helpers import call, emails_to
from tests.support.backups.test_backup_restore import build
from tests.support.backups.test_drills import nothing_of

pytestmark = pytest.mark.usefixtures("stack")


def terminated(owner: str) -> tuple[dict[str, Any], datetime]:
    """A tenant with documents at every depth, files and an account, then terminated."""
    created = provision(owner)
    slug = created["slug"]
    build(slug)
    exports_bucket().blob(archive_name(slug, "old")).upload_from_string(b"PK")
    firestore_client().collection(LEDGER).document(slug).collection("entries").document("d").set(
        {"kind": "client"}
    )
    reply = call("POST", f"{API}/tenants/{slug}/terminate", owner)
    assert reply.status_code == 200, reply.text
    return created, datetime.fromisoformat(reply.json()["export_available_until"])


def contract(slug: str) -> dict[str, Any]:
    found = firestore_client().document(f"tenants/{slug}/contract/record").get()
    return found.to_dict() or {}


def night(at: datetime, providers: Providers | None = None) -> None:
    erase_terminated_tenants(firestore_client(), at + timedelta(hours=2), lambda: at, providers)


def confirmations(address: str) -> list[dict[str, Any]]:
    return [m for m in emails_to(address) if "er slettet fra Trivsel" in m["subject"]]


def record(slug: str) -> dict[str, Any] | None:
    found = firestore_client().collection(DELETIONS).document(slug).get()
    return found.to_dict() if found.exists else None


def test_after_90_days_nothing_of_the_tenant_remains_and_the_customer_is_told(
    owner: str,
) -> None:
    created, until = terminated(owner)
    slug = created["slug"]
    dpa_contact = contract(slug)["dpa_contacts"][0]["email"]

    night(until - timedelta(minutes=1))
    assert record(slug) is None
    assert not nothing_of(slug)

    night(until)

    assert nothing_of(slug)
    assert not list(exports_bucket().list_blobs(prefix=f"{slug}/"))
    assert not firestore_client().collection(LEDGER).document(slug).get().exists
    assert not list(firestore_client().collection(LEDGER).document(slug).collections())
    kept = record(slug)
    assert kept is not None
    assert kept["basis"] == "export_period_over"
    assert kept["phase"] == "confirmed"
    assert kept["counts"]["documents"] >= 9
    assert kept["counts"]["objects"] == 2
    assert kept["counts"]["accounts"] == 1
    assert kept["counts"]["exports"] == 1
    assert kept["confirmations_sent"] == 2  # the DPA contact and the administrator
    assert "@" not in repr(kept)  # no address, no name is kept
    for address in (dpa_contact, created["admin_email"]):
        [mail] = confirmations(address)
        assert mail["subject"].startswith("Bekræftelse: data for Testkommune er slettet")
        assert "2 filer" in mail["body"]
        assert "1 brugerkonti" in mail["body"]


def test_a_confirmed_export_is_followed_by_deletion_the_next_night(owner: str) -> None:
    created, until = terminated(owner)
    slug = created["slug"]
    firestore_client().document(f"tenants/{slug}").update({"export_received_at": until})

    night(until - timedelta(days=80))

    assert nothing_of(slug)
    kept = record(slug)
    assert kept is not None
    assert kept["basis"] == "export_received"


def test_a_contract_that_says_delete_is_erased_the_first_night(owner: str) -> None:
    created, until = terminated(owner)
    slug = created["slug"]
    firestore_client().document(f"tenants/{slug}/contract/record").update(
        {"on_termination": "delete"}
    )

    night(until - timedelta(days=89))

    kept = record(slug)
    assert nothing_of(slug)
    assert kept is not None
    assert kept["basis"] == "contract_delete"


def test_a_suspended_tenant_past_90_days_is_untouched(owner: str) -> None:
    created = provision(owner)
    slug = created["slug"]
    build(slug)
    assert call("POST", f"{API}/tenants/{slug}/suspend", owner, json=SECURITY).status_code == 200
    before = sorted(p for p, _ in snapshot.documents(firestore_client(), slug))

    night(datetime.now().astimezone() + timedelta(days=400))

    assert record(slug) is None
    after = sorted(p for p, _ in snapshot.documents(firestore_client(), slug))
    assert after == before


class Dies:
    """An e-mail provider that dies after its first send, as a killed process would."""

    def __init__(self) -> None:
        self.sent = 0

    def send_email(self, to: str, subject: str, text: str, html: str) -> str:
        if self.sent:
            raise SystemExit("killed")
        self.sent += 1
        return default_providers().email.send_email(to, subject, text, html)


def test_a_deletion_killed_half_way_is_finished_the_next_night_each_mail_sent_once(
    owner: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    created, until = terminated(owner)
    slug = created["slug"]
    dpa_contact = contract(slug)["dpa_contacts"][0]["email"]
    removal = remove_tenant

    def killed_removing(db: Any, tenant_id: str) -> None:
        db.document(f"tenants/{tenant_id}/clients/c2").delete()
        raise SystemExit("killed")

    monkeypatch.setattr(tenant_deletion, "remove_tenant", killed_removing)
    with pytest.raises(SystemExit):
        night(until)
    assert (record(slug) or {})["phase"] == "counted"
    assert not nothing_of(slug)

    monkeypatch.setattr(tenant_deletion, "remove_tenant", removal)
    dies = Dies()
    with pytest.raises(SystemExit):
        night(until + timedelta(days=1), Providers(email=dies, sms=default_providers().sms))
    assert nothing_of(slug)
    assert (record(slug) or {})["phase"] == "removed"

    night(until + timedelta(days=2))

    kept = record(slug)
    assert kept is not None
    assert kept["phase"] == "confirmed"
    assert kept["started_at"] == until  # the first night's counts and dates stay
    assert len(confirmations(dpa_contact)) == len(confirmations(created["admin_email"])) == 1


def test_a_deleted_tenant_is_not_brought_back_from_the_backups_that_wait_to_age_out(
    owner: str,
) -> None:
    from functions.support.maintenance.backups.backup import backup_stamps, backup_tenant
    from functions.support.maintenance.jobstore import JOBS

    created, until = terminated(owner)
    slug = created["slug"]
    backup_tenant(firestore_client(), slug)
    night(until)
    assert nothing_of(slug)
    [stamp] = backup_stamps(slug)  # still there: backups age out within 30 days

    for body in ({"backup": stamp}, {"backup": stamp, "dry_run": True}):
        reply = call("POST", f"/support_api/tenants/{slug}/restores", owner, json=body)
        assert (reply.status_code, reply.json()["code"]) == (409, "tenant_deleted"), reply.text
    # The owner still sees what waits to age out; only restoring it is refused.
    points = call("GET", f"/support_api/tenants/{slug}/restore-points", owner)
    assert [b["stamp"] for b in points.json()["backups"]] == [stamp]
    from google.cloud.firestore_v1.base_query import FieldFilter

    by_tenant = FieldFilter("tenant_id", "==", slug)
    jobs = firestore_client().collection(JOBS).where(filter=by_tenant).get()
    assert [j.id for j in jobs if j.get("kind") == "restore"] == []
    assert nothing_of(slug)
