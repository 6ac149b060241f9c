"""Offline work's collections and how long a quarantined batch is kept (issue 16).

The clients area applies what a professional recorded offline (functions/clients/sync/);
what a user who lost access sent meanwhile waits in the quarantine for an administrator,
at most KEPT, and the nightly maintenance deletes what is older. Defined here because
the GDPR registry (shared/client_data.py) and the maintenance runner read them too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.jobs import Clock, JobResult, delete_until_done

# tenants/{t}/sync_conflicts/{id}: an offline change to a field edited online meanwhile.
SYNC_CONFLICTS = "sync_conflicts"
# tenants/{t}/sync_quarantine/{batch}: a batch sent by a user whose access was closed;
# its records, one document each (each with its client_id), in sync_quarantine_records.
QUARANTINE = "sync_quarantine"
QUARANTINE_RECORDS = "sync_quarantine_records"
# tenants/{t}/sync_outbox/{uid}-{record}: records the app queued through the Firestore
# SDK (firestore.rules: only an active member of an active tenant, for themselves).
OUTBOX = "sync_outbox"
KEPT = timedelta(days=30)
BATCH = 400


def purge_old_quarantine(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """Delete quarantined batches (and their records) received more than KEPT ago,
    decided or not: the administrator had 30 days, and the records are personal data."""
    done = 0
    for group in (QUARANTINE_RECORDS, QUARANTINE):  # the records first: none orphaned
        query = (
            db.collection_group(group)
            .where(filter=FieldFilter("received_at", "<", clock() - KEPT))
            .limit(BATCH)
        )
        result = delete_until_done(db, query, "purge_old_quarantine", deadline, clock)
        done += result.processed
        if not result.finished:
            return JobResult(name="purge_old_quarantine", processed=done, finished=False)
    return JobResult(name="purge_old_quarantine", processed=done, finished=True)
