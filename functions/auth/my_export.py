"""A user's own data (GDPR Art. 15 and 20 for a professional or administrator), as JSON.

`GET /me/export` streams it straight back (no job, no link: it is read as it is written
out, so memory stays bounded however long the log): the user's profile; their log (every
event they are the actor of, and every event about their account); the tickets they
reported, with what they wrote; and references to what they wrote about clients.
An event about a client (it carries a client_id) is exported as its id, action, subject,
client and date only: its details hold the client's data (a note's text, a synced
field's values, a conflict's two sides).

What a user wrote about a client is also the client's data, whose controller is the
customer: the clients, courses and data-subject requests they created appear as ids and
dates, never with a client's name or details (log entries never hold names either). So
the export holds nothing of anyone else beyond the ids the user's own work points at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from google.cloud.firestore_v1.base_query import FieldFilter

from shared.client_data import plain
from shared.clients import CLIENTS, COURSES
from shared.data_subjects import DATA_SUBJECT_REQUESTS
from shared.events import EVENTS, record_event
from shared.exports import json_object
from shared.members import USERS
from shared.principal import Principal
from shared.tenancy import TenantData
from shared.wellbeing import OWN_CHECKS, PROGRAMMES

TICKETS = "tickets"  # tenants/{t}/tickets (functions/support/tickets owns them)
# What of a ticket its reporter wrote (not the supplier's handling, nor an assignee's name).
TICKET_FIELDS = (
    "title",
    "description",
    "steps_to_reproduce",
    "consequence",
    "status",
    "created_at",
    "closed_at",
)
# What of a user record is internal bookkeeping rather than the user's data.
INTERNAL = frozenset({"tokens_valid_after"})


def _where(data: TenantData, collection: str, field: str, value: str) -> Any:
    return data.collection(collection).where(filter=FieldFilter(field, "==", value))


def sections(me: Principal, data: TenantData) -> Iterator[tuple[str, Iterator[dict[str, Any]]]]:
    """Each part of the export with its records, read as they are written out."""
    uid = me.uid
    newest_first = _where(data, EVENTS, "actor", uid).order_by("at", direction="DESCENDING")
    yield "log", (_log_row(s) for s in newest_first.stream())
    about_me = _where(data, EVENTS, "subject", f"{USERS}/{uid}").stream()
    yield "about_me", (_log_row(s) for s in about_me)
    yield (
        "tickets_reported",
        (
            {"id": s.id, **_picked(s, TICKET_FIELDS)}
            for s in _where(data, TICKETS, "reporter_uid", uid).stream()
        ),
    )
    yield (
        "clients_created",
        (
            {"client_id": s.id, "created_at": plain((s.to_dict() or {}).get("created_at"))}
            for s in _where(data, CLIENTS, "created_by", uid).select(["created_at"]).stream()
        ),
    )
    yield "courses_assigned", _courses(data, uid)
    yield (
        "data_subject_requests_registered",
        (
            {"id": s.id, **_picked(s, ("kind", "client_id", "received_on", "status"))}
            for s in _where(data, DATA_SUBJECT_REQUESTS, "created_by", uid).stream()
        ),
    )
    # Their own well-being (issue 17): theirs alone, so here whole.
    own_checks = _where(data, OWN_CHECKS, "uid", uid).stream()
    yield "own_wellbeing_checks", ({"id": c.id, **plain(c.to_dict() or {})} for c in own_checks)
    programme = data.document(PROGRAMMES, uid).get()
    yield "own_programme", iter([plain(programme.to_dict())] if programme.exists else [])


# What of an event about a client the user's export holds: references, never its details.
CLIENT_EVENT_FIELDS = ("actor", "action", "subject", "at", "client_id", "exercise_id")


def _log_row(snapshot: Any) -> dict[str, Any]:
    doc = snapshot.to_dict() or {}
    if doc.get("client_id"):
        return {"id": snapshot.id, **_picked(snapshot, CLIENT_EVENT_FIELDS)}
    return {"id": snapshot.id, **plain(doc)}


def _picked(snapshot: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    doc = snapshot.to_dict() or {}
    return {k: plain(doc[k]) for k in fields if k in doc}


def _courses(data: TenantData, uid: str) -> Iterator[dict[str, Any]]:
    """Courses the user assigned, found below the tenant's clients (a collection group
    query, kept to this tenant's path)."""
    prefix = data.root.path + "/"
    query = data.db.collection_group(COURSES).where(filter=FieldFilter("assigned_by", "==", uid))
    for snapshot in query.stream():
        if not snapshot.reference.path.startswith(prefix):
            continue
        doc = snapshot.to_dict() or {}
        yield {
            "id": snapshot.id,
            "client_id": snapshot.reference.parent.parent.id,
            "course_id": doc.get("course_id"),
            "assigned_at": plain(doc.get("assigned_at")),
        }


def export(me: Principal, data: TenantData) -> Iterator[str]:
    """The JSON text of the user's export, in chunks; in their log before the first byte."""
    profile = data.document(USERS, me.uid).get().to_dict() or {}
    record_event(data, actor=me.uid, action="user.exported", subject=f"{USERS}/{me.uid}")
    head = {
        "exported_at": datetime.now(UTC).isoformat(),
        "tenant_id": data.tenant_id,
        "user": {"uid": me.uid, **{k: plain(v) for k, v in profile.items() if k not in INTERNAL}},
    }
    return json_object(head, sections(me, data))
