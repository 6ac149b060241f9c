"""VR sessions under the real firestore.rules (SPEC V-1): how far a headset's token reaches.

The documents are written with admin credentials as functions/vr writes them; the rules
are tried with the claims a paired headset's custom token carries (tests/rules.py sends
them as the emulator's unsigned token, as Firebase's rules-unit-testing does). Each
attack has its own test, and the positive test shows the same headset CAN do its part,
so the denials are not vacuous.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from shared.gcp import firestore_client
from shared.tenancy import TENANTS
from tests.helpers import create_tenant, rules_claims, unique, unsigned_token
from tests.rules import Browser, allowed

pytestmark = pytest.mark.usefixtures("stack")

TABLET_UID = "tablet-pro"


@dataclass(frozen=True)
class Place:
    tenant: str
    session: str
    headsets: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"{TENANTS}/{self.tenant}/vr_sessions/{self.session}"

    def headset(self, n: int = 0) -> str:
        return f"{self.path}/vr_headsets/{self.headsets[n]}"


def _session(
    tenant: str, like: Place | None = None, headsets: int = 2, **headset_fields: Any
) -> Place:
    """A session opened by TABLET_UID with paired headsets, their signalling and a command;
    `like`: with that session's ids (so only the token's claims tell them apart)."""
    db = firestore_client()
    now = datetime.now(UTC)
    if like is None:
        ids = tuple(unique("vr-headset") for _ in range(headsets))
        place = Place(tenant, unique("vr-session"), ids)
    else:
        place = Place(tenant, like.session, like.headsets)
    db.document(place.path).set({"opened_by": TABLET_UID, "status": "open", "client_id": "c1"})
    for n, headset_id in enumerate(place.headsets):
        fields = {"active": True, "valid_until": now + timedelta(hours=4), "slot": f"{n:02d}"}
        db.document(place.headset(n)).set({**fields, **headset_fields})
        db.document(f"{place.headset(n)}/vr_signals/offer").set({"sdp": "v=0"})
        db.document(f"{place.headset(n)}/vr_tablet_candidates/c1").set({"candidate": "x"})
        db.document(f"{place.path}/vr_presence/{headset_id}").set({"seen_at": now, "last_seq": 0})
        db.document(f"{place.path}/vr_commands/{n + 1:08d}").set(
            {"seq": n + 1, "action": "pause", "target": headset_id}
        )
    db.document(f"{place.path}/vr_commands/00000100").set(
        {"seq": 100, "action": "play", "target": "all"}
    )
    db.document(f"{place.path}/vr_events/e0").set({"kind": "stop"})
    return place


def _tenant() -> str:
    tenant = create_tenant()
    users = firestore_client().collection(TENANTS).document(tenant).collection("users")
    users.document(TABLET_UID).set({"status": "active"})
    firestore_client().document(f"{TENANTS}/{tenant}/clients/c1").set({"name": "Klient"})
    firestore_client().document(f"{TENANTS}/{tenant}/vr_summaries/s1").set({"client_id": "c1"})
    return tenant


@pytest.fixture(scope="module")
def tenant_a() -> str:
    return _tenant()


@pytest.fixture
def x(tenant_a: str) -> Place:
    return _session(tenant_a)


def headset_browser(place: Place, n: int = 0) -> Browser:
    """What a paired headset's custom token claims (functions/vr/pairing.py)."""
    claims = {"vr_headset": True, "session_id": place.session, "headset_id": place.headsets[n]}
    return Browser(f"vr-headset-{place.headsets[n]}", place.tenant, "", claims)


def _base() -> str:
    project = os.environ["GOOGLE_CLOUD_PROJECT"]
    return f"projects/{project}/databases/(default)/documents"


