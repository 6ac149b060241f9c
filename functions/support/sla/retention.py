"""Retention of tickets (SkoleRo's privacy policy): a ticket and its attachments and
comments are deleted 6 months after the last contact, by the nightly maintenance."""

from __future__ import annotations

from datetime import datetime

from dateutil.relativedelta import relativedelta
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.support.tickets import attachments
from functions.support.tickets.models import COMMENTS, TICKETS
from shared.jobs import BATCH, Clock, JobResult
from shared.tenancy import TenantData

KEPT = relativedelta(months=6)


def purge_old_tickets(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """Delete every ticket whose last contact is more than 6 months ago, with its
    attachments (Storage) and comments; a batch at a time until the deadline."""
    deleted = 0
    while clock() < deadline:
        query = (
            db.collection_group(TICKETS)
            .where(filter=FieldFilter("last_contact_at", "<", clock() - KEPT))
            .limit(BATCH)
        )
        page = query.get()
        if not page:
            return JobResult(name="purge_old_tickets", processed=deleted, finished=True)
        for snapshot in page:
            tenant = TenantData(db, str(snapshot.get("tenant_id")))
            attachments.delete_all(tenant, snapshot.id)  # the files first: nothing orphaned
            for comment in snapshot.reference.collection(COMMENTS).list_documents():
                comment.delete()
            snapshot.reference.delete()
            deleted += 1
    return JobResult(name="purge_old_tickets", processed=deleted, finished=False)
