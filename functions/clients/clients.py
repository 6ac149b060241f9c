"""Clients of a tenant: master data, contact persons, consent, search, pseudonyms (C-1 ... C-3)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.clients.models import (
    Client,
    ClientCreate,
    ClientPage,
    ClientQuery,
    ClientSummary,
    ClientUpdate,
    CourseSummary,
)
from shared import errors
from shared.clients import (
    CLIENTS,
    COURSES,
    HIDDEN,
    LAST_ACTIVITY,
    PREFIX_LENGTH,
    Consent,
    ContactPerson,
    Gender,
    Identity,
    Profile,
    load_document,
    load_for_change,
    open_identity,
    seal_identity,
    search_fields,
    search_key,
)
from shared.events import new_event, record_event, record_event_soon
from shared.faults import crash_point
from shared.ids import new_id
from shared.paging import page
from shared.principal import Principal, Role
from shared.tenancy import TenantData

PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely


class Pseudonymised(errors.ApiError):
    status, code, title = 409, "pseudonymised", "The client is pseudonymised"


def _document(profile: Profile, contacts: list[ContactPerson]) -> dict[str, Any]:
    return {
        "profile": profile.model_dump(mode="json"),
        "contacts": [c.model_dump(mode="json") for c in contacts],
        **search_fields(profile.name),
    }


def _client(client_id: str, doc: dict[str, Any], courses: list[CourseSummary]) -> Client:
    return Client.model_validate({**doc, "id": client_id, "courses": courses})


def _changed(
    me: Principal,
    data: TenantData,
    client_id: str,
    action: str,
    details: dict[str, Any] | None = None,
) -> Client:
    """Log a change of the client and show the client as it is now."""
    record_event(
        data,
        actor=me.uid,
        action=action,
        subject=f"{CLIENTS}/{client_id}",
        client_id=client_id,
        details=details,
    )
    return _client(client_id, load_document(data, client_id), course_summaries(data, client_id))


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
                done=sum(item["status"] == "performed" for item in items),
            )
        )
    return summaries


def create(me: Principal, data: TenantData, body: ClientCreate) -> Client:
    """The client and its first log entry, in one commit: both or neither. A retry that
    re-runs after a crash (same Idempotency-Key) gets the same id and finds the client."""
    now = datetime.now(UTC)
    ref = data.document(CLIENTS, new_id("client"))
    doc = {
        **_document(body.profile, body.contacts),
        "consent": body.consent.model_dump(mode="json") if body.consent else None,
        "pseudonymised": False,
        "sealed_identity": None,
        "files": [],
        "created_at": now,
        "updated_at": now,
        LAST_ACTIVITY: now,  # what a retention period counts from
        "created_by": me.uid,
    }
    batch = data.db.batch()
    batch.create(ref, doc)
    batch.create(
        *new_event(
            data,
            actor=me.uid,
            action="client.created",
            subject=f"{CLIENTS}/{ref.id}",
            client_id=ref.id,
            event_id=f"client-created-{ref.id}",
        )
    )
    crash_point("clients.create.before_commit")
    try:
        batch.commit()
    except AlreadyExists:  # the first run of this request committed, then died
        return _client(ref.id, load_document(data, ref.id), course_summaries(data, ref.id))
    crash_point("clients.create.after_commit")
    return _client(ref.id, doc, [])


def read(me: Principal, data: TenantData, client_id: str) -> Client:
    """The client overview, with courses; every read is in the access audit trail (C-7)."""
    doc = load_document(data, client_id)
    audit = record_event_soon(
        data,
        actor=me.uid,
        action="client.read",
        subject=f"{CLIENTS}/{client_id}",
        client_id=client_id,
    )
    courses = course_summaries(data, client_id)
    audit.result()  # answered only once the read is in the trail
    return _client(client_id, doc, courses)


def search(data: TenantData, query: ClientQuery) -> ClientPage:
    """Clients by name (or pseudonym): a word's prefix, or the start of the whole name."""
    clients: Any = data.collection(CLIENTS)
    words = search_key(query.q or "").split()
    if len(words) == 1:
        clients = clients.where(
            filter=FieldFilter("search_prefixes", "array_contains", words[0][:PREFIX_LENGTH])
        )
    elif words:
        key = " ".join(words)
        clients = clients.where(filter=FieldFilter("search_name", ">=", key)).where(
            filter=FieldFilter("search_name", "<", key + "\uf8ff")
        )
    ordered = clients.order_by("search_name").order_by("__name__")

    def summary(snapshot: firestore.DocumentSnapshot[Any]) -> ClientSummary | None:
        doc = snapshot.to_dict() or {}
        if doc.get("erasing"):
            return None
        return ClientSummary(
            id=snapshot.id,
            name=doc["profile"]["name"],
            pseudonymised=bool(doc.get("pseudonymised")),
            updated_at=doc["updated_at"],
        )

    found = page(ordered, data.collection(CLIENTS), query.cursor, query.limit, summary)
    return ClientPage(clients=found.items, next_cursor=found.next_cursor)


