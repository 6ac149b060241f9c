"""Idempotency keys on creating POSTs, through the running clients_api (issue 19)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.gcp import firestore_client
from tests.accounts import problem
from tests.helpers import call, unique

pytestmark = pytest.mark.usefixtures("stack")
API = "/clients_api"


def clients_named(token: str, name: str) -> list[dict[str, Any]]:
    found = call("GET", f"{API}/clients", token, params={"q": name}).json()["clients"]
    return [c for c in found if c["name"] == name]


def test_a_retried_create_with_the_same_key_creates_one_record(org: dict[str, Any]) -> None:
    key = {"Idempotency-Key": unique("key")}
    name = unique("Idem")
    body = {"profile": {"name": name}}
    first = call("POST", f"{API}/clients", org["pro_token"], json=body, headers=key)
    again = call("POST", f"{API}/clients", org["pro_token"], json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(clients_named(org["pro_token"], name)) == 1


def test_the_same_key_with_another_body_is_refused_and_writes_nothing(
    org: dict[str, Any],
) -> None:
    key = {"Idempotency-Key": unique("key")}
    name, other = unique("Idem"), unique("Andet")
    call("POST", f"{API}/clients", org["pro_token"], json={"profile": {"name": name}}, headers=key)
    reused = call(
        "POST", f"{API}/clients", org["pro_token"], json={"profile": {"name": other}}, headers=key
    )
    problem(reused, 422, "idempotency_key_reused")
    assert clients_named(org["pro_token"], other) == []


def test_keys_are_the_caller_s_own(org: dict[str, Any]) -> None:
    key = {"Idempotency-Key": unique("key")}
    name = unique("Idem")
    body = {"profile": {"name": name}}
    mine = call("POST", f"{API}/clients", org["pro_token"], json=body, headers=key)
    theirs = call("POST", f"{API}/clients", org["admin_token"], json=body, headers=key)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]  # never someone else's response


def test_a_refused_request_frees_its_key(org: dict[str, Any]) -> None:
    key = {"Idempotency-Key": unique("key")}
    bad = call(
        "POST", f"{API}/clients", org["pro_token"], json={"profile": {"name": ""}}, headers=key
    )
    problem(bad, 422, "validation_failed")
    name = unique("Idem")
    good = call(
        "POST", f"{API}/clients", org["pro_token"], json={"profile": {"name": name}}, headers=key
    )
    assert good.status_code == 201


def test_keys_older_than_a_day_are_purged_at_night() -> None:
    from functions.support.maintenance.runner import run_nightly
    from shared.http._idempotency import IDEMPOTENCY_KEYS

    db = firestore_client()
    old, fresh = unique("old"), unique("fresh")
    now = datetime.now(UTC)
    db.collection(IDEMPOTENCY_KEYS).document(old).set({"at": now - timedelta(hours=25)})
    db.collection(IDEMPOTENCY_KEYS).document(fresh).set({"at": now - timedelta(hours=1)})
    run_nightly(db)
    assert not db.collection(IDEMPOTENCY_KEYS).document(old).get().exists
    assert db.collection(IDEMPOTENCY_KEYS).document(fresh).get().exists


def test_creating_posts_document_the_header() -> None:
    document = call("GET", f"{API}/openapi.json").json()
    parameters = document["paths"]["/clients"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in parameters)
    assert (
        "idempotency_key_reused"
        in document["paths"]["/clients"]["post"]["responses"]["422"]["description"]
    )
