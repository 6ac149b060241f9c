"""Faults of the services (shared/retrying.py): Firestore answering UNAVAILABLE or ABORTED
is retried inside a bounded deadline; what outlasts it is a clean 503 (or 409 for a
transaction that keeps losing), with nothing partial written.

The faults are injected in a functions host of the test's own (emulators/roundtrips.py,
test mode): the next N gRPC calls of a method fail before they leave the process, as
Firestore would fail them, and everything else reaches the real emulator.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from google.api_core import exceptions as google
from google.api_core.retry import Retry, if_exception_type

from bench.common import Host, start_host, wait_ready
from shared import retrying
from tests.content import CLIENT
from tests.helpers import unique

API = "/clients_api"
DEADLINE_S = 2.0  # the host's TRIVSEL_RETRY_DEADLINE_S: short, so giving up is quick


@pytest.fixture(scope="module")
def host(stack: dict[str, str]) -> Iterator[Host]:
    started = start_host("test-faults", extra_env={"TRIVSEL_RETRY_DEADLINE_S": str(DEADLINE_S)})
    try:
        wait_ready(started)
        yield started
    finally:
        started.stop()


@pytest.fixture
def faults(host: Host) -> Iterator[Any]:
    """inject(method, code, count) on the host's Firestore calls; cleared afterwards."""

    def inject(method: str, code: str, count: int) -> None:
        body = {"service": "firestore", "method": method, "code": code, "count": count}
        requests.post(f"{host.url}/_bench/faults", json=body, timeout=10).raise_for_status()

    requests.delete(f"{host.url}/_bench/faults", timeout=10).raise_for_status()
    yield inject
    requests.delete(f"{host.url}/_bench/faults", timeout=10).raise_for_status()


def injected(host: Host) -> dict[str, int]:
    found: dict[str, int] = requests.get(f"{host.url}/_bench/faults", timeout=10).json()["injected"]
    return found


def send(host: Host, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, host.url + path, headers=headers, timeout=60, **kwargs)


def client_body(name: str) -> dict[str, Any]:
    return {**CLIENT, "profile": {**CLIENT["profile"], "name": name}}


def names(host: Host, token: str) -> list[str]:
    listing = send(host, "GET", f"{API}/clients?limit=100", token)
    assert listing.status_code == 200, listing.text
    return [c["name"] for c in listing.json()["clients"]]


def test_unavailable_commits_are_retried_and_the_request_succeeds(
    host: Host, faults: Any, org: dict[str, Any]
) -> None:
    faults("Commit", "UNAVAILABLE", 3)
    name = unique("Retried")
    created = send(host, "POST", f"{API}/clients", org["pro_token"], json=client_body(name))
    assert created.status_code == 201, created.text
    assert injected(host) == {"firestore/Commit": 3}
    assert names(host, org["pro_token"]).count(name) == 1  # written once


def test_an_unavailable_authority_read_is_retried(
    host: Host, faults: Any, org: dict[str, Any]
) -> None:
    faults("BatchGetDocuments", "UNAVAILABLE", 2)
    listing = send(host, "GET", f"{API}/clients", org["pro_token"])
    assert listing.status_code == 200, listing.text
    assert injected(host) == {"firestore/BatchGetDocuments": 2}


def test_aborted_commits_of_a_transaction_are_retried(
    host: Host, faults: Any, org: dict[str, Any]
) -> None:
    token = org["pro_token"]
    created = send(host, "POST", f"{API}/clients", token, json=client_body(unique("A")))
    assert created.status_code == 201, created.text
    faults("Commit", "ABORTED", 2)
    renamed = unique("Renamed")
    changed = send(
        host,
        "PATCH",
        f"{API}/clients/{created.json()['id']}",
        token,
        json={"profile": {**CLIENT["profile"], "name": renamed}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["profile"]["name"] == renamed
    assert injected(host) == {"firestore/Commit": 2}


def test_a_transaction_that_keeps_aborting_is_409_and_changes_nothing(
    host: Host, faults: Any, org: dict[str, Any]
) -> None:
    token = org["pro_token"]
    original = unique("Kept")
    created = send(host, "POST", f"{API}/clients", token, json=client_body(original))
    assert created.status_code == 201, created.text
    client_id = created.json()["id"]
    faults("Commit", "ABORTED", 100)
    changed = send(
        host,
        "PATCH",
        f"{API}/clients/{client_id}",
        token,
        json={"profile": {**CLIENT["profile"], "name": unique("Lost")}},
    )
    assert changed.status_code == 409, changed.text
    assert changed.json()["code"] == "conflict"
    assert injected(host) == {"firestore/Commit": 5}  # the transaction's five attempts
    requests.delete(f"{host.url}/_bench/faults", timeout=10).raise_for_status()
    read = send(host, "GET", f"{API}/clients/{client_id}", token)
    assert read.json()["profile"]["name"] == original


def test_firestore_unavailable_past_the_deadline_is_503_with_retry_after_and_nothing_written(
    host: Host, faults: Any, org: dict[str, Any]
) -> None:
    token = org["pro_token"]
    faults("Commit", "UNAVAILABLE", 1000)
    name = unique("Never")
    started = time.monotonic()
    reply = send(host, "POST", f"{API}/clients", token, json=client_body(name))
    took = time.monotonic() - started
    assert reply.status_code == 503, reply.text
    assert reply.json()["code"] == "service_unavailable"
    assert reply.headers["Retry-After"] == str(retrying.RETRY_AFTER_S)
    assert injected(host)["firestore/Commit"] > 3  # it was retried, with backoff ...
    assert took < DEADLINE_S + 3  # ... inside the bound
    requests.delete(f"{host.url}/_bench/faults", timeout=10).raise_for_status()
    assert name not in names(host, token)


# -- the policies themselves (pure) ------------------------------------------------------------


def test_bounded_keeps_the_librarys_predicate_and_sets_our_deadline() -> None:
    library = Retry(predicate=if_exception_type(google.ServiceUnavailable), timeout=300)
    assert library._predicate(google.ServiceUnavailable("down"))  # type: ignore[no-untyped-call]
    ours = retrying.bounded(library)
    assert ours._predicate is library._predicate
    assert ours.timeout == retrying.request_deadline_s()
    assert ours._maximum == retrying.MAXIMUM_DELAY_S
    assert not ours._predicate(google.Aborted("lost a race"))  # type: ignore[no-untyped-call]


def test_the_firestore_client_carries_the_bound_on_every_method(stack: dict[str, str]) -> None:
    from shared.gcp import firestore_client

    wrapped = firestore_client()._firestore_api._transport._wrapped_methods
    retries = [m._retry for m in wrapped.values() if isinstance(m._retry, Retry)]
    assert len(retries) > 10
    assert {r.timeout for r in retries} == {retrying.request_deadline_s()}


@pytest.mark.parametrize(
    ("error", "is_transient"),
    [
        (google.ServiceUnavailable, True),
        (google.DeadlineExceeded, True),
        (google.ResourceExhausted, True),
        (google.InternalServerError, True),
        (google.Aborted, False),  # contention: 409, not 503
        (google.NotFound, False),
        (google.FailedPrecondition, False),
    ],
)
def test_what_counts_as_transient(error: type[Exception], is_transient: bool) -> None:
    assert retrying.transient(error("x")) is is_transient


def test_retries_that_ran_out_are_transient_and_a_bug_is_not() -> None:
    ran_out = google.RetryError("Timeout of 10.0s exceeded", None)  # type: ignore[no-untyped-call]
    assert retrying.transient(ran_out)
    assert not retrying.transient(ValueError("a bug"))
