"""The breach register against the stack: the chain (a stored entry edited in Firestore
fails verification), append-only routes, the two clocks with their named Cloud Tasks
(the DPA's hours for the supplier, 72 hours from the delivered notice for the controller),
and what each tenant's administrator may read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.support.breaches.notices import handle
from functions.support.incidents.models import SupportTask
from shared.gcp import firestore_client, queue_path, tasks_client
from tests.accounts import DPA, activate, add_professional, contract_terms, problem, provision
from tests.helpers import call, emails_to, token_payload, wait_until
from tests.support.incidents_helpers import API

pytestmark = pytest.mark.usefixtures("stack")


def _tenant(owner: str, hours: int | None = None) -> dict[str, Any]:
    terms = contract_terms()
    created = provision(owner, seats=2, contract=terms, dpa=False)
    dpa = {**DPA, **({"breach_notice_hours": hours} if hours else {})}
    recorded = call("POST", f"/auth_api/tenants/{created['slug']}/dpa", owner, json=dpa)
    assert recorded.status_code == 200, recorded.text
    created["admin_token"] = activate(created["admin_email"])
    pro = add_professional(created["admin_token"])
    return {
        **created,
        "dpa_email": terms["dpa_contacts"][0]["email"],
        "pro_token": activate(pro["email"]),
    }


def _affected(slug: str, notify: bool, **extra: Any) -> dict[str, Any]:
    return {
        "tenant_id": slug,
        "subject_categories": ["klienter", "kontaktpersoner"],
        "approx_subjects": 40,
        "data_categories": ["navne", "besvarelser"],
        "approx_records": 300,
        "notify": notify,
        "reasoning": "Risiko for de registrerede" if notify else "Kun pseudonymiserede data",
        **extra,
    }


def _open(owner: str, *parts: dict[str, Any], aware: datetime | None = None) -> dict[str, Any]:
    aware = aware or datetime.now(UTC) - timedelta(minutes=30)
    body = {
        "detected_at": (aware - timedelta(hours=1)).isoformat(),
        "aware_at": aware.isoformat(),
        "nature": "Uvedkommende adgang til en fagpersons konto",
        "likely_consequences": "Klienters besvarelser kan være læst",
        "measures": "Alle brugere logget ud, adgangskoder nulstillet",
        "tenants": list(parts),
    }
    reply = call("POST", f"{API}/breaches", owner, json=body)
    assert reply.status_code == 201, reply.text
    found: dict[str, Any] = reply.json()
    return found


@pytest.fixture
def two(owner: str) -> dict[str, Any]:
    return {"a": _tenant(owner, hours=12), "b": _tenant(owner)}


def _queued() -> set[str]:
    return {
        t.name.rsplit("/", 1)[1]
        for t in tasks_client().list_tasks(parent=queue_path("incident-tasks"))
    }


def _task(kind: str, breach: dict[str, Any], slug: str, step: int) -> SupportTask:
    return SupportTask.model_validate(
        {"kind": kind, "breach_id": breach["id"], "tenant_id": slug, "step": step}
    )


def _part(breach: dict[str, Any], slug: str) -> dict[str, Any]:
    return next(p for p in breach["tenants"] if p["tenant_id"] == slug)


def test_the_chain_verifies_appends_and_an_edited_entry_fails(
    owner: str, two: dict[str, Any]
) -> None:
    breach = _open(owner, _affected(two["a"]["slug"], True))
    update = call(
        "POST",
        f"{API}/breaches/{breach['id']}/updates",
        owner,
        json={"text": "Fase 2: omfang kendt"},
    )
    assert update.status_code == 201, update.text
    assert [u["text"] for u in update.json()["updates"]] == ["Fase 2: omfang kendt"]
    export = call("GET", f"{API}/breach-register/export", owner).json()
    assert export["verification"]["ok"] is True
    mine = [e for e in export["entries"] if e["breach_id"] == breach["id"]]
    pairs = zip(export["entries"], export["entries"][1:], strict=False)
    assert all(e["prev_hash"] == p["hash"] for p, e in pairs)
    assert len(mine) == 2

    db = firestore_client()
    ref = db.collection("breach_register").document(f"{mine[0]['seq']:010d}")
    original = ref.get().to_dict()
    assert original is not None
    try:
        ref.update({"body": original["body"].replace("Uvedkommende", "Ingen")})
        broken = call("GET", f"{API}/breach-register/export", owner).json()["verification"]
        assert broken["ok"] is False
        assert broken["first_bad_seq"] == mine[0]["seq"]
    finally:
        ref.set(original)
    assert call("GET", f"{API}/breach-register/export", owner).json()["verification"]["ok"] is True
    # there is no route that changes or removes an entry or a breach
    for method in ("PUT", "PATCH", "DELETE"):
        assert call(method, f"{API}/breaches/{breach['id']}", owner).status_code == 405
        assert call(method, f"{API}/breaches/{breach['id']}/updates", owner).status_code == 405


def test_the_notice_clock_reminds_until_delivered_and_the_controller_s_72_hours_run_from_delivery(
    owner: str, two: dict[str, Any]
) -> None:
    a, b = two["a"], two["b"]
    aware = datetime.now(UTC) - timedelta(minutes=30)
    breach = _open(owner, _affected(a["slug"], True), _affected(b["slug"], False), aware=aware)
    part = _part(breach, a["slug"])
    assert datetime.fromisoformat(part["notice_due_at"]) == aware + timedelta(hours=12)  # the DPA's
    assert datetime.fromisoformat(_part(breach, b["slug"])["notice_due_at"]) == aware + timedelta(
        hours=24
    )
    assert {f"breach-{breach['id']}-{a['slug']}-notice-{n}" for n in (1, 2)} <= _queued()
    assert not [n for n in _queued() if n.startswith(f"breach-{breach['id']}-{b['slug']}")]

    db = firestore_client()
    half = aware + timedelta(hours=6)
    owner_email = token_payload(owner)["email"]
    assert (
        handle(db, _task("notice_reminder", breach, a["slug"], 1), half - timedelta(minutes=1)).done
        == "not_due"
    )
    assert handle(db, _task("notice_reminder", breach, a["slug"], 1), half).done == "reminded"
    assert handle(db, _task("notice_reminder", breach, a["slug"], 1), half).done == "already_sent"
    [reminder] = wait_until(
        lambda: [
            m
            for m in emails_to(owner_email)
            if breach["id"] in m["body"] and "Påmindelse" in m["subject"]
        ]
    )
    assert reminder["subject"].startswith("Påmindelse: underretningen om brud")

    problem(
        call("POST", f"{API}/breaches/{breach['id']}/notices/{b['slug']}", owner),
        409,
        "invalid_transition",
    )
    sent = call("POST", f"{API}/breaches/{breach['id']}/notices/{a['slug']}", owner)
    assert sent.status_code == 200, sent.text
    for address in (a["dpa_email"], a["admin_email"]):

        def notices_to(to: str = address) -> list[dict[str, Any]]:
            return [m for m in emails_to(to) if breach["id"] in m["body"]]

        [notice] = wait_until(notices_to)
        assert notice["subject"].startswith("Brud på persondatasikkerheden hos Trivsel")
        assert "72 timer" in notice["body"]
    assert not [m for m in emails_to(b["dpa_email"]) if breach["id"] in m["body"]]

    def delivered() -> dict[str, Any]:
        seen = call("GET", f"{API}/tenant/breaches/{breach['id']}", a["admin_token"]).json()
        return seen if _part(seen, a["slug"])["delivered_at"] else {}

    mine = _part(wait_until(delivered), a["slug"])
    at = datetime.fromisoformat(mine["delivered_at"])
    assert datetime.fromisoformat(mine["controller_due_at"]) == at + timedelta(hours=72)
    final = aware + timedelta(hours=10)
    assert handle(db, _task("notice_reminder", breach, a["slug"], 2), final).done == "delivered"
    assert {f"breach-{breach['id']}-{a['slug']}-controller-{h}" for h in (24, 48, 66)} <= _queued()

    task = _task("controller_reminder", breach, a["slug"], 24)
    assert handle(db, task, at + timedelta(hours=23, minutes=59)).done == "not_due"
    for hours in (24, 48, 66):
        task = _task("controller_reminder", breach, a["slug"], hours)
        assert handle(db, task, at + timedelta(hours=hours)).done == "reminded"
        assert handle(db, task, at + timedelta(hours=hours, minutes=5)).done == "already_sent"
    subjects = wait_until(
        lambda: (
            sorted(
                m["subject"]
                for m in emails_to(a["admin_email"])
                if breach["id"] in m["body"] and "Påmindelse" in m["subject"]
            )
            if len([m for m in emails_to(a["admin_email"]) if "Påmindelse" in m["subject"]]) >= 3
            else []
        )
    )
    assert [s.split(" timer")[0] for s in subjects] == [
        "Påmindelse: 24",
        "Påmindelse: 48",
        "Påmindelse: 6",
    ]
    seen = call("GET", f"{API}/tenant/breaches/{breach['id']}", a["admin_token"]).json()
    assert _part(seen, a["slug"])["controller_reminders"] == [24, 48, 66]
    kinds = [
        e["body"]
        for e in call("GET", f"{API}/breach-register/export", owner).json()["entries"]
        if e["breach_id"] == breach["id"]
    ]
    assert ['"kind":"notice_delivered"' in k for k in kinds].count(True) == 1


def test_each_administrator_reads_only_their_own_part_and_professionals_nothing(
    owner: str, two: dict[str, Any]
) -> None:
    a, b = two["a"], two["b"]
    only_a = _open(owner, _affected(a["slug"], True, audit_since="2026-01-01T00:00:00Z"))
    both = _open(owner, _affected(a["slug"], True), _affected(b["slug"], False))
    listed = call("GET", f"{API}/tenant/breaches", b["admin_token"]).json()["breaches"]
    assert [x["id"] for x in listed if x["id"] in (only_a["id"], both["id"])] == [both["id"]]
    [shown] = [x for x in listed if x["id"] == both["id"]]
    assert shown["tenant_ids"] == [b["slug"]]
    assert [p["tenant_id"] for p in shown["tenants"]] == [b["slug"]]
    problem(
        call("GET", f"{API}/tenant/breaches/{only_a['id']}", b["admin_token"]), 404, "not_found"
    )
    for path in (
        "/tenant/breaches",
        f"/tenant/breaches/{both['id']}",
        "/tenant/record-of-processing",
    ):
        problem(call("GET", f"{API}{path}", a["pro_token"]), 403, "forbidden")
    for path in (
        "/breaches",
        "/breach-register/export",
        f"/tenants/{a['slug']}/record-of-processing",
    ):
        problem(call("GET", f"{API}{path}", b["admin_token"]), 403, "forbidden")


def test_the_affected_people_come_from_the_access_audit_trail(
    owner: str, two: dict[str, Any]
) -> None:
    from tests.content import new_client

    a = two["a"]
    since = datetime.now(UTC) - timedelta(seconds=1)
    client = new_client(a["pro_token"], "Ida Jensen")
    assert call("GET", f"/clients_api/clients/{client['id']}", a["pro_token"]).status_code == 200
    pro_uid = token_payload(a["pro_token"])["user_id"]
    breach = _open(
        owner, _affected(a["slug"], True, audit_since=since.isoformat(), audit_user_uid=pro_uid)
    )
    [person] = _part(breach, a["slug"])["people"]
    assert person["client_id"] == client["id"]
    assert person["accesses"] >= 2  # created and read
    nobody = _open(owner, _affected(a["slug"], True, audit_user_uid="someone-else"))
    assert _part(nobody, a["slug"])["people"] == []


def test_a_breach_naming_an_unknown_tenant_or_bad_times_is_refused_and_writes_nothing(
    owner: str, two: dict[str, Any]
) -> None:
    before = len(firestore_client().collection("breaches").get())
    reply = call(
        "POST",
        f"{API}/breaches",
        owner,
        json={
            "detected_at": "2026-01-02T00:00:00Z",
            "aware_at": "2026-01-01T00:00:00Z",
            "nature": "x",
            "likely_consequences": "x",
            "measures": "x",
            "tenants": [_affected(two["a"]["slug"], True)],
        },
    )
    problem(reply, 422, "validation_failed")
    body = {
        "detected_at": "2026-01-01T00:00:00Z",
        "aware_at": "2026-01-01T01:00:00Z",
        "nature": "x",
        "likely_consequences": "x",
        "measures": "x",
        "tenants": [_affected("no-such-tenant", True)],
    }
    problem(call("POST", f"{API}/breaches", owner, json=body), 422, "unknown_tenant")
    problem(call("POST", f"{API}/breaches", two["a"]["admin_token"], json=body), 403, "forbidden")
    assert len(firestore_client().collection("breaches").get()) == before
