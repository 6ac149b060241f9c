"""clients_api's routes for bringing one deleted client back from a backup (administrator)."""

from __future__ import annotations

from functions.clients import client_restore
from functions.clients.models import ClientBackups, ClientRestored, ClientRestoreRequest
from functions.clients.route_paths import ADMIN, CLIENT
from shared.backups.errors import BackupCorrupt
from shared.http import Api
from shared.principal import Principal
from shared.tenancy import TenantData


def register(api: Api) -> None:
    @api.route(
        "GET",
        CLIENT + "/restore",
        summary="Each backup (of the last 30 days) holding a deleted client, to restore from",
        roles=ADMIN,
        refusals=[BackupCorrupt],
    )
    def client_backups(tenant: TenantData, client_id: str) -> ClientBackups:
        return ClientBackups(backups=client_restore.backups_holding(tenant, client_id))

    @api.route(
        "POST",
        CLIENT + "/restore",
        summary="Bring back a client a professional deleted, from a chosen backup",
        roles=ADMIN,
        refusals=client_restore.REFUSALS,
    )
    def restore_client(
        caller: Principal, tenant: TenantData, client_id: str, body: ClientRestoreRequest
    ) -> ClientRestored:
        restored = client_restore.restore_client(caller, tenant, client_id, body.backup)
        return ClientRestored(
            client_id=client_id,
            backup=body.backup,
            documents=restored.documents,
            files=restored.files,
        )
