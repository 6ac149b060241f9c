"""The tenant's well-being settings (cadence, minimum group), read by checks and reminders
from the tenant document; the administrator changes them, and the change is logged."""

from __future__ import annotations

from shared.principal import Principal
from shared.tenancy import TenantData
from shared.tenants import WellbeingSettings, change_setting, load


def current(data: TenantData) -> WellbeingSettings:
    return load(data).wellbeing


def change(me: Principal, data: TenantData, body: WellbeingSettings) -> WellbeingSettings:
    change_setting(me.uid, data, "wellbeing", body, "tenant.wellbeing_settings_changed")
    return body
