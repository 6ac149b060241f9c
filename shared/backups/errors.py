"""The refusals of a restore."""

from __future__ import annotations

from shared.errors import ApiError


class BackupNotFound(ApiError):
    status, code, title = 404, "backup_not_found", "The tenant has no backup of that time"


class BackupIncomplete(ApiError):
    status, code = 409, "backup_incomplete"
    title = "That backup has no manifest (it never finished) and cannot be restored"


class BackupCorrupt(ApiError):
    status, code, title = 409, "backup_corrupt", "A part of the backup fails its checksum"


class TenantExists(ApiError):
    status, code = 409, "tenant_exists"
    title = "A restore for inspection needs a tenant id that holds nothing yet"
