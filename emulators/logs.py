"""The local stack's logs: every function's JSON lines, and one request's lines among them.

The functions host writes Cloud Logging's structured JSON to stdout, which the stack
keeps per profile in .stack/<profile>/logs/functions.log (started afresh with each
stack). In production the same lines are in Cloud Logging; there, filter on
`jsonPayload.request_id="ID"` (or the trace) instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from emulators.profiles import Profile


def log_file(profile: Profile) -> Path:
    return profile.state_dir / "logs" / "functions.log"


def entries(path: Path) -> Iterator[dict[str, Any]]:
    """Every JSON line of the file (anything else a process printed is skipped)."""
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if line.startswith("{"):
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict):
                    yield entry


def request_entries(path: Path, request_id: str) -> list[dict[str, Any]]:
    """The lines of one request, in the order they were written."""
    return [entry for entry in entries(path) if entry.get("request_id") == request_id]


def follow_hint(profile: Profile) -> str:
    path = log_file(profile)
    return (
        f"Logs: every function writes JSON lines to {path}\n"
        f"  one request (the request_id of a problem response, or X-Request-Id):\n"
        f"    python -m emulators --profile {profile.name.rstrip('0123456789')} logs --request ID\n"
        f"  or: jq -c 'select(.request_id == \"ID\")' {path}"
    )
