"""The floor for request figures: bare functions-framework HTTP functions doing what a
Trivsel request does with firebase-admin and the raw Firestore SDK, in the fewest
round trips. The bench's functions host (TRIVSEL_ROUNDTRIPS=1) serves each at
/<target>/, built by functions-framework exactly as every Trivsel function is.

Each verifies the same Firebase ID token (`auth.verify_id_token`, no `get_user`) and
reads the same documents: the tenant, the caller's member record
`tenants/{t}/users/{uid}` and what the route needs in one `get_all`, refusing a
tenant that is not active and a member that is not active (or signed out since the
token was issued). Then:

    client get         the client's courses query, concurrently with the audit event
    client create      one commit: the client and its event
    client list        the query of a page of clients
    remote-task page   a link: get_all(tenant, task, both rate-limit counters), then
                       one commit (the task opened with a precondition on its update
                       time, its event, the counters) while the exercise is read
    client export      every record of the client streamed as JSON as it is read
    client log         a page (50) of the client's events, newest first

Deliberately without pydantic, templates or anything else Trivsel adds: this is
what the work costs, not what Trivsel should look like.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import firebase_admin
import flask
import functions_framework
from firebase_admin import auth, credentials
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

TARGETS = (
    "baseline_client_get",
    "baseline_client_create",
    "baseline_client_list",
    "baseline_remote_task_page",
    "baseline_client_export",
    "baseline_client_log",
)
MEMBERS = ("admin", "professional")
# What a link opening counts against (per address, per link), per hour, as Trivsel.
ADDRESS_LIMIT, LINK_LIMIT = 300, 30
# The collections below a tenant that hold a client's records (shared/client_data.py).
CLIENT_RECORDS = ("calendar", "events", "remote_tasks", "messages")
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="baseline")


class Refused(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


@lru_cache(maxsize=1)
def _db() -> firestore.Client:
    from google.auth.credentials import AnonymousCredentials

    project = os.environ["GOOGLE_CLOUD_PROJECT"]
    return firestore.Client(project=project, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]


@lru_cache(maxsize=1)
def _app() -> firebase_admin.App:
    from google.auth.credentials import AnonymousCredentials

    class _Emulator(credentials.Base):  # type: ignore[misc]
        def get_credential(self) -> Any:
            return AnonymousCredentials()  # type: ignore[no-untyped-call]

    options = {"projectId": os.environ["GOOGLE_CLOUD_PROJECT"]}
    return firebase_admin.initialize_app(_Emulator(), options, name=f"baseline-{uuid.uuid4()}")


def _claims(request: flask.Request) -> dict[str, Any]:
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Refused(401, "unauthenticated")
    try:
        claims = dict(auth.verify_id_token(token, app=_app()))
    except (auth.InvalidIdTokenError, ValueError):
        raise Refused(401, "invalid_token") from None
    if float(claims.get("exp", 0)) < time.time() - 5:
        raise Refused(401, "invalid_token")
    return claims


def _authority(
    request: flask.Request, extra: list[tuple[str, ...]] | None = None, roles: tuple[str, ...] = ()
) -> tuple[str, str, dict[str, Any]]:
    """(tenant id, uid, snapshots by path) of the caller: one get_all with `extra`."""
    claims = _claims(request)
    tenant_id, uid = str(claims.get("tenant_id") or ""), str(claims["uid"])
    if not tenant_id:
        raise Refused(403, "forbidden")
    db = _db()
    tenant = db.document("tenants", tenant_id)
    member = tenant.collection("users").document(uid)
    refs = [tenant, member, *(tenant.collection(p[0]).document(*p[1:]) for p in extra or [])]
    found = {s.reference.path: s for s in db.get_all(refs)}
    tenant_doc = found[tenant.path].to_dict() if found[tenant.path].exists else None
    if not tenant_doc or tenant_doc.get("status") != "active":
        raise Refused(403, "tenant_inactive")
    record = found[member.path].to_dict() if found[member.path].exists else None
    if not record or record.get("status") != "active":
        raise Refused(403, "account_disabled")
    valid_after = record.get("tokens_valid_after")
    if valid_after is not None and float(claims.get("iat", 0)) < valid_after.timestamp():
        raise Refused(401, "token_revoked")
    if record.get("role") not in (roles or MEMBERS):
        raise Refused(403, "forbidden")
    return tenant_id, uid, found


def _event(actor: str, action: str, subject: str, client_id: str | None) -> dict[str, Any]:
    return {
        "actor": actor,
        "action": action,
        "subject": subject,
        "at": datetime.now(UTC),
        "details": {},
        "client_id": client_id,
        "exercise_id": None,
    }


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _answer(call: Any, request: flask.Request) -> flask.Response:
    try:
        body, status = call(request)
    except Refused as refused:
        return flask.jsonify({"code": refused.code}), refused.status  # type: ignore[return-value]
    if isinstance(body, flask.Response):
        return body
    return flask.Response(json.dumps(_json(body)), status=status, mimetype="application/json")


def _client_id(path: str) -> str:
    client_id = (path or "/").strip("/")
    if not client_id or "/" in client_id:
        raise Refused(404, "not_found")
    return client_id


# -- client get -------------------------------------------------------------------------------


def _get(request: flask.Request) -> tuple[Any, int]:
    client_id = _client_id(request.path)
    tenant_id, uid, found = _authority(request, [("clients", client_id)])
    db = _db()
    client = found[f"tenants/{tenant_id}/clients/{client_id}"]
    doc = client.to_dict() if client.exists else None
    if not doc or doc.get("erasing"):
        raise Refused(404, "not_found")
    events = db.collection("tenants", tenant_id, "events")
    audit = _POOL.submit(
        events.document().create, _event(uid, "client.read", f"clients/{client_id}", client_id)
    )
    courses = []
    for s in client.reference.collection("courses").order_by("assigned_at").get():
        course = s.to_dict() or {}
        items = course.get("items", [])
        courses.append(
            {
                "id": s.id,
                "course_id": course.get("course_id"),
                "title": course.get("title"),
                "status": course.get("status"),
                "assigned_at": course.get("assigned_at"),
                "total": len(items),
                "done": sum(item.get("status") == "performed" for item in items),
            }
        )
    audit.result()  # answered only once the read is in the trail
    doc.pop("sealed_identity", None)
    doc.pop("search_prefixes", None)
    return {**doc, "id": client_id, "courses": courses}, 200


@functions_framework.http
def baseline_client_get(request: flask.Request) -> flask.Response:
    return _answer(_get, request)


# -- client create ------------------------------------------------------------------------------


def _create(request: flask.Request) -> tuple[Any, int]:
    tenant_id, uid, _ = _authority(request)
    body = request.get_json(silent=True) or {}
    profile, contacts = dict(body.get("profile") or {}), list(body.get("contacts") or [])
    name = " ".join(str(profile.get("name", "")).lower().split())
    if not name:
        raise Refused(422, "validation_failed")
    db = _db()
    client = db.collection("tenants", tenant_id, "clients").document()
    now = datetime.now(UTC)
    doc = {
        "profile": profile,
        "contacts": contacts,
        "search_name": name,
        "search_prefixes": sorted({w[:n] for w in name.split() for n in range(1, 21)}),
        "consent": body.get("consent"),
        "pseudonymised": False,
        "sealed_identity": None,
        "files": [],
        "created_at": now,
        "updated_at": now,
        "created_by": uid,
    }
    batch = db.batch()
    batch.create(client, doc)
    batch.create(
        db.collection("tenants", tenant_id, "events").document(),
        _event(uid, "client.created", f"clients/{client.id}", client.id),
    )
    batch.commit()
    doc.pop("search_prefixes")
    doc.pop("sealed_identity")
    return {**doc, "id": client.id, "courses": []}, 201


@functions_framework.http
def baseline_client_create(request: flask.Request) -> flask.Response:
    return _answer(_create, request)


# -- client list ----------------------------------------------------------------------------------


def _list(request: flask.Request) -> tuple[Any, int]:
    tenant_id, _, _ = _authority(request)
    limit = min(max(int(request.args.get("limit", 25)), 1), 100)
    clients: Any = _db().collection("tenants", tenant_id, "clients")
    words = " ".join((request.args.get("q") or "").lower().split()).split()
    if len(words) == 1:
        clients = clients.where(filter=FieldFilter("search_prefixes", "array_contains", words[0]))
    found = list(clients.order_by("search_name").order_by("__name__").limit(limit + 1).get())
    page = []
    for s in found[:limit]:
        doc = s.to_dict() or {}
        if doc.get("erasing"):
            continue
        page.append(
            {
                "id": s.id,
                "name": doc["profile"]["name"],
                "pseudonymised": bool(doc.get("pseudonymised")),
                "updated_at": doc["updated_at"],
            }
        )
    more = len(found) > limit
    return {"clients": page, "next_cursor": found[limit - 1].id if more else None}, 200


@functions_framework.http
def baseline_client_list(request: flask.Request) -> flask.Response:
    return _answer(_list, request)


# -- remote-task page ---------------------------------------------------------------------------


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _link(token: str) -> dict[str, Any]:
    from itsdangerous import BadSignature, URLSafeSerializer

    serializer = URLSafeSerializer(
        base64.b64decode(os.environ["TRIVSEL_LINK_SECRET"]),
        salt="remote_task",
        signer_kwargs={"digest_method": hashlib.sha256},
    )
    try:
        claims = dict(serializer.loads(token))
    except (BadSignature, ValueError, TypeError):
        raise Refused(400, "tampered") from None
    if time.time() > int(claims["x"]):
        raise Refused(410, "expired")
    return claims


def _page(request: flask.Request) -> tuple[Any, int]:
    claims = _link((request.path or "/").strip("/"))
    forwarded = (request.headers.get("X-Forwarded-For") or "").split(",")[-1].strip()
    address = forwarded or request.remote_addr or ""
    tenant_id, task_id, version = str(claims["t"]), str(claims["r"]), int(claims["v"])
    db = _db()
    tenant = db.document("tenants", tenant_id)
    task_ref = tenant.collection("remote_tasks").document(task_id)
    window = datetime.now(UTC).strftime("%Y%m%d%H")
    counters = [
        db.collection("rate_limits").document(f"baseline-address-{_fingerprint(address)}-{window}"),
        db.collection("rate_limits").document(
            f"baseline-{_fingerprint(f'{tenant_id}/{task_id}/{version}')}-{window}"
        ),
    ]
    found = {s.reference.path: s for s in db.get_all([tenant, task_ref, *counters])}
    tenant_doc = found[tenant.path].to_dict() or {}
    if tenant_doc.get("status") != "active":
        raise Refused(403, "unavailable")
    counts = [int((found[c.path].to_dict() or {}).get("count", 0)) for c in counters]
    if counts[0] >= ADDRESS_LIMIT or counts[1] >= LINK_LIMIT:
        raise Refused(429, "rate_limited")
    task_snap = found[task_ref.path]
    task = task_snap.to_dict() if task_snap.exists else None
    if task is None:
        raise Refused(404, "gone")
    if task.get("link_version") != version:
        raise Refused(410, "replaced")
    if task.get("status") in ("cancelled", "answered"):
        raise Refused(409, str(task.get("status")))
    # The exercise (named by the task) is read while the writes are committed.
    exercise = _POOL.submit(db.document("catalogue_exercises", str(task["exercise_id"])).get)
    batch = db.batch()
    expires = datetime.now(UTC).timestamp() + 7200
    for counter in counters:
        batch.set(
            counter,
            {"count": firestore.Increment(1), "expires_at": datetime.fromtimestamp(expires, UTC)},
            merge=True,
        )
    if task.get("status") in ("scheduled", "sent"):
        batch.update(
            task_ref,
            {"opened_at": datetime.now(UTC), "status": "opened"},
            option=db.write_option(last_update_time=task_snap.update_time),
        )
        event = _event(f"contact:{task_id}", "remote_task.opened", f"remote_tasks/{task_id}", None)
        event.update(client_id=task.get("client_id"), exercise_id=task.get("exercise_id"))
        batch.create(tenant.collection("events").document(), event)
    batch.commit()
    title = str((exercise.result().to_dict() or {}).get("title", ""))
    page = f"<!doctype html><title>{title}</title><h1>{title}</h1>"
    return flask.Response(page, status=200, mimetype="text/html"), 200


@functions_framework.http
def baseline_remote_task_page(request: flask.Request) -> flask.Response:
    return _answer(_page, request)


# -- client log ------------------------------------------------------------------------------------


def _log(request: flask.Request) -> tuple[Any, int]:
    client_id = _client_id(request.path.removesuffix("/log"))
    tenant_id, _, found = _authority(request, [("clients", client_id)])
    client = found[f"tenants/{tenant_id}/clients/{client_id}"]
    if not client.exists or (client.to_dict() or {}).get("erasing"):
        raise Refused(404, "not_found")
    limit = min(max(int(request.args.get("limit", 50)), 1), 200)
    events = (
        _db()
        .collection("tenants", tenant_id, "events")
        .where(filter=FieldFilter("client_id", "==", client_id))
        .order_by("at", direction="DESCENDING")
        .order_by("__name__", direction="DESCENDING")
    )
    found_events = list(events.limit(limit + 1).get())
    entries = [{"id": s.id, **(s.to_dict() or {})} for s in found_events[:limit]]
    more = len(found_events) > limit
    return {"entries": entries, "next_cursor": found_events[limit - 1].id if more else None}, 200


@functions_framework.http
def baseline_client_log(request: flask.Request) -> flask.Response:
    """GET /baseline_client_log/<client id>/log"""
    return _answer(_log, request)


# -- client export (streamed) ---------------------------------------------------------------------


def _export(request: flask.Request) -> tuple[Any, int]:
    client_id = _client_id(request.path)
    tenant_id, uid, found = _authority(request, [("clients", client_id)], roles=("admin",))
    client = found[f"tenants/{tenant_id}/clients/{client_id}"]
    doc = client.to_dict() if client.exists else None
    if not doc or doc.get("erasing"):
        raise Refused(404, "not_found")
    db = _db()
    tenant = db.document("tenants", tenant_id)
    tenant.collection("events").document().create(
        _event(uid, "client.exported", f"clients/{client_id}", client_id)
    )

    def chunks() -> Iterator[str]:
        yield '{"client": ' + json.dumps(_json({"id": client_id, **doc})) + ', "records": {'
        sources = [("courses", client.reference.collection("courses"))] + [
            (
                name,
                tenant.collection(name).where(filter=FieldFilter("client_id", "==", client_id)),
            )
            for name in CLIENT_RECORDS
        ]
        for n, (name, query) in enumerate(sources):
            yield ("" if n == 0 else ", ") + json.dumps(name) + ": ["
            for m, s in enumerate(query.stream()):  # one streamed query each
                yield ("" if m == 0 else ", ") + json.dumps(_json({"id": s.id, **s.to_dict()}))
            yield "]"
        yield "}}"

    return flask.Response(chunks(), status=200, mimetype="application/json"), 200


@functions_framework.http
def baseline_client_export(request: flask.Request) -> flask.Response:
    return _answer(_export, request)