def update(me: Principal, data: TenantData, client_id: str, body: ClientUpdate) -> Client:
    ref = data.document(CLIENTS, client_id)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> None:
        doc = load_for_change(data, client_id, transaction)
        now = datetime.now(UTC)
        changes: dict[str, Any] = {"updated_at": now, LAST_ACTIVITY: now}
        identifying = body.profile is not None or body.contacts is not None
        if doc.get("pseudonymised") and identifying and me.role is not Role.ADMIN:
            # A professional sees only the pseudonym: an edit would overwrite what they
            # cannot see. The administrator, who can read the originals, may change them.
            raise Pseudonymised("Only the administrator changes a pseudonymised client's data")
        if doc.get("pseudonymised"):
            # The identifying data stays sealed; the change goes into the sealed copy.
            identity = open_identity(data, client_id, doc)
            identity = Identity(
                profile=body.profile or identity.profile,
                contacts=body.contacts if body.contacts is not None else identity.contacts,
                consent=body.consent if "consent" in body.model_fields_set else identity.consent,
            )
            changes["sealed_identity"] = seal_identity(data, client_id, identity)
            if body.profile is not None:
                changes["profile.gender"] = body.profile.gender.value
            if "consent" in body.model_fields_set:
                changes["consent"] = _masked(body.consent) if body.consent else None
        else:
            if "consent" in body.model_fields_set:  # null: the consent is withdrawn
                changes["consent"] = body.consent.model_dump(mode="json") if body.consent else None
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
    fields = {"fields": sorted(body.model_fields_set)}
    return _changed(me, data, client_id, "client.updated", fields)


# -- pseudonymisation (C-2) ---------------------------------------------------------------------


def _masked(consent: Consent) -> dict[str, Any]:
    """The consent of a pseudonymised client: that it exists and its scope, not who gave it."""
    return consent.model_copy(update={"given_by": HIDDEN}).model_dump(mode="json")


def new_pseudonym() -> str:
    return "Klient-" + "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(6))


def pseudonymise(me: Principal, data: TenantData, client_id: str) -> Client:
    """Replace the identifying data by a pseudonym; the originals are kept sealed.

    The change and its log entry are one transaction: a crash leaves the client as it
    was or pseudonymised and logged, never half of it."""
    ref = data.document(CLIENTS, client_id)
    crash_point("clients.pseudonymise.before")

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> None:
        doc = load_for_change(data, client_id, transaction)
        if doc.get("pseudonymised"):
            raise Pseudonymised("The client is pseudonymised already")
        crash_point("clients.pseudonymise.read")
        original = Profile.model_validate(doc["profile"])
        consent = Consent.model_validate(doc["consent"]) if doc.get("consent") else None
        identity = Identity(
            profile=original,
            contacts=[ContactPerson.model_validate(c) for c in doc["contacts"]],
            consent=consent,
        )
        visible = Profile(name=new_pseudonym(), gender=original.gender or Gender.UNKNOWN)
        sealed = seal_identity(data, client_id, identity)
        crash_point("clients.pseudonymise.sealed")
        transaction.update(
            ref,
            {
                **_document(visible, []),
                "consent": _masked(consent) if consent else None,
                "pseudonymised": True,
                "sealed_identity": sealed,
                "updated_at": datetime.now(UTC),
                LAST_ACTIVITY: datetime.now(UTC),
            },
        )
        # A new id in each attempt: an attempt that lost its race wrote nothing.
        transaction.create(
            *new_event(
                data,
                actor=me.uid,
                action="client.pseudonymised",
                subject=f"{CLIENTS}/{client_id}",
                client_id=client_id,
            )
        )

    apply(data.db.transaction())
    crash_point("clients.pseudonymise.committed")
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
    return open_identity(data, client_id, doc)


def reverse(me: Principal, data: TenantData, client_id: str) -> Client:
    """Put the original identifying data back (the administrator's decision)."""
    ref = data.document(CLIENTS, client_id)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> None:
        doc = load_for_change(data, client_id, transaction)
        if not doc.get("pseudonymised"):
            raise errors.InvalidTransition("The client is not pseudonymised")
        original = open_identity(data, client_id, doc)
        transaction.update(
            ref,
            {
                **_document(original.profile, original.contacts),
                "consent": original.consent.model_dump(mode="json") if original.consent else None,
                "pseudonymised": False,
                "sealed_identity": None,
                "updated_at": datetime.now(UTC),
                LAST_ACTIVITY: datetime.now(UTC),
            },
        )

    apply(data.db.transaction())
    return _changed(me, data, client_id, "client.pseudonym_reversed")
