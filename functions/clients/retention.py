"""The tenant's retention period for clients (the DPA's appendix C.4), as its
administrator sets it; the nightly job that acts on it is
functions/support/maintenance/client_retention.py."""

from __future__ import annotations

from shared.principal import Principal
from shared.tenancy import TenantData
from shared.tenants import ClientRetention, change_setting, load


def setting(data: TenantData) -> ClientRetention:
    return load(data).client_retention


def change(me: Principal, data: TenantData, body: ClientRetention) -> ClientRetention:
    """Set (or with `months: null` unset) the period, in the tenant's log."""
    change_setting(me.uid, data, "client_retention", body, "tenant.client_retention_changed")
    return body
