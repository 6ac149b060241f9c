"""The bench's round-trip instrumentation (emulators/roundtrips.py): it counts what the
clients really send, it delays what it is told to, and a host without
TRIVSEL_ROUNDTRIPS=1 serves none of it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.test import Client

from emulators import roundtrips


@pytest.fixture
def counting(stack: dict[str, str]) -> Iterator[None]:
    roundtrips.install(stack)
    roundtrips.reset()
    try:
        yield
    finally:
        roundtrips.uninstall()
        roundtrips.reset()


def _firestore() -> Any:
    """A client of its own: channels are wrapped when they are created."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore

    return firestore.Client(
        project=os.environ["GOOGLE_CLOUD_PROJECT"],
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
    )


def _user() -> str:
    from firebase_admin import auth

    from shared.gcp import firebase_app
    from tests.helpers import unique

    return str(auth.create_user(email=f"{unique('rt')}@example.dk", app=firebase_app()).uid)


def test_counts_a_known_sequence(counting: None) -> None:
    from firebase_admin import auth

    from shared.gcp import firebase_app

    db = _firestore()
    uid = _user()
    first, second = db.document("roundtrips/a"), db.document("roundtrips/b")
    roundtrips.reset()

    assert len(list(db.get_all([first, second]))) == 2  # one call for both
    batch = db.batch()
    batch.set(first, {"n": 1})
    batch.set(second, {"n": 2})
    batch.commit()
    auth.get_user(uid, app=firebase_app())

    counted = roundtrips.snapshot()
    assert (counted["firestore"], counted["auth"], counted["pubsub"], counted["tasks"]) == (
        2,
        1,
        0,
        0,
    )
    assert counted["methods"] == {
        "auth/accounts:lookup": 1,
        "firestore/BatchGetDocuments": 1,
        "firestore/Commit": 1,
    }

    list(db.collection("roundtrips").order_by("n").stream())  # a streamed query: one
    assert roundtrips.snapshot()["methods"]["firestore/RunQuery"] == 1
    roundtrips.reset()
    assert roundtrips.snapshot()["firestore"] == 0


def test_a_transaction_is_its_three_round_trips(counting: None) -> None:
    from google.cloud import firestore

    db = _firestore()
    ref = db.document("roundtrips/tx")
    ref.set({"n": 0})
    roundtrips.reset()

    @firestore.transactional
    def bump(transaction: firestore.Transaction) -> None:
        transaction.update(ref, {"n": ref.get(transaction=transaction).get("n") + 1})

    bump(db.transaction())
    assert roundtrips.snapshot()["methods"] == {
        "firestore/BatchGetDocuments": 1,
        "firestore/BeginTransaction": 1,
        "firestore/Commit": 1,
    }


def test_the_delay_is_applied_before_each_call(stack: dict[str, str]) -> None:
    from firebase_admin import auth

    from shared.gcp import firebase_app

    uid = _user()
    delays = {"TRIVSEL_DELAY_FIRESTORE_MS": "300", "TRIVSEL_DELAY_AUTH_MS": "300"}
    roundtrips.install({**stack, **delays})
    try:
        db = _firestore()
        ref = db.document("roundtrips/delayed")
        ref.set({"n": 1})  # the channel is open and warm
        started = time.perf_counter()
        ref.get()
        firestore_s = time.perf_counter() - started
        started = time.perf_counter()
        auth.get_user(uid, app=firebase_app())
        auth_s = time.perf_counter() - started
        roundtrips.install(stack)  # no delays any more: the same channel is fast again
        started = time.perf_counter()
        ref.get()
        undelayed_s = time.perf_counter() - started
    finally:
        roundtrips.uninstall()
    assert firestore_s >= 0.3
    assert auth_s >= 0.3
    assert undelayed_s < 0.3


def test_services_are_told_apart_by_their_address() -> None:
    config = roundtrips._Config.from_environ(
        {
            "FIRESTORE_EMULATOR_HOST": "127.0.0.1:18400",
            "PUBSUB_EMULATOR_HOST": "127.0.0.1:18401",
            "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:18402",
            "CLOUD_TASKS_EMULATOR_HOST": "127.0.0.1:18404",
        }
    )
    assert config.service("127.0.0.1:18400") == "firestore"
    assert config.service("localhost:18401") == "pubsub"
    assert config.service("dns:///127.0.0.1:18404") == "tasks"
    assert config.service("http://127.0.0.1:18402/identitytoolkit.googleapis.com/v1/x") == "auth"
    assert config.service("firestore.googleapis.com:443") == "firestore"
    assert config.service("https://identitytoolkit.googleapis.com/v1/accounts:lookup") == "auth"
    assert config.service("http://127.0.0.1:18403/storage/v1/b") == "other"


def test_memory_probe_sees_a_streamed_body() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        held = [bytes(1024) * 1024 for _ in range(8)]  # 8 MiB, alive while streaming
        yield from held

    probe = roundtrips.MemoryProbe(app)
    client = Client(probe)
    client.get("/", buffered=True)
    assert probe.last is None  # not asked for
    client.get("/x", headers={"X-Trivsel-Bench-Memory": "1"}, buffered=True)
    assert probe.last is not None
    assert probe.last["path"] == "/x"
    assert probe.last["response_bytes"] == 8 * 2**20
    assert probe.last["tracemalloc_peak_bytes"] >= 8 * 2**20


def test_the_stack_host_serves_no_bench_endpoints(stack: dict[str, str]) -> None:
    base = stack["TRIVSEL_FUNCTIONS_URL"]
    assert requests.get(f"{base}/_bench/roundtrips", timeout=10).status_code == 404
    assert requests.post(f"{base}/_bench/roundtrips/reset", timeout=10).status_code == 404
    assert requests.get(f"{base}/_bench/memory", timeout=10).status_code == 404
    assert requests.get(f"{base}/baseline_client_get/x", timeout=10).status_code == 404


def test_an_instrumented_host_counts_its_requests(tenant: dict[str, Any]) -> None:
    from bench.common import start_host, wait_ready

    host = start_host("test-roundtrips")
    try:
        wait_ready(host)
        assert requests.get(f"{host.url}/_bench/memory", timeout=10).status_code == 404
        host.reset()
        assert host.counts()["firestore"] == 0
        headers = {"Authorization": f"Bearer {tenant['admin_token']}"}
        reply = requests.get(f"{host.url}/baseline_client_list/", headers=headers, timeout=30)
        assert reply.status_code == 200, reply.text
        counted = host.counts()
        # The caller's authority in one get_all, then the page's query; no Auth call.
        assert counted["methods"] == {"firestore/BatchGetDocuments": 1, "firestore/RunQuery": 1}
        assert counted["auth"] == 0
        reply = requests.get(f"{host.url}/clients_api/clients", headers=headers, timeout=30)
        assert reply.status_code == 200, reply.text
        assert host.counts()["firestore"] > 2  # Trivsel's calls are counted too
    finally:
        host.stop()
