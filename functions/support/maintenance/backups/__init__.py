"""Per-tenant backup and in-place restore (SPEC M-1, M-2).

The format and the reading of a backup (`codec`, `layout`, `errors`, `reading`) live in
shared/backups, since the clients area reads backups too (one client's restore); `codec`
and `layout` are re-exported here. `backup` writes one tenant's backup and deletes the
old ones; `restore` puts a tenant back to a chosen backup; `cli` is the owner's command
line (`python -m functions.support.maintenance.backups`).
"""

from shared.backups import codec, errors, layout

__all__ = ["codec", "errors", "layout"]
