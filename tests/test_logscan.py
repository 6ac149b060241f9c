"""The log scan finds each kind of personal data and passes ordinary log lines (pure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.logscan import findings, scan

CLEAN = json.dumps(
    {
        "message": "GET /clients_api/clients/c-7F3KQ2 200",
        "severity": "INFO",
        "time": "2026-12-01T10:11:12.123456+00:00",
        "request_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "logging.googleapis.com/trace": "projects/demo/traces/4bf92f3577b34da6a3ce929d0e0e4736",
        "logging.googleapis.com/spanId": "00f067aa0ba902b7",
        "uid": "Xy12ab34Cd56ef78Gh90",
        "httpRequest": {"status": 200, "latency": "0.01234567s"},
    }
)


def test_an_ordinary_request_line_is_clean() -> None:
    assert findings(CLEAN) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("welcome mail for ida.jensen+x@example.dk failed", "e-mail address"),
        ('"to": "+4512345678"', "phone number"),
        ("call 12345678 now", "phone number"),
        ("cpr 010190-1234 given", "CPR-like number"),
        ("cpr 0101901234 given", "CPR-like number"),
        ("Authorization: Bearer abc.def-ghi", "token"),
        ("/remote_task_page/eyJ0ZW5hbnQiOiJ0LTEifQ.Z2l2ZW4.c2ln", "token"),
    ],
)
def test_each_kind_of_personal_data_is_found(text: str, kind: str) -> None:
    assert kind in findings(json.dumps({"message": text}))


def test_scan_names_the_file_and_line_not_the_text(tmp_path: Path) -> None:
    log = tmp_path / "functions.log"
    log.write_text(CLEAN + "\n" + json.dumps({"message": "to ida@example.dk"}) + "\n")
    assert scan([log, tmp_path / "missing.log"]) == [f"{log}:2: e-mail address"]
