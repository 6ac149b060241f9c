"""Structured logs in Cloud Logging's format, tied to the request they belong to.

Every line is one JSON object on stdout (python-json-logger formats it), which Cloud
Logging parses into a LogEntry: `severity`, `message`, `logging.googleapis.com/trace`
and `.../spanId` (from the caller's `traceparent` or `X-Cloud-Trace-Context`), and
`httpRequest` on the one summary line per request. Each line also carries the request
id, the function, and — once the caller is verified — the tenant id and uid. Nothing
else about the caller is logged: no names, addresses, tokens, query strings or bodies.

An exception logged at ERROR carries `stack_trace`, `@type` ReportedErrorEvent and
`serviceContext`, the shape Error Reporting groups.

A pydantic ValidationError repeats the input it refused (`input_value=...`: a whole
message request with its recipient, a form with a contact person's answer). Wherever
one reaches a line — as an argument of the message, or in the exception and its chain —
it is written without its inputs (`errors(include_input=False)`), and any
`input_value=` text left over (a refusal's message quoting one) is cut out.
"""

from __future__ import annotations

import copy
import logging
import re
import secrets
import sys
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TextIO

from pydantic import ValidationError
from pythonjsonlogger.json import JsonFormatter

TRACE = "logging.googleapis.com/trace"
SPAN = "logging.googleapis.com/spanId"
TRACE_SAMPLED = "logging.googleapis.com/trace_sampled"
REPORTED_ERROR = (
    "type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent"
)
# W3C: version-traceid-parentid-flags; Google: TRACE_ID/SPAN_ID;o=OPTIONS.
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_CLOUD_TRACE = re.compile(r"^([0-9a-f]{32})(?:/(\d{1,20}))?(?:;o=([01]))?$")
_NO_TRACE = "0" * 32
# What pydantic prints of a refused value: `input_value=<repr>, input_type=<type>]`.
_INPUT_VALUE = re.compile(r"input_value=.*?, (input_type=[\w.]+\])")
_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


@dataclass
class RequestContext:
    """What every log line of one request (or one event) carries."""

    request_id: str  # the trace id when the caller sent one, else a random one of that shape
    function: str
    trace: str | None = None  # the trace id the caller sent
    span_id: str | None = None
    sampled: bool = False
    tenant_id: str | None = None
    uid: str | None = None
    # The matched route's template ("/clients/<client_id>"), logged instead of the path:
    # a path holds whatever the caller typed (an id may be an e-mail address or a CPR
    # number), so without a matched route the request's line names the function only.
    route: str | None = None


_current: ContextVar[RequestContext | None] = ContextVar("trivsel_request", default=None)


def parse_trace(headers: Any) -> tuple[str | None, str | None, bool]:
    """(trace id, span id, sampled) from `traceparent`, else `X-Cloud-Trace-Context`.
    Anything malformed is ignored, so a caller cannot write arbitrary text into logs."""
    found = _TRACEPARENT.match((headers.get("traceparent") or "").strip().lower())
    if found and found.group(1) != _NO_TRACE:
        return found.group(1), found.group(2), int(found.group(3), 16) & 1 == 1
    found = _CLOUD_TRACE.match((headers.get("X-Cloud-Trace-Context") or "").strip().lower())
    if found and found.group(1) != _NO_TRACE:
        span = found.group(2)
        return found.group(1), f"{int(span):016x}" if span else None, found.group(3) == "1"
    return None, None, False


def begin(function: str, headers: Any) -> RequestContext:
    """Start the context of one request; its id is the trace id where there is one."""
    trace, span, sampled = parse_trace(headers)
    context = RequestContext(trace or secrets.token_hex(16), function, trace, span, sampled)
    _current.set(context)
    return context


def end() -> None:
    _current.set(None)


def current() -> RequestContext | None:
    return _current.get()


def current_request_id() -> str | None:
    context = _current.get()
    return context.request_id if context is not None else None


def bind_caller(tenant_id: str | None, uid: str) -> None:
    """Name the verified caller on every later line of this request."""
    context = _current.get()
    if context is not None:
        context.tenant_id, context.uid = tenant_id, uid


