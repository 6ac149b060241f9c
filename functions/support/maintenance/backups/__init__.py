"""Per-tenant backup and in-place restore (SPEC M-1, M-2).

`codec` turns Firestore values into tagged JSON and back (pure); `layout` names the parts
in the backups bucket and holds the manifest; `backup` writes one tenant's backup and
deletes the old ones; `restore` puts a tenant back to a chosen backup; `cli` is the
owner's command line (`python -m functions.support.maintenance.backups`).
"""
