"""Clients, pseudonyms, the catalogue, courses, calendars, logs and GDPR (SPEC C-1 ... C-7)."""

from __future__ import annotations

import base64
import json
import os
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from cryptography.exceptions import InvalidTag

from functions.clients.models import Export
from shared.gcp import firestore_client
from shared.storage import uploads_bucket
from shared.tenancy import TENANTS
from tests.accounts import activate, active_tenant, add_professional, problem
from tests.content import CLIENT, new_client
from tests.helpers import call, unique
from tests.rules import Browser, allowed

pytestmark = pytest.mark.usefixtures("stack")
API = "/clients_api"


# -- clients (C-1, C-3) --------------------------------------------------------------------------


def test_create_read_update_a_client(org: dict[str, Any]) -> None:
    token = org["pro_token"]
    created = new_client(token)
    assert created["profile"]["institution"] == "Skovlyskolen 4.b"
    assert created["contacts"][0]["relation"] == "mor"
    read = call("GET", f"{API}/clients/{created['id']}", token).json()
    assert read["profile"] == created["profile"]
    assert read["consent"]["scope"].startswith("Forløb om angst")
    changed = call(
        "PATCH",
        f"{API}/clients/{created['id']}",
        token,
        json={"contacts": [{"name": "Per Jensen", "relation": "far", "phone": "+4511223344"}]},
    )
    assert changed.status_code == 200, changed.text
    assert [c["name"] for c in changed.json()["contacts"]] == ["Per Jensen"]
    assert changed.json()["profile"]["name"] == "Ida Jensen"


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"profile": {"name": ""}}, {"profile.name"}),
        ({"profile": {"name": "X", "birth_date": "2999-01-01"}}, {"profile"}),
        ({"profile": {"name": "X", "gender": "robot"}}, {"profile.gender"}),
        ({"contacts": [{"name": "M", "relation": "mor", "email": "nope"}]}, {"contacts.0.email"}),
        ({"contacts": [{"name": "M", "relation": "mor", "phone": "123"}]}, {"contacts.0.phone"}),
        ({"consent": {"given_by": "M", "scope": "x"}}, {"consent.given_at"}),
        ({"profile": {"name": "X"}, "secret": 1}, {"secret"}),
    ],
)
def test_invalid_client_data_is_refused_field_by_field(
    org: dict[str, Any], change: dict[str, Any], fields: set[str]
) -> None:
    body = {**CLIENT, **change}
    reply = call("POST", f"{API}/clients", org["pro_token"], json=body)
    found = problem(reply, 422, "validation_failed")
    assert {e["field"] for e in found["errors"]} == fields
    listing = call("GET", f"{API}/clients", org["pro_token"]).json()
    assert listing["clients"] == []


def test_search_by_name_prefix_with_cursor_paging(org: dict[str, Any]) -> None:
    token = org["pro_token"]
    for name in ("Anna Berg", "Anders Holm", "Asger Lund", "Bo Ravn"):
        new_client(token, name)
    first = call("GET", f"{API}/clients", token, params={"q": "a", "limit": 2}).json()
    assert [c["name"] for c in first["clients"]] == ["Anders Holm", "Anna Berg"]
    rest = call(
        "GET",
        f"{API}/clients",
        token,
        params={"q": "a", "limit": 2, "cursor": first["next_cursor"]},
    ).json()
    assert [c["name"] for c in rest["clients"]] == ["Asger Lund"]
    assert rest["next_cursor"] is None
    assert len(call("GET", f"{API}/clients", token).json()["clients"]) == 4
    problem(call("GET", f"{API}/clients", token, params={"limit": 0}), 422, "validation_failed")
    problem(
        call("GET", f"{API}/clients", token, params={"cursor": "nope"}), 422, "validation_failed"
    )


def test_unknown_and_deleted_clients_are_not_found(org: dict[str, Any]) -> None:
    token = org["pro_token"]
    problem(call("GET", f"{API}/clients/{unique('x')}", token), 404, "not_found")
    gone = new_client(token)
    assert call("DELETE", f"{API}/clients/{gone['id']}", token).status_code == 200
    for method, path in [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/pseudonymise"),
        ("GET", "/log"),
    ]:
        body = {"consent": CLIENT["consent"]} if method == "PATCH" else None
        problem(
            call(method, f"{API}/clients/{gone['id']}{path}", token, json=body), 404, "not_found"
        )


