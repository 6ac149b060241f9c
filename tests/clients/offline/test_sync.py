"""POST /sync (issue 16): offline records applied once and in order, each like its online
twin, conflicts kept for the professional, refusals per record with stable codes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.clients.sync.models import SyncRecord
from shared.gcp import firestore_client
from shared.offline import SYNC_CONFLICTS
from shared.tenancy import TenantData
from tests.accounts import activate, active_tenant, add_professional, problem
from tests.clients.offline.sync_helpers import (
    API,
    note,
    notes,
    offline_events,
    record_id,
)
from tests.content import new_client
from tests.crash import crash_at
from tests.helpers import call, unique

pytestmark = pytest.mark.usefixtures("stack")
SYNC = f"{API}/sync"


@pytest.fixture(scope="module")
def org(owner: str, catalogue: dict[str, str]) -> dict[str, Any]:
    created = active_tenant(owner, seats=3, focus_areas=[catalogue["area"]])
    pro = add_professional(created["admin_token"])
    return {
        **created,
        "pro": pro,
        "pro_token": activate(pro["email"]),
        "data": TenantData(firestore_client(), created["slug"]),
    }


def _sync(token: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    reply = call("POST", SYNC, token, json={"records": records})
    assert reply.status_code == 200, reply.text
    results: list[dict[str, Any]] = reply.json()["results"]
    assert [r["id"] for r in results] == [r["id"] for r in records]  # in order, each answered
    return results


def _statuses(results: list[dict[str, Any]]) -> list[str]:
    return [r["status"] for r in results]


def test_a_batch_of_500_records_sent_twice_leaves_exactly_500(org: dict[str, Any]) -> None:
    client = new_client(org["pro_token"], unique("Ida"))
    batch = notes(client["id"], 500)

    first = _sync(org["pro_token"], batch)
    second = _sync(org["pro_token"], batch)

    assert _statuses(first) == ["applied"] * 500
    assert _statuses(second) == ["already_applied"] * 500
    entries = offline_events(org["data"], client["id"])
    assert len(entries) == 500
    assert sorted(e["details"]["text"] for e in entries) == sorted(r["text"] for r in batch)
    log = call("GET", f"{API}/clients/{client['id']}/log", org["pro_token"]).json()
    assert log["entries"][0]["action"] == "client.note"  # in the client log, like online


def test_a_batch_cut_off_half_way_then_resent_leaves_exactly_500(org: dict[str, Any]) -> None:
    client = new_client(org["pro_token"], unique("Ida"))
    batch = notes(client["id"], 500)

    # The host dies after its first commit of notes: the connection drops, no answer.
    crash_at("sync.notes_committed", "POST", SYNC, org["pro_token"], json={"records": batch})

    assert len(offline_events(org["data"], client["id"])) == 250
    again = _statuses(_sync(org["pro_token"], batch))
    assert again == ["already_applied"] * 250 + ["applied"] * 250
    assert len(offline_events(org["data"], client["id"])) == 500


def test_the_same_record_twice_in_one_batch_is_applied_once(org: dict[str, Any]) -> None:
    client = new_client(org["pro_token"], unique("Ida"))
    one = note(client["id"])
    assert _statuses(_sync(org["pro_token"], [one, one])) == ["applied", "already_applied"]
    assert len(offline_events(org["data"], client["id"])) == 1


def _course(org: dict[str, Any], catalogue: dict[str, str], client_id: str) -> str:
    reply = call(
        "POST",
        f"{API}/clients/{client_id}/courses",
        org["pro_token"],
        json={"course_id": catalogue["course"]},
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def test_exercises_performed_and_planned_offline_are_applied_like_online(
    org: dict[str, Any], catalogue: dict[str, str]
) -> None:
    client = new_client(org["pro_token"], unique("Ida"))
    course = _course(org, catalogue, client["id"])
    day = date.today() + timedelta(days=4)
    base = {"client_id": client["id"], "course_ref": course, "device_time": _ago(1)}
    bad = {
        **base,
        "id": record_id(),
        "kind": "exercise_performed",
        "item_id": "i0",
        "answers": {"answers": {"hvad": "x"}},  # the reflection's second answer is missing
    }
    done = {
        **bad,
        "id": record_id(),
        "answers": {"answers": {"hvad": "Fremlæggelser", "hjaelp": "Trække vejret"}},
    }
    again = {**done, "id": record_id()}  # performed already: the answers stay
    plan = {**base, "id": record_id(), "kind": "exercise_scheduled", "item_id": "i1"}
    plan["date"] = day.isoformat()
    no_date = {**plan, "id": record_id(), "date": None}
    missing = {**base, "id": record_id(), "kind": "exercise_performed", "item_id": "i9"}
    missing["answers"] = {"matched_pairs": 1, "moves": 2, "seconds": 3}

    results = _sync(org["pro_token"], [bad, done, again, plan, no_date, missing])

    assert [(r["status"], r["code"]) for r in results] == [
        ("refused", "validation_failed"),
        ("applied", None),
        ("refused", "already_performed"),
        ("applied", None),
        ("refused", "validation_failed"),
        ("refused", "not_found"),
    ]
    items = call("GET", f"{API}/clients/{client['id']}/courses/{course}", org["pro_token"]).json()
    assert items["items"][0]["status"] == "performed"
    assert items["items"][0]["answers"]["answers"]["hjaelp"] == "Trække vejret"
    assert items["items"][1]["scheduled_for"] == day.isoformat()
    planned = call(
        "GET",
        f"{API}/calendar",
        org["pro_token"],
        params={"start": day.isoformat(), "end": day.isoformat()},
    ).json()["entries"]
    assert [(e["client_id"], e["item_id"]) for e in planned] == [(client["id"], "i1")]
    assert _statuses(_sync(org["pro_token"], [done, plan])) == ["already_applied"] * 2
    performed = offline_events(org["data"], client["id"], "exercise.perform")
    assert len(performed) == 1  # once, with its marker, in the same transaction


def _ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


def _field(client_id: str, value: str, base: str, field: str = "notes") -> dict[str, Any]:
    return {
        "id": record_id(),
        "kind": "client_field",
        "device_time": _ago(1),
        "client_id": client_id,
        "field": field,
        "value": value,
        "base_value": base,
        "base_version": _ago(3),
    }


def test_a_field_edited_online_after_the_base_is_kept_as_a_conflict_not_overwritten(
    org: dict[str, Any],
) -> None:
    pro, admin = org["pro_token"], org["admin_token"]
    client = new_client(pro, unique("Ida"))
    path = f"{API}/clients/{client['id']}"
    read_offline = client["profile"]["notes"]  # what the tablet read before going offline
    online = {**client["profile"], "notes": "Skrevet online i mellemtiden"}
    assert call("PATCH", path, admin, json={"profile": online}).status_code == 200
    mine = _field(client["id"], "Skrevet offline", read_offline)
    untouched = _field(client["id"], "Ny skole", client["profile"]["institution"], "institution")

    results = _sync(pro, [mine, untouched])

    assert _statuses(results) == ["conflict", "applied"]
    now = call("GET", path, pro).json()["profile"]
    assert now["notes"] == "Skrevet online i mellemtiden"  # not overwritten
    assert now["institution"] == "Ny skole"  # another field, not edited online: applied
    shown = call("GET", f"{API}/sync/conflicts", pro).json()["conflicts"]
    assert [(c["id"], c["mine"], c["theirs"]) for c in shown] == [
        (results[0]["conflict_id"], "Skrevet offline", "Skrevet online i mellemtiden")
    ]
    log = call("GET", f"{path}/log", pro, params={"action": "client.sync_conflict"}).json()
    assert [(e["details"]["mine"], e["details"]["theirs"]) for e in log["entries"]] == [
        ("Skrevet offline", "Skrevet online i mellemtiden")
    ]
    other = activate(add_professional(admin)["email"])
    assert call("GET", f"{API}/sync/conflicts", other).json()["conflicts"] == []
    resolve = f"{API}/sync/conflicts/{results[0]['conflict_id']}/resolve"
    problem(call("POST", resolve, other, json={"keep": "mine"}), 404, "not_found")

    kept = call("POST", resolve, pro, json={"keep": "mine"})

    assert kept.json()["status"] == "kept_mine"
    assert call("GET", path, pro).json()["profile"]["notes"] == "Skrevet offline"
    problem(call("POST", resolve, pro, json={"keep": "theirs"}), 409, "invalid_transition")
    assert call("GET", f"{API}/sync/conflicts", pro).json()["conflicts"] == []
    assert _statuses(_sync(pro, [mine])) == ["already_applied"]


def test_keep_theirs_leaves_the_online_value(org: dict[str, Any]) -> None:
    pro = org["pro_token"]
    client = new_client(pro, unique("Ida"))
    path = f"{API}/clients/{client['id']}"
    online = {**client["profile"], "notes": "Online"}
    assert call("PATCH", path, pro, json={"profile": online}).status_code == 200
    result = _sync(pro, [_field(client["id"], "Offline", client["profile"]["notes"])])[0]
    resolve = f"{API}/sync/conflicts/{result['conflict_id']}/resolve"
    assert call("POST", resolve, pro, json={"keep": "theirs"}).json()["status"] == "kept_theirs"
    assert call("GET", path, pro).json()["profile"]["notes"] == "Online"


def test_a_batch_too_large_in_count_or_bytes_is_refused_with_nothing_written(
    org: dict[str, Any],
) -> None:
    client = new_client(org["pro_token"], unique("Ida"))
    many = notes(client["id"], 501)
    heavy = [note(client["id"], "x" * 4900) for _ in range(110)]  # ~540 KB

    problem(call("POST", SYNC, org["pro_token"], json={"records": many}), 413, "batch_too_large")
    problem(call("POST", SYNC, org["pro_token"], json={"records": heavy}), 413, "batch_too_large")

    assert offline_events(org["data"], client["id"]) == []


def test_a_record_about_an_erased_client_is_refused_and_its_content_kept_nowhere(
    org: dict[str, Any],
) -> None:
    pro = org["pro_token"]
    client = new_client(pro, unique("Ida"))
    kept = new_client(pro, unique("Ida"))
    assert call("DELETE", f"{API}/clients/{client['id']}", pro).status_code == 200
    secret = unique("Hemmelig-note")
    batch = [note(client["id"], secret), note(kept["id"])]

    results = _sync(pro, batch)

    assert [(r["status"], r["code"]) for r in results] == [
        ("refused", "client_erased"),
        ("applied", None),
    ]
    no_trace_of(org["data"], secret)


def no_trace_of(data: TenantData, text: str) -> None:
    """Nothing of the tenant holds the text (a scan of every document below it)."""

    def scan(collection: Any) -> None:
        for snapshot in collection.stream():
            assert text not in repr(snapshot.to_dict()), snapshot.reference.path
            for child in snapshot.reference.collections():
                scan(child)

    for collection in data.root.collections():
        scan(collection)


def test_a_record_about_another_tenants_client_is_refused_as_online(
    org: dict[str, Any], owner: str
) -> None:
    elsewhere = active_tenant(owner)
    foreign = new_client(elsewhere["admin_token"], unique("Ida"))
    online = call("GET", f"{API}/clients/{foreign['id']}", org["pro_token"])
    problem(online, 404, "not_found")

    results = _sync(org["pro_token"], [note(foreign["id"])])

    assert [(r["status"], r["code"]) for r in results] == [("refused", "not_found")]
    other_data = TenantData(firestore_client(), elsewhere["slug"])
    assert offline_events(other_data, foreign["id"]) == []
    assert offline_events(org["data"], foreign["id"]) == []


def test_a_device_time_in_the_future_beyond_the_skew_is_refused(org: dict[str, Any]) -> None:
    client = new_client(org["pro_token"], unique("Ida"))
    soon = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()  # a clock a bit ahead
    forged = (datetime.now(UTC) + timedelta(hours=6)).isoformat()
    batch = [note(client["id"], device_time=soon), note(client["id"], device_time=forged)]
    plan = {
        "id": record_id(),
        "kind": "exercise_scheduled",
        "device_time": forged,
        "client_id": client["id"],
        "course_ref": "c",
        "item_id": "i0",
        "date": date.today().isoformat(),
    }

    results = _sync(org["pro_token"], [*batch, plan])

    assert [(r["status"], r["code"]) for r in results] == [
        ("applied", None),
        ("refused", "device_time_in_future"),
        ("refused", "device_time_in_future"),
    ]
    assert len(offline_events(org["data"], client["id"])) == 1


def test_a_malformed_batch_is_refused_whole_with_nothing_written(org: dict[str, Any]) -> None:
    client = new_client(org["pro_token"], unique("Ida"))
    good, bad = note(client["id"]), note(client["id"], id="short")  # an id the device never makes
    reply = call("POST", SYNC, org["pro_token"], json={"records": [good, bad]})
    problem(reply, 422, "validation_failed")
    problem(call("POST", SYNC, json={"records": [good]}), 401, "unauthenticated")
    assert offline_events(org["data"], client["id"]) == []


def test_an_erased_clients_conflicts_go_with_it(org: dict[str, Any]) -> None:
    pro = org["pro_token"]
    client = new_client(pro, unique("Ida"))
    path = f"{API}/clients/{client['id']}"
    online = {**client["profile"], "notes": "Online"}
    assert call("PATCH", path, pro, json={"profile": online}).status_code == 200
    assert _statuses(_sync(pro, [_field(client["id"], "Offline", "Gammel")])) == ["conflict"]
    conflicts = org["data"].collection(SYNC_CONFLICTS)
    mine = conflicts.where(filter=FieldFilter("client_id", "==", client["id"]))
    assert len(mine.get()) == 1

    assert call("DELETE", path, pro).status_code == 200

    assert mine.get() == []


def test_the_outbox_drain_applies_queued_records_in_device_order_and_empties_it(
    org: dict[str, Any],
) -> None:
    from shared.offline import OUTBOX

    client = new_client(org["pro_token"], unique("Ida"))
    uid = org["pro"]["uid"]
    queued = [note(client["id"], f"Kø {n}") for n in range(3)]
    for n, record in enumerate(reversed(queued)):  # written out of order
        at = datetime.now(UTC) - timedelta(minutes=10 - n)
        doc = {**record, "uid": uid, "device_time": at}
        org["data"].document(OUTBOX, f"{uid}-{record['id']}").set(doc)
    theirs = note(client["id"], "En andens")  # another user's queue is not the caller's
    org["data"].document(OUTBOX, f"someone-{theirs['id']}").set({**theirs, "uid": "someone"})

    drained = call("POST", f"{API}/sync/outbox", org["pro_token"]).json()["results"]

    assert [r["id"] for r in drained] == [r["id"] for r in reversed(queued)]
    assert [r["status"] for r in drained] == ["applied"] * 3
    left = org["data"].collection(OUTBOX).get()
    assert [s.id for s in left] == [f"someone-{theirs['id']}"]
    assert len(offline_events(org["data"], client["id"])) == 3
    left[0].reference.delete()


def test_a_malformed_record_already_queued_is_refused_and_the_drain_goes_on(
    org: dict[str, Any],
) -> None:
    from shared.offline import OUTBOX

    client = new_client(org["pro_token"], unique("Ida"))
    uid = org["pro"]["uid"]
    good = note(client["id"], "Kø god")
    at_text = note(client["id"], "Kø med tekst-tid")  # a device time as text, not a timestamp
    undated = {k: v for k, v in note(client["id"], "Kø uden tid").items() if k != "device_time"}
    org["data"].document(OUTBOX, f"{uid}-{good['id']}").set(
        {**good, "uid": uid, "device_time": datetime.now(UTC) - timedelta(minutes=5)}
    )
    org["data"].document(OUTBOX, f"{uid}-{at_text['id']}").set({**at_text, "uid": uid})
    org["data"].document(OUTBOX, f"{uid}-{undated['id']}").set({**undated, "uid": uid})

    reply = call("POST", f"{API}/sync/outbox", org["pro_token"])

    assert reply.status_code == 200, reply.text
    outcomes = {r["id"]: (r["status"], r["code"]) for r in reply.json()["results"]}
    assert outcomes == {
        at_text["id"]: ("applied", None),
        good["id"]: ("applied", None),
        f"{uid}-{undated['id']}": ("refused", "validation_failed"),
    }
    mine = org["data"].collection(OUTBOX).where(filter=FieldFilter("uid", "==", uid))
    assert mine.get() == []
    assert len(offline_events(org["data"], client["id"])) == 2


def test_an_owner_whose_review_is_overdue_is_refused_on_sync_not_a_server_error(
    org: dict[str, Any],
) -> None:
    from shared.members import member_ref
    from tests.accounts import owner_token
    from tests.helpers import token_payload

    stale = owner_token()
    overdue = datetime.now(UTC) - timedelta(days=190)
    member_ref(None, str(token_payload(stale)["user_id"])).update({"reviewed_at": overdue})
    client = new_client(org["pro_token"], unique("Ida"))

    reply = call("POST", SYNC, stale, json={"records": [note(client["id"])]})

    problem(reply, 403, "staff_review_overdue")
    assert offline_events(org["data"], client["id"]) == []


def test_a_client_erased_while_its_notes_are_applied_refuses_them_not_a_server_error(
    org: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.clients.sync import apply

    pro = org["pro_token"]
    gone, kept = new_client(pro, unique("Ida")), new_client(pro, unique("Bo"))
    secret = unique("Hemmelig-note")
    read_refusals = apply.client_refusals
    erased: list[str] = []

    def erased_after_the_read(data: TenantData, client_ids: set[str]) -> Any:
        answers = read_refusals(data, client_ids)
        if not erased:  # the erasure lands between the refusals' read and the commit
            erased.append(gone["id"])
            assert call("DELETE", f"{API}/clients/{gone['id']}", pro).status_code == 200
        return answers

    monkeypatch.setattr(apply, "client_refusals", erased_after_the_read)
    batch = [note(gone["id"], secret), note(kept["id"])]

    results = apply.apply_batch(org["data"], org["pro"]["uid"], [SyncRecord(**r) for r in batch])

    assert [(r.status, r.code) for r in results] == [
        ("refused", "client_erased"),
        ("applied", None),
    ]
    assert len(offline_events(org["data"], kept["id"])) == 1
    no_trace_of(org["data"], secret)


def test_keep_mine_on_a_pseudonymised_client_is_refused_and_writes_nothing_back(
    org: dict[str, Any],
) -> None:
    pro, admin = org["pro_token"], org["admin_token"]
    client = new_client(pro, unique("Ida"))
    path = f"{API}/clients/{client['id']}"
    online = {**client["profile"], "notes": "Online"}
    assert call("PATCH", path, admin, json={"profile": online}).status_code == 200
    results = _sync(pro, [_field(client["id"], "Skrevet offline", client["profile"]["notes"])])
    assert _statuses(results) == ["conflict"]
    assert call("POST", f"{path}/pseudonymise", pro).status_code == 200
    sealed = call("GET", path, pro).json()["profile"]
    resolve = f"{API}/sync/conflicts/{results[0]['conflict_id']}/resolve"

    problem(call("POST", resolve, pro, json={"keep": "mine"}), 409, "pseudonymised")

    assert call("GET", path, pro).json()["profile"] == sealed
    stored = org["data"].document("clients", client["id"]).get().to_dict()
    assert "Skrevet offline" not in str(stored)
    assert [c["id"] for c in call("GET", f"{API}/sync/conflicts", pro).json()["conflicts"]] == [
        results[0]["conflict_id"]
    ]
    kept = call("POST", resolve, pro, json={"keep": "theirs"})
    assert kept.status_code == 200, kept.text
    assert kept.json()["status"] == "kept_theirs"
