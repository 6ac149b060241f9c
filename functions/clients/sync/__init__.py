"""Offline work: the sync of what the app recorded offline, conflicts, the quarantine."""