def commit(browser: Browser, path: str, fields: dict[str, Any], now: list[str]) -> bool:
    """A typed write as the SDK makes it: `now` fields get the server's request time."""
    values: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, bool):
            values[key] = {"booleanValue": value}
        elif isinstance(value, int):
            values[key] = {"integerValue": str(value)}
        else:
            values[key] = {"stringValue": str(value)}
    write = {
        "update": {"name": f"{_base()}/{path}", "fields": values},
        "updateTransforms": [{"fieldPath": f, "setToServerValue": "REQUEST_TIME"} for f in now],
    }
    headers = {}
    if browser.uid is not None:
        claims = rules_claims(browser.uid, browser.tenant_id, browser.role or "") | browser.claims
        headers["Authorization"] = f"Bearer {unsigned_token(claims)}"
    host = os.environ["FIRESTORE_EMULATOR_HOST"]
    reply = requests.post(
        f"http://{host}/v1/{_base()}:commit", json={"writes": [write]}, headers=headers, timeout=10
    )
    assert reply.status_code in (200, 403), reply.text
    return reply.status_code == 200


def presence(browser: Browser, place: Place, headset_id: str) -> bool:
    fields = {"last_seq": 3}
    return commit(browser, f"{place.path}/vr_presence/{headset_id}", fields, ["seen_at"])


def stop_event(browser: Browser, place: Place, headset_id: str) -> bool:
    fields = {"kind": "stop", "headset_id": headset_id}
    return commit(browser, f"{place.path}/vr_events/{unique('e')}", fields, ["at"])


def _own_documents(place: Place, n: int = 0) -> list[str]:
    headset = place.headset(n)
    return [
        place.path,
        headset,
        f"{headset}/vr_signals/offer",
        f"{headset}/vr_tablet_candidates/c1",
        f"{place.path}/vr_presence/{place.headsets[n]}",
        f"{place.path}/vr_commands/{n + 1:08d}",
        f"{place.path}/vr_commands/00000100",
    ]


def _denied_everything(browser: Browser, place: Place, n: int = 0) -> None:
    """Nothing of the headset's documents is read or written with `browser`."""
    for path in _own_documents(place, n):
        assert not allowed(browser.get(path)), path
    headset = place.headset(n)
    assert not allowed(browser.write(f"{headset}/vr_signals/answer", {"sdp": "v=0"}))
    assert not allowed(browser.write(f"{headset}/vr_headset_candidates/c9", {"candidate": "x"}))
    assert not presence(browser, place, place.headsets[n])
    assert not stop_event(browser, place, place.headsets[n])


def test_a_headset_reads_its_session_commands_and_signalling_and_writes_its_own(
    x: Place,
) -> None:
    me = headset_browser(x)
    for path in _own_documents(x):
        assert allowed(me.get(path)), path
    headset = x.headset()
    assert allowed(me.write(f"{headset}/vr_signals/answer", {"sdp": "v=0"}))
    assert allowed(me.write(f"{headset}/vr_headset_candidates/c9", {"candidate": "x"}))
    assert presence(me, x, x.headsets[0])
    assert stop_event(me, x, x.headsets[0])
    # ... and the tablet that opened the session reads what the headset wrote.
    tablet = Browser(TABLET_UID, x.tenant, "professional")
    assert allowed(tablet.get(f"{headset}/vr_signals/answer"))
    assert allowed(tablet.get(f"{x.path}/vr_presence/{x.headsets[0]}"))


def test_a_headset_writes_no_commands_offers_session_or_forged_presence(x: Place) -> None:
    me = headset_browser(x)
    assert not allowed(me.write(f"{x.path}/vr_commands/00000101", {"action": "stop"}))
    assert not allowed(me.write(f"{x.headset()}/vr_signals/offer", {"sdp": "v=0"}))
    assert not allowed(me.write(f"{x.headset()}/vr_tablet_candidates/c9", {"candidate": "x"}))
    assert not allowed(me.write(x.path, {"status": "open"}))
    assert not allowed(me.write(x.headset(), {"active": "true"}))
    # Presence must carry the server's time; a stop must name the headset itself.
    path = f"{x.path}/vr_presence/{x.headsets[0]}"
    assert not commit(me, path, {"last_seq": 3, "seen_at": "2099-01-01"}, [])
    assert not stop_event(me, x, x.headsets[1])


