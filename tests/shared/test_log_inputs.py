"""No log line repeats what a pydantic ValidationError was given (pure: no stack).

A ValidationError's text quotes the refused input (`input_value=...`), which for a
message request is the recipient's address and the mail's text, and for a form the
contact person's answer; shared/observability/logs.py writes it without them.
"""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from cloudevents.http import CloudEvent
from pydantic import ValidationError

from shared.messaging.models import MessageRequest
from shared.observability.logs import CloudLoggingFormatter
from tests.logscan import findings

ADDRESS = "ida@jensen.dk"
# A message request without its `kind`: refused, and pydantic echoes the whole request
# (a long one cut in the middle, so its first and last fields show: here the recipient).
INVALID = {
    "id": "msg-00000001",
    "tenant_id": "t-1",
    "channel": "email",
    "text": "Hej Ida",
    "to": ADDRESS,
}


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the root logger writes in the functions' format, while the test runs."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(CloudLoggingFormatter("demo"))
    root = logging.getLogger()
    root.addHandler(handler)
    level, root.level = root.level, logging.INFO
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.level = level


def refusal() -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        MessageRequest.model_validate(INVALID)
    assert ADDRESS in str(refused.value)  # what pydantic itself prints
    return refused.value


def entries(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_validation_error_as_a_message_argument_is_logged_without_its_input(
    lines: io.StringIO,
) -> None:
    logging.getLogger("t").error("dropping invalid message request %s: %s", "e1", refusal())

    (entry,) = entries(lines)
    assert ADDRESS not in entry["message"]
    assert findings(json.dumps(entry)) == []
    assert "kind" in entry["message"]
    assert "Field required" in entry["message"]


def test_a_logged_validation_error_and_its_chain_carry_no_input(lines: io.StringIO) -> None:
    try:
        try:
            raise refusal()
        except ValidationError as error:
            raise RuntimeError("the message could not be read") from error
    except RuntimeError:
        logging.getLogger("t").exception("unhandled error")

    (entry,) = entries(lines)
    assert ADDRESS not in entry["stack_trace"]
    assert findings(json.dumps(entry)) == []
    assert "Field required [type=missing]" in entry["stack_trace"]


def test_input_quoted_in_another_exception_s_message_is_cut_out(lines: io.StringIO) -> None:
    try:
        raise ValueError(f"Firebase refused the account: {refusal()}")
    except ValueError:
        logging.getLogger("t").exception("could not create")

    (entry,) = entries(lines)
    assert ADDRESS not in entry["stack_trace"]
    assert "input_value=<hidden>, input_type=dict]" in entry["stack_trace"]


def test_the_delivery_function_drops_an_invalid_request_without_logging_its_recipient(
    lines: io.StringIO,
) -> None:
    from functions.messaging.main import deliver_message

    data = base64.b64encode(json.dumps(INVALID).encode()).decode()
    event = CloudEvent(
        {"type": "google.cloud.pubsub.topic.v1.messagePublished", "source": "//pubsub", "id": "e1"},
        {"message": {"data": data}},
    )

    unwrapped = deliver_message.__wrapped__  # type: ignore[attr-defined]
    unwrapped(event)  # the function itself, outside the HTTP request it is served in

    text = lines.getvalue()
    assert "dropping invalid message request e1" in text
    assert ADDRESS not in text
    assert findings(text) == []
