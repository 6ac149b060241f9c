"""Written payment demands and the suspension they allow (SPEC K-3).

Both contracts (§ 9: "trods forudgående skriftligt påkrav på mindst 10 dage") let the
supplier close a customer's access for non-payment only after a written demand at
least 10 days old. A demand is recorded by the owner in `tenants/{t}/payment_demands`,
e-mailed (Danish by default) to the contract's contacts and logged; a reactivation
(payment received) closes every demand before it. Suspension for another reason (a
security incident: "alvorlige akutte fejl som fx hacking", Konfront bilag 4) needs no
demand, only a stated reason, which is logged.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from babel.numbers import format_decimal

from functions.auth.models import PaymentDemand, PaymentDemandCreate, Suspension
from shared import errors
from shared.contracts import NoticeTopic, notice_recipients
from shared.events import record_event
from shared.ids import new_id
from shared.messaging import outbox
from shared.principal import Principal
from shared.subscriptions import COPENHAGEN
from shared.templating import MailTemplates, long_date
from shared.tenancy import TenantData
from shared.tenants import TenantDocument
from shared.tenants import load as load_tenant

DEMANDS = "payment_demands"
DEMAND_NOTICE = timedelta(days=10)
MAIL = MailTemplates(Path(__file__).with_name("templates"))


class PaymentDemandMissing(errors.ApiError):
    status, code = 409, "payment_demand_missing"
    title = "Suspension for non-payment needs a written payment demand at least 10 days old"


def pay_by(demanded_at: datetime) -> date:
    """The day the demand's letter names ("betalt senest ..."): the last Copenhagen day
    that has fully ended when the suspension becomes allowed (10 days after the demand),
    so no access is closed while the day the customer was given is still running."""
    allowed = (demanded_at + DEMAND_NOTICE).astimezone(COPENHAGEN)
    return allowed.date() - timedelta(days=1)


def demand_allows_suspension(
    demanded_at: list[datetime], reactivated_at: datetime | None, now: datetime
) -> bool:
    """Whether a demand recorded after the last reactivation is at least 10 days old."""
    open_demands = [d for d in demanded_at if reactivated_at is None or d > reactivated_at]
    return any(now - demand >= DEMAND_NOTICE for demand in open_demands)


def check_suspension(
    tenant: TenantData, document: TenantDocument, suspension: Suspension, now: datetime
) -> None:
    """Refuse a suspension for non-payment without a demand at least 10 days old."""
    if suspension.reason != "non_payment":
        return
    demanded = [
        s.get("recorded_at") for s in tenant.collection(DEMANDS).select(["recorded_at"]).get()
    ]
    moments = [d for d in demanded if isinstance(d, datetime)]
    if not demand_allows_suspension(moments, document.reactivated_at, now):
        raise PaymentDemandMissing(
            "No written payment demand recorded at least 10 days ago (since the last "
            "reactivation); record one with POST /tenants/{t}/payment-demands"
        )


def record_demand(
    owner: Principal, tenant_id: str, body: PaymentDemandCreate, now: datetime | None = None
) -> PaymentDemand:
    """Record a written payment demand, e-mail it to the contract's contacts and log it."""
    data = owner.owner_access(tenant_id, "record payment demand")
    tenant = load_tenant(data)
    now = now or datetime.now(UTC)
    recipients = notice_recipients(data, NoticeTopic.CONTRACT)
    if not recipients:
        raise errors.InvalidTransition("The tenant has no contract contact or administrator")
    demand = PaymentDemand(
        id=new_id("demand"),
        recorded_at=now,
        recorded_by=owner.uid,
        sent_to=[r.email for r in recipients],
        **body.model_dump(),
    )
    data.document(DEMANDS, demand.id).create(demand.model_dump(mode="json") | {"recorded_at": now})
    for recipient in recipients:
        params = {
            "name": recipient.name,
            "customer": tenant.display_name,
            "invoice": body.invoice_number,
            "amount": format_decimal(body.amount_dkk, "#,##0.00", locale=recipient.locale),
            "due": long_date(body.due_on, recipient.locale),
            "notice_ends": long_date(pay_by(now), recipient.locale),
        }
        key = hashlib.sha256(f"{demand.id}:{recipient.email}".encode()).hexdigest()[:20]
        outbox.email(
            data,
            message_id=f"payment-demand-{key}",
            to=recipient.email,
            kind="payment_demand",
            content=MAIL.render("payment_demand", recipient.locale, params),
            locale=recipient.locale,
            requested_by=owner.uid,
        )
    record_event(
        data,
        actor=owner.uid,
        action="tenant.payment_demand",
        subject=f"{DEMANDS}/{demand.id}",
        details={"invoice_number": body.invoice_number, "recipients": len(recipients)},
    )
    return demand
