"""Reading a tenant's backups: what the nightly maintenance writes and restores
(functions/support/maintenance/backups) and the clients area reads to bring one client
back (functions/clients/client_restore.py).

`codec` turns Firestore values into tagged JSON and back (pure); `layout` names the parts
in the backups bucket and holds the manifest; `reading` lists backups and reads one,
every part checked against its checksum; `errors` are the refusals.
"""
