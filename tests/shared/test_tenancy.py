"""The tenant access layer cannot address another tenant's subtree (pure logic)."""

from __future__ import annotations

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from shared.tenancy import InvalidPath, TenantData


@pytest.fixture
def tenant() -> TenantData:
    # A client that is never used for I/O here: only references are built.
    db = firestore.Client(project="demo-unit", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    return TenantData(db, "aarhus")


def test_paths_are_built_below_the_tenant(tenant: TenantData) -> None:
    assert tenant.document("clients", "c1").path == "tenants/aarhus/clients/c1"
    notes = tenant.collection("clients", "c1", "notes")
    assert notes.document("n1").path == "tenants/aarhus/clients/c1/notes/n1"
    assert tenant.root.path == "tenants/aarhus"


@pytest.mark.parametrize(
    "segments",
    [
        ("..", "..", "tenants", "other"),
        ("clients", "../other"),
        ("clients", "a/b"),
        ("clients", ""),
        ("clients", "."),
        ("clients", "x" * 129),
        ("clients", "c1 "),
    ],
)
def test_segments_that_could_escape_are_refused(
    tenant: TenantData, segments: tuple[str, ...]
) -> None:
    with pytest.raises(InvalidPath):
        tenant.document(*segments) if len(segments) % 2 == 0 else tenant.collection(*segments)


def test_collection_and_document_depths_are_checked(tenant: TenantData) -> None:
    with pytest.raises(InvalidPath):
        tenant.document("clients")
    with pytest.raises(InvalidPath):
        tenant.collection("clients", "c1")
    with pytest.raises(InvalidPath):
        tenant.collection()


@pytest.mark.parametrize("tenant_id", ["", "Aarhus", "-x", "x-", "a/b", "a.b", "x" * 64, "æøå"])
def test_tenant_ids_must_be_dns_labels(tenant_id: str) -> None:
    db = firestore.Client(project="demo-unit", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    with pytest.raises(InvalidPath):
        TenantData(db, tenant_id)