def test_a_headset_of_session_x_reaches_nothing_of_session_y(tenant_a: str, x: Place) -> None:
    y = _session(tenant_a)
    me = headset_browser(x)
    _denied_everything(me, y)
    # Even where Y has a headset of the same id (only the token's session tells them apart).
    twin = Place(tenant_a, y.session, x.headsets)
    twin = _session(tenant_a, like=twin)
    _denied_everything(me, twin)


def test_a_headset_reaches_nothing_of_another_tenants_session(x: Place) -> None:
    other = _session(_tenant())
    _denied_everything(headset_browser(x), other)
    # Even a session and headsets of the same ids there: the token's tenant tells them apart.
    _denied_everything(headset_browser(x), _session(other.tenant, like=x))
    # A headset's token claiming the other tenant is still not that tenant's headset.
    me = headset_browser(x)
    claims = {**me.claims, "session_id": other.session, "headset_id": "forged"}
    assert not allowed(Browser(me.uid, other.tenant, "", claims).get(other.path))


def test_a_headset_reads_no_client_data_or_tenant_documents(tenant_a: str, x: Place) -> None:
    me = headset_browser(x)
    for path in (
        f"{TENANTS}/{tenant_a}",
        f"{TENANTS}/{tenant_a}/clients/c1",
        f"{TENANTS}/{tenant_a}/vr_summaries/s1",
        f"{TENANTS}/{tenant_a}/users/{TABLET_UID}",
        f"{TENANTS}/{tenant_a}/events/e1",
    ):
        assert not allowed(me.get(path)), path
        assert not allowed(me.write(path)), path
    assert not allowed(me.get(f"{x.path}/vr_events/e0"))  # the tablet's to read


def test_a_headset_reaches_nothing_of_another_headsets_signalling(x: Place) -> None:
    me = headset_browser(x, 0)
    neighbour = x.headset(1)
    for path in (
        neighbour,
        f"{neighbour}/vr_signals/offer",
        f"{neighbour}/vr_tablet_candidates/c1",
        f"{x.path}/vr_presence/{x.headsets[1]}",
        f"{x.path}/vr_commands/00000002",  # a command for the other headset only
    ):
        assert not allowed(me.get(path)), path
    assert not allowed(me.write(f"{neighbour}/vr_signals/answer", {"sdp": "v=0"}))
    assert not allowed(me.write(f"{neighbour}/vr_headset_candidates/c9", {"candidate": "x"}))
    assert not presence(me, x, x.headsets[1])


def test_an_expired_headset_reaches_nothing(tenant_a: str) -> None:
    expired = _session(tenant_a, valid_until=datetime.now(UTC) - timedelta(seconds=1))
    _denied_everything(headset_browser(expired), expired)


def test_a_removed_headset_reaches_nothing(x: Place) -> None:
    firestore_client().document(x.headset()).update({"active": False})
    _denied_everything(headset_browser(x), x)


def test_the_headsets_of_an_ended_session_or_a_suspended_tenant_reach_nothing(
    tenant_a: str,
) -> None:
    ended = _session(tenant_a)
    firestore_client().document(ended.path).update({"status": "ended"})
    _denied_everything(headset_browser(ended), ended)
    suspended = _session(_tenant())
    firestore_client().document(f"{TENANTS}/{suspended.tenant}").update({"status": "suspended"})
    _denied_everything(headset_browser(suspended), suspended)


@pytest.mark.parametrize("role", ["admin", "professional"])
def test_a_professional_of_another_tenant_reaches_no_session(x: Place, role: str) -> None:
    tenant_b = _tenant()  # TABLET_UID is an active member there too
    intruder = Browser(TABLET_UID, tenant_b, role)
    for path in _own_documents(x):
        assert not allowed(intruder.get(path)), path
    assert not allowed(intruder.write(f"{x.headset()}/vr_signals/offer", {"sdp": "v=0"}))
    assert not allowed(intruder.write(f"{x.headset()}/vr_tablet_candidates/c9", {"c": "x"}))
    # The tablet itself reads and offers: the denial above is the tenant, not the path.
    tablet = Browser(TABLET_UID, x.tenant, "professional")
    assert allowed(tablet.get(x.path))
    assert allowed(tablet.write(f"{x.headset()}/vr_signals/offer", {"sdp": "v=0"}))
