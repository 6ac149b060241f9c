"""Clients of a tenant: master data, contact persons, consent, search, pseudonyms (C-1 ... C-3)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore

from functions.clients.models import (
    Client,
    ClientCreate,
    ClientPage,
    ClientQuery,
    ClientUpdate,
    Consent,
    ContactPerson,
    CourseSummary,
    Gender,
    Identity,
    Profile,
)
from shared import crypto, errors
from shared.events import record_event
from shared.principal import Principal
from shared.tenancy import TenantData

CLIENTS = "clients"
COURSES = "courses"
PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely
HIDDEN = "(pseudonymiseret)"


class Pseudonymised(errors.ApiError):
    status, code, title = 409, "pseudonymised", "The client is pseudonymised"


def _search_key(text: str) -> str:
    return " ".join(text.lower().split())


def _document(profile: Profile, contacts: list[ContactPerson]) -> dict[str, Any]:
    return {
        "profile": profile.model_dump(mode="json"),
        "contacts": [c.model_dump(mode="json") for c in contacts],
        "search_name": _search_key(profile.name),
    }


def _context(data: TenantData, client_id: str) -> str:
    return f"{data.tenant_id}/{CLIENTS}/{client_id}"


def load_document(data: TenantData, client_id: str) -> dict[str, Any]:
    snapshot = data.document(CLIENTS, client_id).get()
    if not snapshot.exists:
        raise errors.NotFound("No such client")
    return snapshot.to_dict() or {}


def _client(client_id: str, doc: dict[str, Any], courses: list[CourseSummary]) -> Client:
    return Client.model_validate({**doc, "id": client_id, "courses": courses})


def course_summaries(data: TenantData, client_id: str) -> list[CourseSummary]:
    summaries = []
    for snapshot in data.collection(CLIENTS, client_id, COURSES).order_by("assigned_at").get():
        course = snapshot.to_dict() or {}
        items = course.get("items", [])
        summaries.append(
            CourseSummary(
                id=snapshot.id,
                course_id=course["course_id"],
                title=course["title"],
                status=course["status"],
                assigned_at=course["assigned_at"],
                total=len(items),
                done=sum(item["status"] in ("performed", "sent") for item in items),
            )
        )
    return summaries


def create(me: Principal, data: TenantData, body: ClientCreate) -> Client:
    now = datetime.now(UTC)
    ref = data.collection(CLIENTS).document()
    doc = {
        **_document(body.profile, body.contacts),
        "consent": body.consent.model_dump(mode="json") if body.consent else None,
        "pseudonymised": False,
        "sealed_identity": None,
        "files": [],
        "created_at": now,
        "updated_at": now,
        "created_by": me.uid,
    }
    ref.create(doc)
    record_event(
        data, actor=me.uid, action="client.created", subject=f"{CLIENTS}/{ref.id}", client_id=ref.id
    )
    return _client(ref.id, doc, [])


def read(me: Principal, data: TenantData, client_id: str) -> Client:
    """The client overview, with courses; every read is in the access audit trail (C-7)."""
    doc = load_document(data, client_id)
    record_event(
        data,
        actor=me.uid,
        action="client.read",
        subject=f"{CLIENTS}/{client_id}",
        client_id=client_id,
    )
    return _client(client_id, doc, course_summaries(data, client_id))


def search(data: TenantData, query: ClientQuery) -> ClientPage:
    """Clients by name (or pseudonym) prefix, in name order, a page at a time."""
    base = data.collection(CLIENTS).order_by("search_name").order_by("__name__")
    if query.q:
        key = _search_key(query.q)
        base = (
            data.collection(CLIENTS)
            .where("search_name", ">=", key)
            .where("search_name", "<", key + "\uf8ff")
            .order_by("search_name")
            .order_by("__name__")
        )
    if query.cursor:
        after = data.document(CLIENTS, query.cursor).get()
        if not after.exists:
            raise errors.ValidationFailed(
                "The cursor is not valid", errors=[{"field": "cursor", "message": "unknown"}]
            )
        base = base.start_after(after)
    page = base.limit(query.limit + 1).get()
    clients = [_client(s.id, s.to_dict() or {}, []) for s in page[: query.limit]]
    return ClientPage(
        clients=clients, next_cursor=clients[-1].id if len(page) > query.limit else None
    )


def update(me: Principal, data: TenantData, client_id: str, body: ClientUpdate) -> Client:
    ref = data.document(CLIENTS, client_id)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> None:
        snapshot = ref.get(transaction=transaction)
        if not snapshot.exists:
            raise errors.NotFound("No such client")
        doc = snapshot.to_dict() or {}
        changes: dict[str, Any] = {"updated_at": datetime.now(UTC)}
        if doc.get("pseudonymised"):
            # The identifying data stays sealed; the change goes into the sealed copy.
            identity = _unseal(data, client_id, doc)
            identity = Identity(
                profile=body.profile or identity.profile,
                contacts=body.contacts if body.contacts is not None else identity.contacts,
                consent=body.consent or identity.consent,
            )
            changes["sealed_identity"] = _seal(data, client_id, identity)
            if body.profile is not None:
                changes["profile.gender"] = body.profile.gender.value
            if body.consent is not None:
                changes["consent"] = _masked(body.consent)
        else:
            if body.consent is not None:
                changes["consent"] = body.consent.model_dump(mode="json")
            if body.profile is not None or body.contacts is not None:
                profile = body.profile or Profile.model_validate(doc["profile"])
                contacts = (
                    body.contacts
                    if body.contacts is not None
                    else [ContactPerson.model_validate(c) for c in doc["contacts"]]
                )
                changes |= _document(profile, contacts)
        transaction.update(ref, changes)

    apply(data.db.transaction())
    record_event(
        data,
        actor=me.uid,
        action="client.updated",
        subject=f"{CLIENTS}/{client_id}",
        client_id=client_id,
        details={"fields": sorted(body.model_fields_set)},
    )
    return _client(client_id, load_document(data, client_id), course_summaries(data, client_id))


# -- pseudonymisation (C-2) ---------------------------------------------------------------------


def _seal(data: TenantData, client_id: str, identity: Identity) -> str:
    return crypto.seal(data, identity.model_dump_json().encode(), _context(data, client_id))


def _unseal(data: TenantData, client_id: str, doc: dict[str, Any]) -> Identity:
    plain = crypto.open_sealed(data, str(doc["sealed_identity"]), _context(data, client_id))
    return Identity.model_validate(json.loads(plain))


def _masked(consent: Consent) -> dict[str, Any]:
    """The consent of a pseudonymised client: that it exists and its scope, not who gave it."""
    return consent.model_copy(update={"given_by": HIDDEN}).model_dump(mode="json")


def new_pseudonym() -> str:
    return "Klient-" + "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(6))


def pseudonymise(me: Principal, data: TenantData, client_id: str) -> Client:
    """Replace the identifying data by a pseudonym; the originals are kept sealed."""
    doc = load_document(data, client_id)
    if doc.get("pseudonymised"):
        raise Pseudonymised("The client is pseudonymised already")
    original = Profile.model_validate(doc["profile"])
    consent = Consent.model_validate(doc["consent"]) if doc.get("consent") else None
    identity = Identity(
        profile=original,
        contacts=[ContactPerson.model_validate(c) for c in doc["contacts"]],
        consent=consent,
    )
    visible = Profile(name=new_pseudonym(), gender=original.gender or Gender.UNKNOWN)
    data.document(CLIENTS, client_id).update(
        {
            **_document(visible, []),
            "consent": _masked(consent) if consent else None,
            "pseudonymised": True,
            "sealed_identity": _seal(data, client_id, identity),
            "updated_at": datetime.now(UTC),
        }
    )
    record_event(
        data,
        actor=me.uid,
        action="client.pseudonymised",
        subject=f"{CLIENTS}/{client_id}",
        client_id=client_id,
    )
    return _client(client_id, load_document(data, client_id), course_summaries(data, client_id))


def identity(me: Principal, data: TenantData, client_id: str) -> Identity:
    """The sealed originals, for the administrator; the reading is audited."""
    doc = load_document(data, client_id)
    if not doc.get("pseudonymised"):
        raise errors.InvalidTransition("The client is not pseudonymised")
    record_event(
        data,
        actor=me.uid,
        action="client.identity_read",
        subject=f"{CLIENTS}/{client_id}",
        client_id=client_id,
    )
    return _unseal(data, client_id, doc)


def reverse(me: Principal, data: TenantData, client_id: str) -> Client:
    """Put the original identifying data back (the administrator's decision)."""
    doc = load_document(data, client_id)
    if not doc.get("pseudonymised"):
        raise errors.InvalidTransition("The client is not pseudonymised")
    original = _unseal(data, client_id, doc)
    data.document(CLIENTS, client_id).update(
        {
            **_document(original.profile, original.contacts),
            "consent": original.consent.model_dump(mode="json") if original.consent else None,
            "pseudonymised": False,
            "sealed_identity": None,
            "updated_at": datetime.now(UTC),
        }
    )
    record_event(
        data,
        actor=me.uid,
        action="client.pseudonym_reversed",
        subject=f"{CLIENTS}/{client_id}",
        client_id=client_id,
    )
    return _client(client_id, load_document(data, client_id), course_summaries(data, client_id))
