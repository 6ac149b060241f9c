"""The supplier's sub-processors and each tenant's approval of them (SPEC K-4).

The list (`subprocessors/{id}`, top level, server-only: no rule opens it) is the
supplier's: who processes personal data for Trivsel, what for, where, and on what basis
data leaves the EU/EEA, if it does. It is seeded from SEED, which names what the
platform really uses (infra/deployment.toml has the regions). An entry is in use from
`since` and until `until`; both come from announced changes, so the list and what a
tenant was told cannot disagree.

A tenant's approvals live on its own document (`tenants/{t}`, field `subprocessors`),
which every request reads already with the caller's authority (shared/principal.py),
so the gate costs no round trip there; delivery reads it in the same round trip as
the message it claims. `approved` is the one gate: a sub-processor is approved for a
tenant if the tenant approved it (at its DPA, or recorded later), or if an announced
change adds it, its effective date has come and the tenant did not object.

A tenant whose document has no approvals (provisioned before approvals were recorded,
or pending, before its DPA) is not refused: it keeps working as it did, and the
owner's report `GET /contracts/missing-dpa` lists it until its DPA (with its annex of
sub-processors) is recorded.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self

from google.api_core.exceptions import AlreadyExists
from pydantic import Field, model_validator

from shared import errors
from shared.messaging.models import Channel
from shared.models import SLUG, Model, Strict
from shared.subscriptions import received_on

if TYPE_CHECKING:
    from google.cloud import firestore

    from shared.tenancy import TenantData

SUBPROCESSORS = "subprocessors"  # subprocessors/{id}, the supplier's list
CHANGES = "subprocessor_changes"  # subprocessor_changes/{id}, announced changes
NOTICE_DAYS = 30  # the least notice of a change (the DPAs: 30 days, in writing)
TENANT_FIELD = "subprocessors"  # on tenants/{t}
MEMO = "tenant_document"  # TenantData.memo: the tenant document read with authority

GOOGLE_CLOUD = "google-cloud"
FIREBASE_AUTH = "firebase-auth"
AMAZON_SES = "amazon-ses"
AMAZON_SNS = "amazon-sns"
# The sub-processor that carries each channel of messages (shared/messaging).
CHANNELS = {Channel.EMAIL: AMAZON_SES, Channel.SMS: AMAZON_SNS}


class SubprocessorNotApproved(errors.ApiError):
    status, code = 409, "subprocessor_not_approved"
    title = "The organisation has not approved the sub-processor this needs"


class SubprocessorRequired(errors.ApiError):
    status, code = 409, "subprocessor_required"
    title = "The service cannot run without this sub-processor"


# -- the list ------------------------------------------------------------------------------


class SubprocessorEntry(Strict):
    """What the owner describes of a sub-processor (Danish: it is the DPA's annex)."""

    name: str = Field(min_length=1, max_length=200, description="the legal entity")
    service: str = Field(min_length=1, max_length=300, description="the services used")
    activity: str = Field(min_length=1, max_length=1000, description="what it does with data")
    location: str = Field(min_length=1, max_length=500, description="where data is processed")
    transfer_basis: str = Field(
        min_length=1, max_length=1000, description="the basis of any transfer out of the EU/EEA"
    )
    required: bool = Field(
        default=False, description="the service cannot run without it (hosting, sign-in)"
    )


class Status(StrEnum):
    PLANNED = "planned"  # announced, not in use before `since`
    IN_USE = "in_use"
    LEAVING = "leaving"  # in use until `until`
    REMOVED = "removed"


class Subprocessor(SubprocessorEntry):
    model_config = SubprocessorEntry.model_config | {"extra": "ignore"}

    id: str = Field(pattern=SLUG)
    since: date | None = Field(default=None, description="in use from (None: from the start)")
    until: date | None = Field(default=None, description="in use until, not including")

    def status_on(self, today: date) -> Status:
        if self.until is not None and self.until <= today:
            return Status.REMOVED
        if self.since is not None and self.since > today:
            return Status.PLANNED
        return Status.LEAVING if self.until is not None else Status.IN_USE

    def to_firestore(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


_TRANSFER_GOOGLE = (
    "Ingen overførsel ved normal drift: data opbevares og behandles i EU. Adgang fra "
    "tredjelande (support, drift) sker efter Googles Cloud Data Processing Addendum med "
    "EU-Kommissionens standardkontraktbestemmelser (2021/914); Google LLC er certificeret "
    "under EU-US Data Privacy Framework (tilstrækkelighedsafgørelse af 10. juli 2023)."
)
_TRANSFER_AWS = (
    "Ingen overførsel ved normal drift: tjenesten kører i AWS-regionen eu-central-1. "
    "Adgang fra tredjelande sker efter AWS' databehandleraftale (AWS GDPR DPA) med "
    "EU-Kommissionens standardkontraktbestemmelser; Amazon.com, Inc. er certificeret "
    "under EU-US Data Privacy Framework."
)
SEED: tuple[Subprocessor, ...] = (
    Subprocessor(
        id=GOOGLE_CLOUD,
        name="Google Cloud EMEA Limited (Irland)",
        service="Google Cloud: Firestore, Cloud Functions, Cloud Storage, Pub/Sub, Cloud Tasks",
        activity=(
            "Hosting af platformen: database med alle data, serverfunktioner, filer "
            "(dokumenter, profilbilleder), beskedkøer og planlagte opgaver."
        ),
        location=(
            "EU: Frankfurt, Tyskland (europe-west3) for funktioner, filer, beskedkøer og "
            "opgaver; Firestore i multiregionen eur3 (Belgien og Nederlandene)."
        ),
        transfer_basis=_TRANSFER_GOOGLE,
        required=True,
    ),
    Subprocessor(
        id=FIREBASE_AUTH,
        name="Google LLC (USA), via Google Cloud EMEA Limited",
        service="Firebase Authentication",
        activity=(
            "Brugerkonti og login for medarbejdere: e-mailadresse, navn, telefonnummer "
            "(ved SMS-kode), adgangskode som hash og log-ind-tidspunkter. Ingen klientdata."
        ),
        location=(
            "USA: Firebase Authentication kan ikke placeres i EU; kontodata behandles i "
            "Googles amerikanske datacentre."
        ),
        transfer_basis=(
            "Overførsel til USA: EU-US Data Privacy Framework (Google LLC er certificeret; "
            "tilstrækkelighedsafgørelse af 10. juli 2023), med EU-Kommissionens "
            "standardkontraktbestemmelser i Firebase Data Processing and Security Terms "
            "som supplerende grundlag."
        ),
        required=True,
    ),
    Subprocessor(
        id=AMAZON_SES,
        name="Amazon Web Services EMEA SARL (Luxembourg)",
        service="Amazon Simple Email Service (SES)",
        activity=(
            "Afsendelse af e-mails: velkomst- og nulstillingsmails, fjernopgaver til "
            "kontaktpersoner (modtagerens adresse, navn og opgavens link) og påmindelser."
        ),
        location="EU: Frankfurt, Tyskland (eu-central-1).",
        transfer_basis=_TRANSFER_AWS,
    ),
    Subprocessor(
        id=AMAZON_SNS,
        name="Amazon Web Services EMEA SARL (Luxembourg)",
        service="Amazon Simple Notification Service (SNS), SMS",
        activity="Afsendelse af SMS: telefonnummer og beskedens tekst.",
        location=(
            "EU: Frankfurt, Tyskland (eu-central-1); SMS'en leveres videre gennem "
            "teleoperatører til modtagerens mobilnetværk."
        ),
        transfer_basis=_TRANSFER_AWS,
    ),
)


def load_list(db: firestore.Client) -> list[Subprocessor]:
    """The supplier's list (seeded from SEED the first time anyone reads it), by id."""
    collection = db.collection(SUBPROCESSORS)
    found = [Subprocessor.model_validate(s.to_dict() or {}) for s in collection.get()]
    if not found:
        for entry in SEED:  # another reader seeding at the same time is harmless
            with contextlib.suppress(AlreadyExists):
                collection.document(entry.id).create(entry.to_firestore())
        found = [Subprocessor.model_validate(s.to_dict() or {}) for s in collection.get()]
    return sorted(found, key=lambda s: s.id)


def current_ids(entries: list[Subprocessor], today: date) -> list[str]:
    """The sub-processors a DPA signed today approves unless its annex says otherwise:
    every entry in use or announced, not one already removed."""
    return [e.id for e in entries if e.status_on(today) is not Status.REMOVED]


# -- a tenant's approvals -------------------------------------------------------------------


class Approval(Model):
    approved_at: datetime
    approved_by: str  # the uid that recorded it ("system" for a change that took effect)
    source: str  # "dpa", "recorded", "legacy", or "change:<id>"


class PendingApproval(Model):
    """An announced change that adds the sub-processor: approved on its effective date
    unless the tenant objects before it."""

    change_id: str
    effective_on: date


class Objection(Model):
    subprocessor_id: str
    objected_at: datetime
    objected_by: str
    reason: str


class Withdrawal(Model):
    withdrawn_at: datetime
    withdrawn_by: str
    note: str


class Approvals(Model):
    """The field `subprocessors` of `tenants/{t}` (stored as JSON: nothing queries it)."""

    approved: dict[str, Approval] = Field(default_factory=dict)
    pending: dict[str, PendingApproval] = Field(default_factory=dict)  # by sub-processor id
    objections: dict[str, Objection] = Field(default_factory=dict)  # by change id
    withdrawn: dict[str, Withdrawal] = Field(default_factory=dict)  # by sub-processor id

    @model_validator(mode="after")
    def _an_objection_ends_the_pending_approval(self) -> Self:
        for key, pending in list(self.pending.items()):
            if pending.change_id in self.objections:
                del self.pending[key]
        return self

    def to_firestore(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def approved_in(approvals: Approvals | None, subprocessor: str, today: date) -> bool:
    """Whether a tenant with these approvals has approved `subprocessor` on `today`."""
    if approvals is None:  # approvals not recorded (legacy or pending): see the docstring
        return True
    if subprocessor in approvals.approved:
        return True
    pending = approvals.pending.get(subprocessor)
    return (
        pending is not None
        and pending.effective_on <= today
        and pending.change_id not in approvals.objections
    )


def from_document(data: dict[str, Any] | None) -> Approvals | None:
    """The approvals kept on a tenant document's data (None: not recorded)."""
    value = (data or {}).get(TENANT_FIELD)
    return Approvals.model_validate(value) if value is not None else None


def approved(tenant: TenantData, subprocessor: str, now: datetime | None = None) -> bool:
    """The gate: may `subprocessor` handle this tenant's data now? Uses the tenant
    document read with the caller's authority when the request has it (no round trip),
    else reads it."""
    today = received_on(now or datetime.now(UTC))
    document = tenant.memo.get(MEMO)
    if document is not None:
        return approved_in(document.subprocessors, subprocessor, today)
    snapshot = tenant.root.get()
    return approved_in(
        from_document(snapshot.to_dict() if snapshot.exists else None), subprocessor, today
    )


def materialise(
    approvals: Approvals | None, entries: list[Subprocessor], now: datetime
) -> Approvals:
    """Approvals to change: those recorded, or for a tenant without any the entries in
    use now (what it has been using all along, recorded as `legacy`)."""
    if approvals is not None:
        return approvals.model_copy(deep=True)
    today = received_on(now)
    legacy = Approval(approved_at=now, approved_by="system", source="legacy")
    in_use = [e.id for e in entries if e.status_on(today) in (Status.IN_USE, Status.LEAVING)]
    return Approvals(approved={sid: legacy for sid in in_use})
