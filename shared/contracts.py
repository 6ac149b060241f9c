"""The customer's contract as a typed record (SPEC K-1): one home for every area that
needs it (support hours, the maintenance window, licences, formal notices).

`tenants/{t}/contract/record` holds the customer (name, CVR, EAN), the contract's and
the DPA's contact persons, the subscription (start, cancellation rule), the maintenance
window, the support hours, and once recorded the DPA and a cancellation. The licence
lives on the tenant document itself (`tenants/{t}`), because seat reservations run in
transactions on that document; its model is defined here. The record is server-only:
no rule of firestore.rules opens it to a browser (default deny).

A tenant provisioned before contracts existed has no record; `load` then answers None
and `notice_recipients` falls back to the administrators.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import AfterValidator, EmailStr, Field, model_validator

from shared.messaging.models import E164_PATTERN, Locale
from shared.models import ID, Model, Strict
from shared.subscriptions import COPENHAGEN, CancellationRule
from shared.support_terms import SupportTerms
from shared.tenancy import TENANT_ID_PATTERN

if TYPE_CHECKING:
    from google.cloud import firestore

    from shared.tenancy import TenantData

CONTRACT = ("contract", "record")  # tenants/{t}/contract/record
MAX_SEATS = 10_000
CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


# -- identifiers ---------------------------------------------------------------------------


def _cvr(value: str) -> str:
    """A Danish CVR number: 8 digits, not starting with 0, modulus 11 with the official
    weights 2, 7, 6, 5, 4, 3, 2, 1."""
    if len(value) != 8 or not value.isascii() or not value.isdigit() or value[0] == "0":
        raise ValueError("a CVR number is 8 digits")
    if sum(int(d) * w for d, w in zip(value, CVR_WEIGHTS, strict=True)) % 11:
        raise ValueError("not a valid CVR number (modulus 11)")
    return value


def gs1_check_digit(digits: str) -> int:
    """The GS1 check digit of the digits before it (weights 3, 1, ... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def _ean(value: str) -> str:
    """An EAN (GLN) location number for e-invoicing: 13 digits with a GS1 check digit."""
    if len(value) != 13 or not value.isascii() or not value.isdigit():
        raise ValueError("an EAN number is 13 digits")
    if gs1_check_digit(value[:12]) != int(value[12]):
        raise ValueError("not a valid EAN number (GS1 check digit)")
    return value


Cvr = Annotated[str, AfterValidator(_cvr)]
Ean = Annotated[str, AfterValidator(_ean)]


def _lower(email: str) -> str:
    return email.lower()


# -- the licence ---------------------------------------------------------------------------


class AddOn(StrEnum):
    VR = "vr"
    SMS_MFA = "sms_mfa"
    ENTRA_ID = "entra_id"
    ADFS = "adfs"  # SAML sign-in (Konfront's system description: two factors through ADFS)


class QuizQuestion(Strict):
    question: str = Field(min_length=1, max_length=500)
    options: list[str] = Field(min_length=2, max_length=8)
    correct: int = Field(ge=0, description="index of the right option (never shown to users)")

    @model_validator(mode="after")
    def _correct_is_an_option(self) -> Self:
        if self.correct >= len(self.options):
            raise ValueError("correct must index one of the options")
        return self


class CertificationRequirement(Strict):
    """Who must be certified before client work (SkoleRo), and the course that certifies:
    learning-portal videos watched in order, then a quiz (functions/auth/certification)."""

    roles: list[Literal["admin", "professional"]] = Field(default=[], max_length=2)
    users: list[Annotated[str, Field(pattern=ID)]] = Field(
        default=[], max_length=1000, description="uids besides the roles"
    )
    videos: list[str] = Field(min_length=1, max_length=50, description="catalogue video ids")
    questions: list[QuizQuestion] = Field(min_length=1, max_length=50)
    pass_mark: int = Field(ge=1, description="right answers needed to pass")
    max_attempts: int = Field(default=3, ge=1, le=10, description="failures before a day's lock")
    valid_months: int | None = Field(default=12, ge=1, le=120, description="null: never expires")

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if self.pass_mark > len(self.questions):
            raise ValueError("pass_mark cannot exceed the number of questions")
        if len(set(self.videos)) != len(self.videos):
            raise ValueError("a video appears twice in the course")
        return self

    def applies_to(self, uid: str, role: str) -> bool:
        return role in self.roles or uid in self.users


class Licence(Strict):
    # None: the licence covers every professional of the customer (SkoleRo).
    seats: int | None = Field(ge=0, le=MAX_SEATS, description="professional seats; null: all")
    period_start: date
    period_end: date
    focus_areas: list[str] = Field(default=[], max_length=100)
    courses: list[str] = Field(default=[], max_length=500, description="single courses bought")
    add_ons: list[AddOn] = Field(default_factory=list)
    # An agreed ceiling on clients (SkoleRo): usage above it is reported, never blocked.
    client_ceiling: int | None = Field(default=None, ge=1)
    # Certification before client work (issue 18); None: nobody needs it.
    certification: CertificationRequirement | None = None

    @model_validator(mode="after")
    def _period_and_areas(self) -> Self:
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        for slug in (*self.focus_areas, *self.courses):
            if not TENANT_ID_PATTERN.fullmatch(slug):
                raise ValueError(f"{slug!r} is not a lower-case slug")
        self.focus_areas = sorted(set(self.focus_areas))
        self.courses = sorted(set(self.courses))
        self.add_ons = sorted(set(self.add_ons))
        return self


# -- the parties ---------------------------------------------------------------------------


class Customer(Strict):
    name: str = Field(min_length=1, max_length=200)
    cvr: Cvr
    ean: Ean | None = Field(default=None, description="for e-invoicing (public customers)")


class ContactPerson(Strict):
    name: str = Field(min_length=1, max_length=100)
    email: Annotated[EmailStr, AfterValidator(_lower)]
    phone: str | None = Field(default=None, pattern=E164_PATTERN.pattern)
    title: str | None = Field(default=None, max_length=100)
    locale: Locale = Locale.DA


# -- times ---------------------------------------------------------------------------------


class LocalWindow(Strict):
    """A daily window in Europe/Copenhagen; `end` before `start` runs past midnight."""

    start: time
    end: time

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.start == self.end:
            raise ValueError("a window's start and end differ")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("window times are local (Europe/Copenhagen), without a zone")
        return self

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(COPENHAGEN).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


class MaintenanceNotice(Strict):
    """How far ahead a planned update is announced (SPEC M-4, S-5), in whole days of 24
    hours before it starts. Konfront: updates outside the maintenance window, 5 days;
    SkoleRo: every planned update, 5 days; Handsonsimply's SLA names no period (updates
    fall between 23 and 02 and critical faults may stop the service at once), so SPEC
    M-4's floor applies to it: outside the window, 5 days."""

    days: int = Field(default=5, ge=0, le=90)
    # True: inside the window too (SkoleRo); False: only outside it (Konfront, M-4).
    inside_window: bool = False


# SPEC M-3's window, and every tenant's without a contract record.
DEFAULT_WINDOW = LocalWindow(start=time(0), end=time(3))


class Weekday(IntEnum):
    MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)


