"""A client's record as every area reads it: loading it and opening what is sealed (C-1, C-2).

The clients area creates, edits and pseudonymises clients; remote tasks, VR and
well-being read them through here, so "a client being erased is already gone for
everyone" and "sealed data opens only with the tenant's key" hold in one place.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Self

from cryptography.exceptions import InvalidTag
from google.cloud import firestore
from pydantic import EmailStr, Field, model_validator

from shared import crypto, errors
from shared.messaging.models import E164_PATTERN, Locale
from shared.models import Model, Strict
from shared.tenancy import TenantData

CLIENTS = "clients"
COURSES = "courses"  # below each client: tenants/{t}/clients/{c}/courses/{k}
# What a professional sees where a pseudonymised client's identifying data would be.
HIDDEN = "(pseudonymiseret)"
PREFIX_LENGTH = 20  # the longest word prefix search indexes


class ClientErased(errors.ApiError):
    """The client was erased (at the data subject's request or by retention): gone for
    good. A restore of them and an offline record about them both meet it."""

    status, code = 410, "client_erased"
    title = "The client was erased: never restored, and nothing more is recorded about them"


def search_key(text: str) -> str:
    """The name as search compares it: lower case, single spaces."""
    return " ".join(text.lower().split())


def search_fields(name: str) -> dict[str, Any]:
    """What search reads on a client's document: the whole name's key (ordering, several
    words) and every prefix of every word, so "jen" finds "Ida Jensen". Written with every
    name, and backfilled on older clients by migration 0001."""
    key = search_key(name)
    prefixes = sorted({w[:n] for w in key.split() for n in range(1, PREFIX_LENGTH + 1)})
    return {"search_name": key, "search_prefixes": prefixes}


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Profile(Strict):
    """Master data (stamdata)."""

    name: str = Field(min_length=1, max_length=200)
    birth_date: date | None = None
    gender: Gender = Gender.UNKNOWN
    institution: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _not_born_tomorrow(self) -> Self:
        if self.birth_date is not None and self.birth_date > date.today():
            raise ValueError("birth_date is in the future")
        return self


class ContactPerson(Strict):
    name: str = Field(min_length=1, max_length=200)
    relation: str = Field(min_length=1, max_length=100, description="e.g. mor, far, værge")
    email: EmailStr | None = None
    phone: str | None = Field(default=None, pattern=E164_PATTERN.pattern)
    # The language of the e-mails and pages they get; None: the tenant's.
    language: Locale | None = None


class Consent(Strict):
    """The written consent: who gave it, when, and to what."""

    given_by: str = Field(min_length=1, max_length=200)
    given_at: date
    scope: str = Field(min_length=1, max_length=1000)


class Identity(Model):
    """The original identifying data of a pseudonymised client."""

    profile: Profile
    contacts: list[ContactPerson]
    consent: Consent | None = None


class ClientRestricted(errors.ApiError):
    status, code = 409, "client_restricted"
    title = "The client's data is restricted (GDPR Art. 18): kept and readable, not processed"


def load_document(
    tenant: TenantData, client_id: str, transaction: firestore.Transaction | None = None
) -> dict[str, Any]:
    """The client's document; a client being erased is already gone for everyone.

    Outside a transaction it is the snapshot read with the caller's authority, if the
    route asked for it (one round trip for both)."""
    ref = tenant.document(CLIENTS, client_id)
    if transaction is not None:
        return checked_document(ref.get(transaction=transaction))
    return checked_document(tenant.read(ref))


def load_for_change(
    tenant: TenantData, client_id: str, transaction: firestore.Transaction | None = None
) -> dict[str, Any]:
    """The client's document, if it may be processed: the one check of a restriction.

    Every route that changes a client or acts on their data (an edit, a course change,
    a remote task, a reminder) loads the client through here; reading and exporting
    use `load_document`, so a restricted client's data stays readable and exportable.
    """
    doc = load_document(tenant, client_id, transaction)
    check_unrestricted(doc)
    return doc


def check_unrestricted(doc: dict[str, Any]) -> None:
    if doc.get("restriction"):
        raise ClientRestricted(
            "Processing of this client is restricted until the administrator lifts it"
        )


def checked_document(snapshot: firestore.DocumentSnapshot[Any]) -> dict[str, Any]:
    doc = snapshot.to_dict() if snapshot.exists else None
    if doc is None or doc.get("erasing"):
        raise errors.NotFound("No such client")
    return doc


def _context(tenant: TenantData, client_id: str) -> str:
    return f"{tenant.tenant_id}/{CLIENTS}/{client_id}"


def seal_identity(tenant: TenantData, client_id: str, identity: Identity) -> str:
    return crypto.seal(tenant, identity.model_dump_json().encode(), _context(tenant, client_id))


def open_identity(tenant: TenantData, client_id: str, doc: dict[str, Any]) -> Identity:
    try:
        plain = crypto.open_sealed(tenant, str(doc["sealed_identity"]), _context(tenant, client_id))
    except InvalidTag:
        raise crypto.KeyUnavailable(
            "The sealed data does not open with this tenant's key"
        ) from None
    return Identity.model_validate(json.loads(plain))


def seal_contact(tenant: TenantData, context: str, name: str, email: str) -> str:
    """A contact person copied onto another record (e.g. a remote task), sealed there too."""
    plain = json.dumps({"name": name, "email": email}).encode()
    return crypto.seal(tenant, plain, f"{tenant.tenant_id}/{context}")


def open_contact(tenant: TenantData, context: str, sealed: str) -> tuple[str, str]:
    """Name and address of a sealed contact person (server use: to send to them)."""
    try:
        contact = json.loads(crypto.open_sealed(tenant, sealed, f"{tenant.tenant_id}/{context}"))
    except InvalidTag:
        raise crypto.KeyUnavailable("The sealed contact does not open with this key") from None
    return str(contact["name"]), str(contact["email"])


def contacts_of(tenant: TenantData, client_id: str, doc: dict[str, Any]) -> list[ContactPerson]:
    """The client's contact persons, unsealed if the client is pseudonymised (server use)."""
    if doc.get("pseudonymised"):
        return open_identity(tenant, client_id, doc).contacts
    return [ContactPerson.model_validate(c) for c in doc["contacts"]]


# -- last activity: what a retention period counts from (functions/support/retention.py) -----

LAST_ACTIVITY = "last_activity_at"


def touch(writer: Any, tenant: TenantData, client_id: str, now: datetime) -> None:
    """Record activity on the client in `writer` (a batch or transaction), with the write
    that is the activity: created or changed, a course assigned, an exercise performed or
    changed, a remote task answered, a file added. Reading is not activity."""
    writer.update(tenant.document(CLIENTS, client_id), {LAST_ACTIVITY: now})
