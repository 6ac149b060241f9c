"""The tenant's retention period for clients (the DPA's appendix C.4), as its
administrator sets it; the nightly job that acts on it is
functions/support/maintenance/client_retention.py."""

from __future__ import annotations

from shared.events import record_event
from shared.principal import Principal
from shared.tenancy import TenantData
from shared.tenants import ClientRetention, load


def setting(data: TenantData) -> ClientRetention:
    return load(data).client_retention


def change(me: Principal, data: TenantData, body: ClientRetention) -> ClientRetention:
    """Set (or with `months: null` unset) the period, in the tenant's log."""
    data.root.update({"client_retention": body.model_dump()})
    record_event(
        data,
        actor=me.uid,
        action="tenant.client_retention_changed",
        subject="tenant",
        details=body.model_dump(),
    )
    return body