def without_inputs(error: ValidationError) -> str:
    """A ValidationError's text as pydantic prints it, but without the refused values."""
    lines = [f"{error.error_count()} validation error(s) for {error.title}"]
    for item in error.errors(include_input=False, include_url=False, include_context=False):
        where = ".".join(str(part) for part in item["loc"]) or "(root)"
        lines.append(f"{where}\n  {item['msg']} [type={item['type']}]")
    return "\n".join(lines)


def _scrubbed(value: Any) -> Any:
    return without_inputs(value) if isinstance(value, ValidationError) else value


def _chain(error: BaseException | None) -> list[BaseException]:
    """The exception and every cause and context a traceback prints with it."""
    found: list[BaseException] = []
    pending = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is seen for seen in found):
            continue
        found.append(current)
        pending += [current.__cause__, current.__context__]
    return found


def scrub_inputs(text: str) -> str:
    """Any `input_value=...` pydantic printed, cut out of a finished text."""
    return _INPUT_VALUE.sub(r"input_value=<hidden>, \1", text)


def matched_route(template: str) -> None:
    """This request's route: its template is what the request's line names."""
    context = _current.get()
    if context is not None:
        context.route = template


class CloudLoggingFormatter(JsonFormatter):
    """python-json-logger, with Cloud Logging's field names and the request's context."""

    def __init__(self, project_id: str | None = None) -> None:
        super().__init__(
            "{message}{levelname}{name}",
            style="{",
            rename_fields={"levelname": "severity", "name": "logger", "exc_info": "stack_trace"},
            timestamp="time",
        )
        self.project_id = project_id

    def format(self, record: logging.LogRecord) -> str:
        if isinstance(record.msg, ValidationError) or record.args:
            record = copy.copy(record)  # other handlers see the record as it was logged
            record.msg = _scrubbed(record.msg)
            if isinstance(record.args, dict):
                record.args = {key: _scrubbed(value) for key, value in record.args.items()}
            elif record.args:
                record.args = tuple(_scrubbed(value) for value in record.args)
        return super().format(record)

    def formatException(self, ei: _ExcInfo) -> str:
        text = str(super().formatException(ei))
        for error in _chain(ei[1]):
            if isinstance(error, ValidationError):
                text = text.replace(str(error), without_inputs(error))
        return scrub_inputs(text)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        if isinstance(log_data.get("message"), str):
            log_data["message"] = scrub_inputs(log_data["message"])
        context = _current.get()
        if context is not None:
            log_data["request_id"] = context.request_id
            log_data["function"] = context.function
            if context.trace is not None:
                trace = context.trace
                log_data[TRACE] = (
                    f"projects/{self.project_id}/traces/{trace}" if (self.project_id) else trace
                )
                log_data[TRACE_SAMPLED] = context.sampled
                if context.span_id is not None:
                    log_data[SPAN] = context.span_id
            if context.tenant_id is not None:
                log_data["tenant_id"] = context.tenant_id
            if context.uid is not None:
                log_data["uid"] = context.uid
        if "stack_trace" in log_data and log_data.get("severity") in ("ERROR", "CRITICAL"):
            log_data["@type"] = REPORTED_ERROR
            log_data["serviceContext"] = {
                "service": context.function if context is not None else "trivsel"
            }
        return log_data


class _Stdout(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is at the time (test runners swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


_INSTALLED = "__trivsel_structured__"


def formatter() -> CloudLoggingFormatter:
    from shared.settings import get_settings

    try:
        project: str | None = get_settings().project_id
    except Exception:  # no project in this environment: the bare trace id is kept
        project = None
    return CloudLoggingFormatter(project)


def install() -> None:
    """Send every log line to stdout as Cloud Logging JSON; harmless to call again."""
    root = logging.getLogger()
    if any(getattr(handler, _INSTALLED, False) for handler in root.handlers):
        return
    handler = _Stdout()
    handler.setFormatter(formatter())
    setattr(handler, _INSTALLED, True)
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
