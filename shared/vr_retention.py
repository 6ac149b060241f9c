"""The VR area's collections, and their nightly purge (SPEC V-2, M-3).

Every document of a VR session (the session, its headsets, signalling, commands, presence,
events) and every pairing code carries `purge_after`; the nightly maintenance deletes
what is past it, whichever collection it is in (a collection-group query per name), so
signalling left behind by a session that was never ended goes too. It lives in shared/
because the maintenance runner may not import an area. The summary stored on the client
(`vr_summaries`) is client data: it stays until the client is erased.
"""

from __future__ import annotations

from datetime import datetime

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.jobs import BATCH, Clock, JobResult, delete_until_done

PAIRING_CODES = "vr_pairing_codes"  # top level: a headset knows no tenant before it pairs
SESSIONS = "vr_sessions"  # tenants/{t}/vr_sessions/{s}
HEADSETS = "vr_headsets"  # .../vr_sessions/{s}/vr_headsets/{h}
SIGNALS = "vr_signals"  # .../vr_headsets/{h}/vr_signals/{offer|answer}
TABLET_CANDIDATES = "vr_tablet_candidates"  # .../vr_headsets/{h}/vr_tablet_candidates/{c}
HEADSET_CANDIDATES = "vr_headset_candidates"  # .../vr_headsets/{h}/vr_headset_candidates/{c}
COMMANDS = "vr_commands"  # .../vr_sessions/{s}/vr_commands/{seq}
PRESENCE = "vr_presence"  # .../vr_sessions/{s}/vr_presence/{h}
EVENTS = "vr_events"  # .../vr_sessions/{s}/vr_events/{e}
SUMMARIES = "vr_summaries"  # tenants/{t}/vr_summaries/{s}: client data (shared/client_data.py)
PURGE_AFTER = "purge_after"

# Children first: a parent deleted first would leave its children unreachable by path
# (a collection-group query still finds them, but this keeps the order readable).
PURGED = (
    SIGNALS,
    TABLET_CANDIDATES,
    HEADSET_CANDIDATES,
    COMMANDS,
    PRESENCE,
    EVENTS,
    HEADSETS,
    SESSIONS,
    PAIRING_CODES,
)


def purge_vr_sessions(db: firestore.Client, deadline: datetime, clock: Clock) -> JobResult:
    """Stale sessions, pairing codes and signalling are of no use to anyone."""
    deleted = 0
    for name in PURGED:
        query = (
            db.collection_group(name)
            .where(filter=FieldFilter(PURGE_AFTER, "<", clock()))
            .order_by(PURGE_AFTER)
            .limit(BATCH)
        )
        result = delete_until_done(db, query, "purge_vr_sessions", deadline, clock)
        deleted += result.processed
        if not result.finished:
            return JobResult(name="purge_vr_sessions", processed=deleted, finished=False)
    return JobResult(name="purge_vr_sessions", processed=deleted, finished=True)