WEEKDAYS = [Weekday(d) for d in range(5)]


class SupportHours(Strict):
    """When the supplier's service desk is open (Europe/Copenhagen)."""

    days: list[Weekday] = Field(default=WEEKDAYS, min_length=1, max_length=7)
    opens: time
    closes: time
    closed_on_public_holidays: bool = True

    @model_validator(mode="after")
    def _opens_before_closing(self) -> Self:
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes (same day)")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("support hours are local (Europe/Copenhagen), without a zone")
        self.days = sorted(set(self.days))
        return self


def in_support_hours(hours: SupportHours, moment: datetime) -> bool:
    """Whether `moment` (with a time zone) is inside the support hours: an open weekday,
    between opening and closing, and not a Danish public holiday."""
    import holidays  # only where support hours are asked about

    if moment.tzinfo is None:
        raise ValueError("a moment without a time zone")
    local = moment.astimezone(COPENHAGEN)
    if local.weekday() not in hours.days:
        return False
    if not hours.opens <= local.time().replace(tzinfo=None) < hours.closes:
        return False
    closed = hours.closed_on_public_holidays
    return not (closed and local.date() in holidays.country_holidays("DK", years=local.year))


# -- the subscription and the DPA ----------------------------------------------------------


class Subscription(Strict):
    start: date = Field(description="the first day of the first 12-month period")
    cancellation_rule: CancellationRule
    trial: bool = Field(default=False, description="a trial: a DPA is needed all the same")


