"""The processor's record of processing for one tenant (GDPR Art. 30(2)), built from the
system's own configuration: the contract's customer (the controller), the sub-processor
list with its regions and transfer bases (shared/subprocessors.py) as approved for the
tenant, the retention periods from the constants the code deletes by, and the measures the
code takes. JSON, and a printable Danish page (Jinja2) behind a short-lived link."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from dateutil.relativedelta import relativedelta

from functions.support.maintenance.backups.backup import RETENTION as BACKUP_RETENTION
from functions.support.sla.retention import KEPT as TICKETS_KEPT
from functions.support.tickets.models import DownloadAnswer
from shared import contracts, storage
from shared.http._idempotency import KEPT as IDEMPOTENCY_KEPT
from shared.members import STAFF_REVIEW_INTERVAL
from shared.messaging.retention import MESSAGE_RETENTION
from shared.models import Model
from shared.subprocessors import approved, load_list
from shared.templating import environment
from shared.tenancy import TenantData
from shared.tenants import EXPORT_PERIOD

TEMPLATES = Path(__file__).parent.parent / "templates"

CATEGORIES = [
    "Opbevaring af klienters stamdata, kontaktpersoner og samtykker (pseudonymiseret efter valg)",
    "Tildeling og dokumentation af trivselsforløb og øvelser, herunder svar",
    "Afsendelse af fjernopgaver og påmindelser til kontaktpersoner pr. e-mail",
    "Brugeradministration og log-in for kundens fagpersoner og administratorer",
    "Supportsager og deres vedhæftede filer",
    "Hændelseslog (adgangs- og ændringsspor) og natlig sikkerhedskopiering",
]
MEASURES = [
    "Hver kundes data er adskilt (ét adgangspunkt pr. kunde i koden; browser-regler afviser "
    "alt andet)",
    "Klienters identitet krypteres med AES-256-GCM under kundens egen datanøgle",
    "Hver læsning af en klients data logges i kundens hændelseslog",
    "Sessioner kan afsluttes med det samme; deaktiverede konti afvises ved næste kald",
    "To-faktor-login (SMS) og log-in via kundens egen Entra ID eller ADFS efter tilvalg",
    "Leverandørens adgang gennemgås mindst hvert halve år og logges hos kunden",
    "Natlige sikkerhedskopier pr. kunde med kontrolsummer; gendannelse afprøves",
    "Al drift i EU (Frankfurt, europe-west3; Firestore i eur3), undtagen Firebase Authentication",
    "Brud på persondatasikkerheden registreres i en manipulationssikret log (hash-kæde)",
]


class Retention(Model):
    what: str
    period: str


class ProcessorEntry(Model):
    id: str
    name: str
    service: str
    activity: str
    location: str
    transfer_basis: str
    approved: bool


class ProcessingRecord(Model):
    tenant_id: str
    controller: dict[str, str]
    controller_contacts: list[dict[str, str]]
    processor: str = "Trivsel (leverandøren)"
    categories: list[str]
    subprocessors: list[ProcessorEntry]
    transfers: list[str]
    retention: list[Retention]
    security_measures: list[str]
    dpa_version: str | None
    generated_at: datetime


def _months(delta: relativedelta) -> str:
    return f"{delta.months} måneder"


def build(tenant: TenantData, now: datetime) -> ProcessingRecord:
    contract = contracts.load(tenant)
    entries = [s for s in load_list(tenant.db) if s.status_on(now.date()).value != "removed"]
    processors = [
        ProcessorEntry(
            **s.model_dump(include=set(ProcessorEntry.model_fields) - {"approved"}),
            approved=approved(tenant, s.id, now),
        )
        for s in entries
    ]
    customer = contract.customer.model_dump(mode="json") if contract else {"name": tenant.tenant_id}
    contacts = [
        {"name": c.name, "email": c.email} for c in (contract.dpa_contacts if contract else [])
    ]
    return ProcessingRecord(
        tenant_id=tenant.tenant_id,
        controller={k: str(v) for k, v in customer.items() if v is not None},
        controller_contacts=contacts,
        categories=CATEGORIES,
        subprocessors=processors,
        transfers=[f"{p.name}: {p.transfer_basis}" for p in processors],
        retention=[
            Retention(what="Sikkerhedskopier", period=f"{BACKUP_RETENTION.days} dage"),
            Retention(what="Supportsager efter sidste kontakt", period=_months(TICKETS_KEPT)),
            Retention(
                what="Sendte e-mails og SMS (modtageradresser)",
                period=f"{MESSAGE_RETENTION.days} dage",
            ),
            Retention(
                what="Gentagelsesnøgler med svar",
                period=f"{int(IDEMPOTENCY_KEPT.total_seconds() // 3600)} timer",
            ),
            Retention(
                what="Gennemgang af leverandørens adgang",
                period=f"hver {_months(STAFF_REVIEW_INTERVAL)}",
            ),
            Retention(
                what="Klientdata", period="indtil kunden sletter klienten eller aftalen ophører"
            ),
            Retention(
                what="Kundens data efter opsigelse (til eksport)",
                period=f"{EXPORT_PERIOD.days} dage",
            ),
        ],
        security_measures=MEASURES,
        dpa_version=contract.dpa.version if contract and contract.dpa else None,
        generated_at=now,
    )


def render_html(record: ProcessingRecord) -> str:
    return environment(TEMPLATES).get_template("record_of_processing.da.html").render(record=record)


def page(tenant: TenantData, now: datetime) -> DownloadAnswer:
    record = build(tenant, now)
    name = storage.tenant_object(tenant, "records_of_processing", now.strftime("%Y%m%dT%H%M%SZ"))
    blob = storage.uploads_bucket().blob(name)
    blob.upload_from_string(render_html(record), content_type="text/html; charset=utf-8")
    return DownloadAnswer(url=storage.signed_download(name))
