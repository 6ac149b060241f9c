"""Paging the on-call rota for an acute incident: at once, then every REPEAT_MINUTES until
someone acknowledges, the secondary too from 30 minutes. Each step is one named Cloud Task
(`incident-<id>-page-<n>`) that schedules the next; the step is recorded on the incident in
a transaction before anything is sent, so a duplicate or late delivery sends nothing twice
and a delivery after the acknowledgement does nothing."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from google.cloud import firestore

from functions.support.incidents import rota
from functions.support.incidents.models import (
    ESCALATE_AFTER,
    INCIDENTS,
    REPEAT_MINUTES,
    Incident,
    IncidentList,
    NewIncident,
    SupportTask,
    TaskOutcome,
)
from functions.support.tickets.people import Person
from shared import errors
from shared.events import record_event
from shared.gcp import schedule_call
from shared.ids import new_id
from shared.messaging import outbox
from shared.principal import Principal
from shared.settings import get_settings
from shared.subscriptions import COPENHAGEN
from shared.templating import MailTemplates, TextTemplates
from shared.tenancy import TenantData

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent.parent / "templates"
MAIL = MailTemplates(TEMPLATES)
SMS = TextTemplates(TEMPLATES)
KINDS = {
    "da": {
        "hacking": "hacking",
        "personal_data_breach": "mistænkt brud på persondatasikkerheden",
        "other": "akut hændelse",
    },
    "en": {
        "hacking": "hacking",
        "personal_data_breach": "suspected personal-data breach",
        "other": "acute incident",
    },
}


def due_at(incident: Incident, step: int) -> datetime:
    return incident.reported_at + timedelta(minutes=REPEAT_MINUTES * step)


def task_name(incident_id: str, step: int) -> str:
    return f"incident-{incident_id}-page-{step}"


def report(caller: Principal, tenant: TenantData, body: NewIncident, now: datetime) -> Incident:
    """Any user reports straight to the supplier; the first page goes out at once."""
    incident = Incident(
        id=new_id("incident"),
        tenant_id=tenant.tenant_id,
        reporter_uid=caller.uid,
        reporter_role=caller.role.value,
        kind=body.kind,
        description=body.description,
        reported_at=now,
    )
    tenant.db.document(INCIDENTS, incident.id).set(incident.model_dump())
    record_event(
        tenant,
        actor=caller.uid,
        action="incident.reported",
        subject=f"incidents/{incident.id}",
        details={"kind": body.kind.value},
    )
    page(tenant.db, SupportTask(kind="page", incident_id=incident.id, step=0), now)
    return get(tenant.db, incident.id)


def get(db: firestore.Client, incident_id: str) -> Incident:
    snapshot = db.document(INCIDENTS, incident_id).get()
    if not snapshot.exists:
        raise errors.NotFound("No such incident")
    return Incident.model_validate(snapshot.to_dict())


def listing(db: firestore.Client) -> IncidentList:
    query = db.collection(INCIDENTS).order_by("reported_at", direction="DESCENDING").limit(200)
    return IncidentList(incidents=[Incident.model_validate(s.to_dict()) for s in query.get()])


def page(db: firestore.Client, task: SupportTask, now: datetime) -> TaskOutcome:
    """Paging step `task.step`, if still due: recorded first, then sent, then the next one
    scheduled."""
    assert task.incident_id is not None
    ref = db.document(INCIDENTS, task.incident_id)
    step = task.step

    @firestore.transactional
    def mark(transaction: firestore.Transaction) -> tuple[str, Incident | None]:
        snapshot = ref.get(transaction=transaction)
        if not snapshot.exists:
            return "no_incident", None
        incident = Incident.model_validate(snapshot.to_dict())
        if incident.acknowledged_at is not None:
            return "acknowledged", None
        if step in incident.pages:
            return "already_sent", None
        if now < due_at(incident, step):
            return "not_due", None
        incident.pages = [*incident.pages, step]
        transaction.update(ref, {"pages": incident.pages})
        return "paged", incident

    done, incident = mark(db.transaction())
    if incident is None:
        return TaskOutcome(done=done)
    primary, secondary = rota.on_call(db, now)
    people = [primary] + ([secondary] if step >= ESCALATE_AFTER else [])
    to = {p.uid: p for p in people if p is not None}
    if not to:
        log.error("an acute incident has nobody on call to page")
    _send(db, incident, step, list(to.values()))
    if to:
        ref.update({"paged": firestore.ArrayUnion(list(to))})
    following = SupportTask(kind="page", incident_id=incident.id, step=step + 1)
    queue = get_settings().queue("incident_queue")
    schedule_call(
        queue,
        following.model_dump_json().encode(),
        due_at(incident, step + 1),
        task_name(incident.id, step + 1),
    )
    return TaskOutcome(done=done)


def _send(db: firestore.Client, incident: Incident, step: int, people: list[Person]) -> None:
    tenant = TenantData(db, incident.tenant_id)
    name = str((tenant.root.get().to_dict() or {}).get("display_name") or tenant.tenant_id)
    for person in people:
        locale = person.locale.value
        params = {
            "tenant_name": name,
            "kind": KINDS[locale][incident.kind.value],
            "reported": incident.reported_at.astimezone(COPENHAGEN).strftime("%d-%m-%Y %H:%M"),
            "incident_id": incident.id,
            "repeat": str(step),
            "minutes": str(REPEAT_MINUTES),
        }
        base = f"incident-{incident.id}-p{step}-{person.uid}"
        outbox.email(
            tenant,
            message_id=f"{base}-email",
            to=person.email,
            kind="incident_page",
            content=MAIL.render("incident_page", locale, params),
            locale=person.locale,
        )
        if person.phone:
            outbox.sms(
                tenant,
                message_id=f"{base}-sms",
                to=person.phone,
                kind="incident_page_sms",
                text=SMS.render("incident_page_sms", locale, params),
                locale=person.locale,
            )


def acknowledge(db: firestore.Client, incident_id: str, by: str, now: datetime) -> Incident:
    """Someone has it: no page is sent after this (a later delivery finds it acknowledged)."""
    ref = db.document(INCIDENTS, incident_id)

    @firestore.transactional
    def apply(transaction: firestore.Transaction) -> Incident:
        snapshot = ref.get(transaction=transaction)
        if not snapshot.exists:
            raise errors.NotFound("No such incident")
        incident = Incident.model_validate(snapshot.to_dict())
        if incident.acknowledged_at is None:
            incident.acknowledged_at, incident.acknowledged_by = now, by
            transaction.update(ref, {"acknowledged_at": now, "acknowledged_by": by})
        return incident

    incident: Incident = apply(db.transaction())
    record_event(
        TenantData(db, incident.tenant_id),
        actor=by,
        action="incident.acknowledged",
        subject=f"incidents/{incident.id}",
        event_id=f"incident-{incident.id}-acknowledged",
    )
    return incident
