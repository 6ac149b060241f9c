"""The tenant's well-being settings (cadence, minimum group), read by checks and reminders
from the tenant document; the administrator changes them, and the change is logged."""

from __future__ import annotations

from shared.events import record_event
from shared.principal import Principal
from shared.tenancy import TenantData
from shared.tenants import WellbeingSettings, load


def current(data: TenantData) -> WellbeingSettings:
    return load(data).wellbeing


def change(me: Principal, data: TenantData, body: WellbeingSettings) -> WellbeingSettings:
    data.root.update({"wellbeing": body.model_dump()})
    record_event(
        data,
        actor=me.uid,
        action="tenant.wellbeing_settings_changed",
        subject="tenant",
        details=body.model_dump(),
    )
    return body