class DpaRecord(Strict):
    """The data-processing agreement (the controller's documented instructions, Bilag C)."""

    version: str = Field(min_length=1, max_length=50)
    signed_on: date
    instructions: str = Field(min_length=1, max_length=20_000)
    # The annex of approved sub-processors (ids of shared/subprocessors.py's list); left out,
    # the list as it stands when the DPA is recorded. Stored resolved.
    subprocessors: list[Annotated[str, Field(pattern=TENANT_ID_PATTERN.pattern)]] | None = Field(
        default=None,
        max_length=50,
        description="approved sub-processors (the annex); default: the current list",
    )
    # Hours within which the processor notifies the controller of a personal-data breach
    # (SkoleRo's template leaves the number to fill in; without one, 24).
    breach_notice_hours: int = Field(
        default=24, ge=1, le=72, description="hours to notify the controller of a breach"
    )


class CancellationRecord(Model):
    received_at: datetime
    recorded_by: str
    deadline: date  # the deadline it met
    ends_on: date  # the subscription's last day
    late: bool


class TerminationChoice(StrEnum):
    """What the controller chose for its data when the contract ends (the DPA's "delete or
    return"): the export first and deletion once its receipt is confirmed (at most 90
    days), or deletion at the first night after termination."""

    RETURN_THEN_DELETE = "return_then_delete"
    DELETE = "delete"


class ContractTerms(Strict):
    """What the owner records at provisioning (the licence is given beside it)."""

    customer: Customer
    contract_contacts: list[ContactPerson] = Field(min_length=1, max_length=10)
    dpa_contacts: list[ContactPerson] = Field(min_length=1, max_length=10)
    subscription: Subscription
    maintenance_window: LocalWindow = DEFAULT_WINDOW
    maintenance_notice: MaintenanceNotice = MaintenanceNotice()
    support_hours: SupportHours = SupportHours(opens=time(9), closes=time(15))
    # Closed days and the priority table (shared/support_terms.py); None: no SLA agreed.
    support: SupportTerms | None = None
    on_termination: TerminationChoice = TerminationChoice.RETURN_THEN_DELETE


