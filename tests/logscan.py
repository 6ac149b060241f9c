"""What no log line may carry: e-mail addresses, phone numbers, CPR-like numbers, tokens.

Used at the end of every test session on every line the stack's functions host and
the test process itself wrote (tests/conftest.py), and tested in tests/test_logscan.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

PATTERNS = {
    "e-mail address": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"),
    # E.164 (+4512345678) or a Danish number standing alone (8 digits).
    "phone number": re.compile(r"\+\d{8,15}(?!\d)|(?<![\w.:/-])\d{8}(?![\w.:/-])"),
    # ddmmyy-xxxx, with or without the hyphen.
    "CPR-like number": re.compile(r"(?<![\w.:/-])[0-3]\d[01]\d{3}-?\d{4}(?![\w.:/-])"),
    # JWTs (ID tokens), itsdangerous link tokens (base64 JSON), bearer headers.
    "token": re.compile(r"eyJ[A-Za-z0-9_-]{8,}|Bearer\s+[A-Za-z0-9._-]+"),
}


def findings(line: str) -> list[str]:
    """What kinds of personal data or secrets the line carries."""
    return [kind for kind, pattern in PATTERNS.items() if pattern.search(line)]


def scan(paths: Iterable[Path]) -> list[str]:
    """`path:line: kinds` for every offending line (the text itself is not repeated)."""
    found = []
    for path in paths:
        if not path.exists():
            continue
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                if kinds := findings(line):
                    found.append(f"{path}:{number}: {', '.join(kinds)}")
    return found