# -- pseudonymisation (C-2) ------------------------------------------------------------------------


def test_pseudonymise_search_reveal_to_admin_and_reverse(org: dict[str, Any]) -> None:
    pro, admin = org["pro_token"], org["admin_token"]
    client = new_client(pro, "Karla Holm")
    hidden = call("POST", f"{API}/clients/{client['id']}/pseudonymise", pro).json()
    pseudonym = hidden["profile"]["name"]
    assert pseudonym.startswith("Klient-")
    assert hidden["pseudonymised"] is True
    assert hidden["contacts"] == []
    assert "Karla" not in json.dumps(hidden)
    # Stored: only the pseudonym in clear; the originals sealed.
    stored = firestore_client().document(TENANTS, org["slug"], "clients", client["id"]).get()
    assert "Karla" not in json.dumps(stored.to_dict(), default=str)
    assert "Mette" not in json.dumps(stored.to_dict(), default=str)

    found = call("GET", f"{API}/clients", pro, params={"q": pseudonym[:9]}).json()["clients"]
    assert [c["id"] for c in found] == [client["id"]]
    assert call("GET", f"{API}/clients", pro, params={"q": "Karla"}).json()["clients"] == []

    problem(call("GET", f"{API}/clients/{client['id']}/identity", pro), 403, "forbidden")
    identity = call("GET", f"{API}/clients/{client['id']}/identity", admin).json()
    assert identity["profile"]["name"] == "Karla Holm"
    assert identity["contacts"][0]["email"] == "mette@example.dk"
    problem(call("POST", f"{API}/clients/{client['id']}/pseudonymise", pro), 409, "pseudonymised")
    problem(call("POST", f"{API}/clients/{client['id']}/reverse-pseudonym", pro), 403, "forbidden")

    # A professional, who sees only the pseudonym, cannot overwrite the sealed originals ...
    edit = {"profile": {**CLIENT["profile"], "name": "Karla H. Holm"}}
    before = call("GET", f"{API}/clients/{client['id']}/identity", admin).json()
    problem(call("PATCH", f"{API}/clients/{client['id']}", pro, json=edit), 409, "pseudonymised")
    assert call("GET", f"{API}/clients/{client['id']}/identity", admin).json() == before
    # ... the administrator can, and nothing of it shows in clear.
    changed = call("PATCH", f"{API}/clients/{client['id']}", admin, json=edit)
    assert changed.status_code == 200, changed.text
    assert "Karla" not in changed.text
    assert "Skovlyskolen" not in changed.text
    stored = firestore_client().document(TENANTS, org["slug"], "clients", client["id"]).get()
    for secret in ("Karla", "Skovlyskolen", "2014-03-02", "fremlæggelser", "Mette"):
        assert secret not in json.dumps(stored.to_dict(), default=str), secret
    assert (
        call("GET", f"{API}/clients/{client['id']}/identity", admin).json()["profile"]["name"]
        == "Karla H. Holm"
    )

    back = call("POST", f"{API}/clients/{client['id']}/reverse-pseudonym", admin).json()
    assert back["profile"]["name"] == "Karla H. Holm"
    assert back["pseudonymised"] is False
    assert back["contacts"][0]["name"] == "Mette Jensen"
    problem(call("GET", f"{API}/clients/{client['id']}/identity", admin), 409, "invalid_transition")


def test_sealed_data_does_not_open_under_another_record_or_tenant(
    org: dict[str, Any], owner: str
) -> None:
    from shared import crypto
    from shared.tenancy import TenantData

    pro = org["pro_token"]
    one, two = new_client(pro, "Et Barn"), new_client(pro, "To Barn")
    call("POST", f"{API}/clients/{one['id']}/pseudonymise", pro)
    data = TenantData(firestore_client(), org["slug"])
    sealed = data.document("clients", one["id"]).get().get("sealed_identity")
    with pytest.raises(InvalidTag):
        crypto.open_sealed(data, sealed, f"{org['slug']}/clients/{two['id']}")
    other = TenantData(firestore_client(), active_tenant(owner)["slug"])
    with pytest.raises(InvalidTag):  # its own data key is another one
        crypto.open_sealed(other, sealed, f"{org['slug']}/clients/{one['id']}")