class Contract(ContractTerms):
    """The stored record: the terms, the DPA once recorded, a cancellation once received."""

    model_config = ContractTerms.model_config | {"extra": "ignore"}

    dpa: DpaRecord | None = None
    dpa_recorded_at: datetime | None = None
    dpa_recorded_by: str | None = None
    cancellation: CancellationRecord | None = None

    def to_firestore(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["dpa_recorded_at"] = self.dpa_recorded_at
        if self.cancellation is not None:
            data["cancellation"]["received_at"] = self.cancellation.received_at
        return data


# The seeds' terms (../shared/seeds, SPEC S-5).
MAINTENANCE_WINDOWS = {
    "konfront": LocalWindow(start=time(0), end=time(3)),
    "skolero": LocalWindow(start=time(0), end=time(3)),
    "handsonsimply": LocalWindow(start=time(23), end=time(2)),
}
MAINTENANCE_NOTICE = {
    "konfront": MaintenanceNotice(days=5),  # "uden for servicevindue ... senest 5 dage inden"
    "skolero": MaintenanceNotice(days=5, inside_window=True),  # "senest 5 dage inden en planlagt"
    "handsonsimply": MaintenanceNotice(days=5),  # no period in its SLA: M-4's floor
}
SUPPORT_HOURS = {
    "konfront": SupportHours(opens=time(9), closes=time(15)),
    "skolero": SupportHours(opens=time(7), closes=time(17)),
    "handsonsimply": SupportHours(opens=time(8), closes=time(16)),
}


def contract_ref(tenant: TenantData) -> firestore.DocumentReference:
    return tenant.document(*CONTRACT)


def from_data(data: dict[str, Any] | None) -> Contract | None:
    return Contract.model_validate(data) if data else None


def load(tenant: TenantData, transaction: firestore.Transaction | None = None) -> Contract | None:
    """The tenant's contract, or None for a tenant provisioned before contracts."""
    snapshot = contract_ref(tenant).get(transaction=transaction)
    return from_data(snapshot.to_dict()) if snapshot.exists else None


# -- formal notices ------------------------------------------------------------------------


class NoticeTopic(StrEnum):
    """What a formal notice is about decides who receives it."""

    CONTRACT = "contract"  # payment demands, cancellation reminders
    DATA_PROTECTION = "data_protection"  # breaches, deletion confirmations, sub-processors
    OPERATIONS = "operations"  # planned maintenance and updates


class NoticeRecipient(Model, frozen=True):
    email: str
    name: str
    locale: Locale = Locale.DA
    as_: tuple[str, ...] = Field(alias="as", default=())  # "contract", "dpa", "admin"


_WHO = {
    NoticeTopic.CONTRACT: ("contract",),
    NoticeTopic.DATA_PROTECTION: ("dpa", "admin"),
    NoticeTopic.OPERATIONS: ("contract", "dpa", "admin"),
}


def recipients_of(
    contract: Contract | None, administrators: list[ContactPerson], topic: NoticeTopic
) -> list[NoticeRecipient]:
    """Who receives a notice on `topic`, each address once (in this order: contract
    contacts, DPA contacts, administrators). Without a contract record (a tenant from
    before contracts) every topic goes to the administrators."""
    groups = {
        "contract": contract.contract_contacts if contract else [],
        "dpa": contract.dpa_contacts if contract else [],
        "admin": administrators,
    }
    who = _WHO[topic] if contract is not None else ("admin",)
    found: dict[str, tuple[ContactPerson, list[str]]] = {}
    for group in who:
        for person in groups[group]:
            found.setdefault(str(person.email), (person, []))[1].append(group)
    return [
        NoticeRecipient.model_validate(
            {"email": email, "name": person.name, "locale": person.locale, "as": tuple(roles)}
        )
        for email, (person, roles) in found.items()
    ]


def owner_recipients(db: firestore.Client, now: datetime) -> list[NoticeRecipient]:
    """The supplier's owners whose access is active and reviewed in time (staff register):
    who is told of what a customer does that the supplier must act on."""
    from shared.members import STAFF, MemberStatus, staff_access_lapsed

    found = []
    for snapshot in db.collection(STAFF).get():
        record = snapshot.to_dict() or {}
        if (
            record.get("role", "owner") == "owner"
            and record.get("status") == MemberStatus.ACTIVE
            and not staff_access_lapsed(record, now)
        ):
            found.append(
                NoticeRecipient.model_validate(
                    {
                        "email": record["email"],
                        "name": record.get("display_name") or "Systemejer",
                        "as": ("owner",),
                    }
                )
            )
    return found


def notice_recipients(tenant: TenantData, topic: NoticeTopic) -> list[NoticeRecipient]:
    """The recipients of a formal notice to `tenant`: its contract's contacts for `topic`
    and, where the topic asks for them, its active administrators."""
    from shared.members import USERS, MemberStatus

    contract = load(tenant)
    admins = []
    from google.cloud.firestore_v1.base_query import FieldFilter

    query = tenant.collection(USERS).where(filter=FieldFilter("role", "==", "admin"))
    for snapshot in query.get():
        record = snapshot.to_dict() or {}
        if record.get("status") == MemberStatus.ACTIVE and record.get("email"):
            admins.append(
                ContactPerson(
                    name=str(record.get("display_name") or record["email"]),
                    email=record["email"],
                    locale=Locale(record.get("locale") or Locale.DA),
                )
            )
    return recipients_of(contract, admins, topic)