# -- catalogue (C-4) -------------------------------------------------------------------------------


def test_a_tenant_sees_only_its_licensed_focus_areas(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    pro = org["pro_token"]
    overview = call("GET", f"{API}/catalogue", pro).json()
    assert [a["id"] for a in overview["focus_areas"]] == [catalogue["area"]]
    area = overview["focus_areas"][0]
    assert {c["id"] for c in area["courses"]} == {catalogue["course"]}
    assert {e["id"] for e in area["exercises"]} == {catalogue["memory"], catalogue["reflection"]}
    problem(
        call("GET", f"{API}/catalogue/exercises/{catalogue['foreign']}", pro), 403, "not_licensed"
    )
    problem(call("GET", f"{API}/catalogue/exercises/{unique('none')}", pro), 404, "not_found")
    url = call("GET", f"{API}/catalogue/documents/{catalogue['document']}/download", pro).json()
    assert requests.get(url["url"], timeout=10).content == b"Samtaleguide"


def test_trying_an_exercise_checks_answers_and_keeps_nothing(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    pro = org["pro_token"]
    path = f"{API}/catalogue/exercises/{catalogue['reflection']}/try"
    ok = call("POST", path, pro, json={"answers": {"answers": {"hvad": "Prøver", "hjaelp": "Ro"}}})
    assert ok.status_code == 200, ok.text
    assert ok.json()["valid"] is True
    missing = problem(
        call("POST", path, pro, json={"answers": {"answers": {"hvad": "x"}}}),
        422,
        "validation_failed",
    )
    assert missing["errors"] == [{"field": "answers.hjaelp", "message": "missing"}]
    memory = f"{API}/catalogue/exercises/{catalogue['memory']}/try"
    too_many = call(
        "POST", memory, pro, json={"answers": {"matched_pairs": 5, "moves": 9, "seconds": 30}}
    )
    problem(too_many, 422, "validation_failed")
    problem(
        call("POST", memory, pro, json={"answers": {"moves": "many"}}), 422, "validation_failed"
    )
    mine = call("GET", f"{API}/me/log", pro, params={"action": "exercise.tried"}).json()
    assert [e["exercise_id"] for e in mine["entries"]] == [catalogue["reflection"]]


def test_only_the_owner_edits_the_catalogue(
    org: dict[str, Any], owner: str, catalogue: dict[str, str]
) -> None:
    item = {"name": "Ny"}
    for token in (org["pro_token"], org["admin_token"]):
        problem(
            call("PUT", f"{API}/catalogue/focus-areas/{unique('x')}", token, json=item),
            403,
            "forbidden",
        )
    problem(
        call("PUT", f"{API}/catalogue/planets/{unique('x')}", owner, json=item), 404, "not_found"
    )
    problem(
        call(
            "PUT",
            f"{API}/catalogue/courses/{unique('x')}",
            owner,
            json={
                "focus_area": catalogue["area"],
                "title": "T",
                "modules": [{"id": "m", "title": "M", "exercise_ids": ["does-not-exist"]}],
            },
        ),
        422,
        "validation_failed",
    )
    problem(
        call(
            "PUT",
            f"{API}/catalogue/exercises/{unique('x')}",
            owner,
            json={"focus_area": catalogue["area"], "title": "T", "content": {"kind": "quiz"}},
        ),
        422,
        "validation_failed",
    )


def test_the_browser_reads_licensed_catalogue_items_and_never_clients(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    pro = Browser(org["pro"]["uid"], org["slug"], "professional")
    assert allowed(pro.get(f"catalogue_exercises/{catalogue['memory']}"))
    assert allowed(pro.get(f"catalogue_focus_areas/{catalogue['area']}"))
    assert not allowed(pro.get(f"catalogue_exercises/{catalogue['foreign']}"))
    assert not allowed(pro.write(f"catalogue_exercises/{catalogue['memory']}"))
    client = new_client(org["pro_token"])
    for path in (
        f"{TENANTS}/{org['slug']}/clients/{client['id']}",
        f"{TENANTS}/{org['slug']}/clients",
    ):
        assert not allowed(pro.get(path))
        assert not allowed(Browser(org["admin_uid"], org["slug"], "admin").get(path))


# -- courses and the calendar (C-5) ----------------------------------------------------------------


def test_a_course_is_assigned_performed_scheduled_and_completed(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    pro = org["pro_token"]
    client = new_client(pro)
    base = f"{API}/clients/{client['id']}/courses"
    course = call("POST", base, pro, json={"course_id": catalogue["course"]})
    assert course.status_code == 201, course.text
    course_ref = course.json()["id"]
    items = course.json()["items"]
    assert [i["exercise_id"] for i in items] == [catalogue["reflection"], catalogue["memory"]]
    item = f"{base}/{course_ref}/items"

    day = date.today() + timedelta(days=3)
    scheduled = call("PUT", f"{item}/i1/schedule", pro, json={"date": day.isoformat()}).json()
    assert scheduled["items"][1]["scheduled_for"] == day.isoformat()
    plan = call(
        "GET",
        f"{API}/calendar",
        pro,
        params={"start": date.today().isoformat(), "end": (day + timedelta(days=1)).isoformat()},
    ).json()
    assert [(e["client_id"], e["item_id"]) for e in plan["entries"]] == [(client["id"], "i1")]
    other_pro = activate(add_professional(org["admin_token"])["email"])
    assert (
        call(
            "GET",
            f"{API}/calendar",
            other_pro,
            params={"start": date.today().isoformat(), "end": day.isoformat()},
        ).json()["entries"]
        == []
    )
    problem(
        call("GET", f"{API}/calendar", pro, params={"start": "2026-02-01", "end": "2026-01-01"}),
        422,
        "validation_failed",
    )

    bad = call("POST", f"{item}/i0/perform", pro, json={"answers": {"answers": {"hvad": "x"}}})
    problem(bad, 422, "validation_failed")
    done = call(
        "POST",
        f"{item}/i0/perform",
        pro,
        json={"answers": {"answers": {"hvad": "Fremlæggelser", "hjaelp": "Trække vejret"}}},
    )
    assert done.json()["items"][0]["status"] == "performed"
    assert done.json()["items"][0]["answers"]["answers"]["hjaelp"] == "Trække vejret"
    assert done.json()["status"] == "ongoing"
    sent = call("POST", f"{item}/i1/mark-sent", pro).json()
    assert sent["items"][1]["status"] == "sent"
    assert sent["status"] == "ongoing"  # sent is not done: the answer is still to come
    answered = call(
        "POST",
        f"{item}/i1/perform",
        pro,
        json={"answers": {"matched_pairs": 2, "moves": 5, "seconds": 61}},
    ).json()
    assert answered["status"] == "completed"
    overview = call("GET", f"{API}/clients/{client['id']}", pro).json()
    assert [(c["status"], c["done"], c["total"]) for c in overview["courses"]] == [
        ("completed", 2, 2)
    ]
    # A performed exercise is documentation: it stays, answers and all.
    again = {"answers": {"answers": {"hvad": "Noget andet", "hjaelp": "Intet"}}}
    problem(call("POST", f"{item}/i0/perform", pro, json=again), 409, "already_performed")
    problem(call("DELETE", f"{item}/i0", pro), 409, "invalid_transition")
    problem(
        call("PUT", f"{item}/i0", pro, json={"exercise_id": catalogue["memory"]}),
        409,
        "invalid_transition",
    )


def test_exercises_are_replaced_and_removed_within_the_licence(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    pro = org["pro_token"]
    client = new_client(pro)
    base = f"{API}/clients/{client['id']}/courses"
    course_ref = call("POST", base, pro, json={"course_id": catalogue["course"]}).json()["id"]
    item = f"{base}/{course_ref}/items"
    replaced = call("PUT", f"{item}/i0", pro, json={"exercise_id": catalogue["memory"]}).json()
    assert replaced["items"][0]["exercise_id"] == catalogue["memory"]
    problem(
        call("PUT", f"{item}/i0", pro, json={"exercise_id": catalogue["foreign"]}),
        403,
        "not_licensed",
    )
    removed = call("DELETE", f"{item}/i1", pro).json()
    assert [i["id"] for i in removed["items"]] == ["i0"]
    problem(call("DELETE", f"{item}/i1", pro), 404, "not_found")
    problem(call("POST", base, pro, json={"course_id": unique("none")}), 404, "not_found")


def test_a_licence_without_the_focus_area_cannot_use_it(
    owner: str, catalogue: dict[str, str]
) -> None:
    other = active_tenant(owner, focus_areas=[catalogue["other"]])
    admin = other["admin_token"]
    client = new_client(admin)
    problem(
        call(
            "POST",
            f"{API}/clients/{client['id']}/courses",
            admin,
            json={"course_id": catalogue["course"]},
        ),
        403,
        "not_licensed",
    )
    problem(
        call(
            "POST",
            f"{API}/catalogue/exercises/{catalogue['memory']}/try",
            admin,
            json={"answers": {"matched_pairs": 1, "moves": 2, "seconds": 3}},
        ),
        403,
        "not_licensed",
    )


# -- logs (C-6) ------------------------------------------------------------------------------------


def test_client_log_and_my_log_filter_and_page(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    pro = org["pro_token"]
    client = new_client(pro)
    path = f"{API}/clients/{client['id']}"
    call("PATCH", path, pro, json={"consent": CLIENT["consent"]})
    course_ref = call(
        "POST", f"{path}/courses", pro, json={"course_id": catalogue["course"]}
    ).json()["id"]
    call(
        "POST",
        f"{path}/courses/{course_ref}/items/i1/perform",
        pro,
        json={"answers": {"matched_pairs": 2, "moves": 6, "seconds": 40}},
    )
    log = call("GET", f"{path}/log", pro).json()["entries"]
    actions = [e["action"] for e in log]
    assert actions[0] == "exercise.perform"  # newest first
    assert {"client.created", "client.updated", "course.assigned"} <= set(actions)
    performed = call("GET", f"{path}/log", pro, params={"exercise_id": catalogue["memory"]}).json()[
        "entries"
    ]
    assert [e["action"] for e in performed] == ["exercise.perform"]
    first = call("GET", f"{path}/log", pro, params={"limit": 2}).json()
    second = call(
        "GET", f"{path}/log", pro, params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert [e["id"] for e in first["entries"] + second["entries"]] == [e["id"] for e in log[:4]]
    future = call("GET", f"{path}/log", pro, params={"since": "2999-01-01T00:00:00Z"}).json()
    assert future["entries"] == []
    mine = call("GET", f"{API}/me/log", pro, params={"action": "client.created"}).json()
    assert client["id"] in [e["client_id"] for e in mine["entries"]]
    admins = call(
        "GET", f"{API}/me/log", org["admin_token"], params={"action": "client.created"}
    ).json()
    assert client["id"] not in [e["client_id"] for e in admins["entries"]]


def test_every_read_of_a_client_is_in_the_access_trail(org: dict[str, Any]) -> None:
    pro, admin = org["pro_token"], org["admin_token"]
    client = new_client(pro)
    call("GET", f"{API}/clients/{client['id']}", pro)
    call("GET", f"{API}/clients/{client['id']}", admin)
    trail = call(
        "GET", f"{API}/clients/{client['id']}/log", admin, params={"action": "client.read"}
    ).json()["entries"]
    assert sorted(e["actor"] for e in trail) == sorted([org["pro"]["uid"], org["admin_uid"]])


# -- GDPR (C-7) ------------------------------------------------------------------------------------


def _scan_firestore(project: str) -> str:
    """Every document in the emulator, as text. `list_documents` also returns documents
    that exist only as parents of others (an erased client's leftover courses would hang
    below one), so every path is visited, not only what `stream` returns."""
    db = firestore_client()
    found: list[str] = []

    def walk(collection: Any) -> None:
        for ref in collection.list_documents():
            snapshot = ref.get()
            found.append(ref.path + json.dumps(snapshot.to_dict(), default=str))
            for sub in ref.collections():
                walk(sub)

    for collection in db.collections():
        walk(collection)
    return "\n".join(found)


def _scan_storage() -> str:
    """Every object's name and content in the uploads bucket, as text."""
    return "\n".join(
        blob.name + blob.download_as_bytes().decode(errors="replace")
        for blob in uploads_bucket().list_blobs()
    )


def test_export_holds_everything_and_erasure_leaves_nothing(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    pro, admin = org["pro_token"], org["admin_token"]
    school, email, phone = unique("Egeskolen"), f"{unique('mor')}@example.dk", "+4561718293"
    client = new_client(pro, "Sigrid Særnavn", institution=school, email=email, phone=phone)
    cid = client["id"]
    course_ref = call(
        "POST", f"{API}/clients/{cid}/courses", pro, json={"course_id": catalogue["course"]}
    ).json()["id"]
    call(
        "PUT",
        f"{API}/clients/{cid}/courses/{course_ref}/items/i0/schedule",
        pro,
        json={"date": date.today().isoformat()},
    )
    scan = b"%PDF-1.4 samtykke fra Mette"
    ticket = call(
        "POST",
        f"{API}/clients/{cid}/files",
        pro,
        json={"name": "samtykke.pdf", "content_type": "application/pdf", "size": len(scan)},
    ).json()
    assert requests.put(ticket["upload_url"], data=scan, headers=ticket["headers"], timeout=10).ok
    call("POST", f"{API}/clients/{cid}/pseudonymise", pro)

    problem(call("GET", f"{API}/clients/{cid}/export", pro), 403, "forbidden")
    export = call("GET", f"{API}/clients/{cid}/export", admin).json()
    Export.model_validate(export)  # the streamed text is the documented model
    assert export["client"]["id"] == cid
    assert export["identity"]["profile"] == CLIENT["profile"] | {
        "name": "Sigrid Særnavn",
        "institution": school,
    }
    assert export["identity"]["contacts"] == [
        CLIENT["contacts"][0] | {"email": email, "phone": phone, "language": None}
    ]
    assert export["identity"]["consent"] == CLIENT["consent"]
    assert [c["id"] for c in export["records"]["courses"]] == [course_ref]
    assert [e["item_id"] for e in export["records"]["calendar"]] == ["i0"]
    assert {"client.created", "course.assigned", "client.pseudonymised"} <= {
        e["action"] for e in export["records"]["events"]
    }
    [stored] = export["files"]
    assert base64.b64decode(stored["content_base64"]) == scan
    assert [f["name"] for f in export["client"]["files"]] == ["samtykke.pdf"]

    plain = new_client(pro, "Sofus Særnavn", institution=school, email=email, phone=phone)
    call(
        "POST", f"{API}/clients/{plain['id']}/courses", pro, json={"course_id": catalogue["course"]}
    )
    receipts = []
    for erased_id in (cid, plain["id"]):
        reply = call("DELETE", f"{API}/clients/{erased_id}", pro)
        assert reply.status_code == 200, reply.text
        receipts.append(reply.json())
    assert receipts[0]["files"] == 1
    assert receipts[0]["documents"] >= 4  # client, course, calendar entry, events

    everything = _scan_firestore(os.environ["GOOGLE_CLOUD_PROJECT"])
    for secret in (
        cid,
        plain["id"],
        "Sigrid",
        "Sofus",
        "Særnavn",
        school,
        email,
        phone,
    ):
        assert secret not in everything, secret
    stored = _scan_storage()
    for secret in (cid, "samtykke fra Mette"):  # names and contents alike
        assert secret not in stored, secret
    erased = call("GET", f"{API}/me/log", pro, params={"action": "client.erased"}).json()
    assert sorted(e["details"]["erasure_id"] for e in erased["entries"]) == sorted(
        r["erasure_id"] for r in receipts
    )
    assert cid not in json.dumps(erased)


# -- tenant isolation ------------------------------------------------------------------------------


def test_tenant_b_reaches_none_of_tenant_a_s_clients(
    org: dict[str, Any], owner: str, catalogue: dict[str, str]
) -> None:
    client = new_client(org["pro_token"])
    cid = client["id"]
    course_ref = call(
        "POST",
        f"{API}/clients/{cid}/courses",
        org["pro_token"],
        json={"course_id": catalogue["course"]},
    ).json()["id"]
    other = active_tenant(owner, focus_areas=[catalogue["area"]])
    for token in (other["admin_token"], activate(add_professional(other["admin_token"])["email"])):
        for method, path, body in [
            ("GET", f"/clients/{cid}", None),
            ("PATCH", f"/clients/{cid}", {"consent": CLIENT["consent"]}),
            ("DELETE", f"/clients/{cid}", None),
            ("POST", f"/clients/{cid}/pseudonymise", None),
            ("GET", f"/clients/{cid}/log", None),
            (
                "POST",
                f"/clients/{cid}/files",
                {"name": "x", "content_type": "text/plain", "size": 1},
            ),
            ("POST", f"/clients/{cid}/courses", {"course_id": catalogue["course"]}),
            ("GET", f"/clients/{cid}/courses/{course_ref}", None),
            (
                "POST",
                f"/clients/{cid}/courses/{course_ref}/items/i0/perform",
                {"answers": {"answers": {"hvad": "x", "hjaelp": "y"}}},
            ),
            ("DELETE", f"/clients/{cid}/courses/{course_ref}/items/i0", None),
        ]:
            reply = call(method, API + path, token, json=body)
            assert reply.status_code == 404, (method, path, reply.status_code, reply.text)
            assert "Ida" not in reply.text
        admin_only = [f"/clients/{cid}/identity", f"/clients/{cid}/export"]
        expected = 404 if token == other["admin_token"] else 403
        for path in admin_only:
            assert call("GET", API + path, token).status_code == expected
        assert call("GET", f"{API}/clients", token).json()["clients"] == []
    still = call("GET", f"{API}/clients/{cid}", org["pro_token"]).json()
    assert still["courses"][0]["done"] == 0


# -- refusals found in review ---------------------------------------------------------------------


@pytest.mark.parametrize("body", [{"profile": None}, {"contacts": None}, {}])
def test_removing_master_data_is_refused_but_consent_can_be_withdrawn(
    org: dict[str, Any], body: dict[str, Any]
) -> None:
    client = new_client(org["pro_token"])
    path = f"{API}/clients/{client['id']}"
    problem(call("PATCH", path, org["pro_token"], json=body), 422, "validation_failed")
    withdrawn = call("PATCH", path, org["pro_token"], json={"consent": None}).json()
    assert withdrawn["consent"] is None
    assert withdrawn["profile"] == client["profile"]


def test_bad_files_dates_items_and_queries_are_refused(
    org: dict[str, Any], catalogue: dict[str, str], owner: str
) -> None:
    pro = org["pro_token"]
    client = new_client(pro)
    base = f"{API}/clients/{client['id']}"
    for bad in (
        {"name": "x", "content_type": "not a type", "size": 10},
        {"name": "x", "content_type": "application/pdf", "size": 999_999_999},
    ):
        problem(call("POST", f"{base}/files", pro, json=bad), 422, "validation_failed")
    assert call("GET", base, pro).json()["courses"] == []
    course_ref = call(
        "POST", f"{base}/courses", pro, json={"course_id": catalogue["course"]}
    ).json()["id"]
    item = f"{base}/courses/{course_ref}/items"
    problem(
        call("PUT", f"{item}/i0/schedule", pro, json={"date": "2026-13-40"}),
        422,
        "validation_failed",
    )
    problem(call("PUT", f"{item}/i9/schedule", pro, json={"date": "2026-12-01"}), 404, "not_found")
    problem(call("POST", f"{item}/i9/mark-sent", pro), 404, "not_found")
    problem(call("PUT", f"{item}/i0", pro, json={"exercise_id": unique("none")}), 404, "not_found")
    problem(call("GET", f"{API}/clients", pro, params={"sort": "name"}), 422, "validation_failed")
    problem(
        call(
            "GET",
            f"{base}/log",
            pro,
            params={"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
        ),
        422,
        "validation_failed",
    )
    assert (
        call("GET", f"{base}/log", pro, params={"until": "2000-01-01T00:00:00Z"}).json()["entries"]
        == []
    )
    for path in (
        "/clients",
        f"/clients/{client['id']}",
        "/calendar?start=2026-01-01&end=2026-01-02",
    ):
        problem(call("GET", API + path, owner), 403, "forbidden")


def test_the_catalogue_keeps_its_references_whole(owner: str, catalogue: dict[str, str]) -> None:
    problem(
        call(
            "PUT",
            f"{API}/catalogue/courses/{unique('x')}",
            owner,
            json={
                "focus_area": catalogue["area"],
                "title": "T",
                "modules": [{"id": "m", "title": "M", "exercise_ids": ["a/b"]}],
            },
        ),
        422,
        "validation_failed",
    )
    problem(
        call(
            "PUT",
            f"{API}/catalogue/courses/{unique('x')}",
            owner,
            json={
                "focus_area": catalogue["area"],
                "title": "T",
                "modules": [{"id": "m", "title": "M", "exercise_ids": [catalogue["foreign"]]}],
            },
        ),
        422,
        "validation_failed",
    )
    problem(
        call("DELETE", f"{API}/catalogue/exercises/{catalogue['memory']}", owner), 409, "conflict"
    )
    problem(
        call("DELETE", f"{API}/catalogue/focus-areas/{catalogue['area']}", owner), 409, "conflict"
    )
    problem(
        call("PUT", f"{API}/catalogue/focus-areas/Not_A_Slug", owner, json={"name": "X"}),
        422,
        "validation_failed",
    )


def test_search_finds_any_word_of_the_name(org: dict[str, Any]) -> None:
    pro = org["pro_token"]
    ida = new_client(pro, "Ida Marie Jensen")
    new_client(pro, "Jens Hansen")
    found = call("GET", f"{API}/clients", pro, params={"q": "jensen"}).json()["clients"]
    assert [c["id"] for c in found] == [ida["id"]]
    both = call("GET", f"{API}/clients", pro, params={"q": "jens"}).json()["clients"]
    assert sorted(c["name"] for c in both) == ["Ida Marie Jensen", "Jens Hansen"]
    assert set(found[0]) == {"id", "name", "pseudonymised", "updated_at"}  # no record in lists


def test_an_export_streams_every_record_of_a_long_history(org: dict[str, Any]) -> None:
    from shared.events import EVENTS
    from shared.tenancy import TenantData

    client = new_client(org["pro_token"], "Lang Historik")
    data = TenantData(firestore_client(), org["slug"])
    for first in range(0, 1200, 400):  # more than any page the export reads at once
        batch = data.db.batch()
        for n in range(first, first + 400):
            batch.create(
                data.collection(EVENTS).document(f"history-{client['id']}-{n:05d}"),
                {
                    "actor": "x",
                    "action": "client.noted",
                    "subject": "clients",
                    "at": n,
                    "client_id": client["id"],
                    "details": {"n": n},
                },
            )
        batch.commit()

    reply = call("GET", f"{API}/clients/{client['id']}/export", org["admin_token"], stream=True)

    assert reply.status_code == 200
    assert reply.headers.get("Content-Length") is None  # sent in chunks, not built whole
    export = Export.model_validate_json(reply.content)
    noted = [e for e in export.records["events"] if e["action"] == "client.noted"]
    assert sorted(e["details"]["n"] for e in noted) == list(range(1200))


def test_every_kind_of_read_of_personal_data_is_in_the_trail(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    """Not only the overview: a pseudonymised client's originals, a course (its answers)
    and an export each leave their own entry, by whom."""
    pro, admin = org["pro_token"], org["admin_token"]
    client = new_client(pro, "Karla Holm")
    cid = client["id"]
    course = call(
        "POST", f"{API}/clients/{cid}/courses", pro, json={"course_id": catalogue["course"]}
    ).json()
    call("POST", f"{API}/clients/{cid}/pseudonymise", pro)
    reads = [
        (pro, f"/clients/{cid}", "client.read"),
        (pro, f"/clients/{cid}/courses/{course['id']}", "course.read"),
        (admin, f"/clients/{cid}/identity", "client.identity_read"),
        (admin, f"/clients/{cid}/export", "client.exported"),
    ]
    for token, path, _ in reads:
        assert call("GET", f"{API}{path}", token).status_code == 200, path
    log = call("GET", f"{API}/clients/{cid}/log", admin, params={"limit": 200}).json()["entries"]
    for token, path, action in reads:
        actor = org["pro"]["uid"] if token == pro else org["admin_uid"]
        assert any(e["action"] == action and e["actor"] == actor for e in log), path


def test_the_tenant_s_data_key_is_stored_only_wrapped(org: dict[str, Any]) -> None:
    from shared import crypto
    from shared.tenancy import TenantData

    client = new_client(org["pro_token"], "Nøgle Test")
    call("POST", f"{API}/clients/{client['id']}/pseudonymise", org["pro_token"])
    stored = TenantData(firestore_client(), org["slug"]).document("keys", "client-data").get()
    assert set(stored.to_dict() or {}) == {"wrapped", "algorithm"}
    raw = crypto._open(crypto._kek(), stored.get("wrapped"), f"{org['slug']}/client-data")
    assert len(raw) == 32
    assert base64.b64encode(raw).decode() not in json.dumps(stored.to_dict())
    assert raw not in base64.b64decode(stored.get("wrapped"))
