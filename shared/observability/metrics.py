"""The one home of Trivsel's metrics: OpenTelemetry instruments, named as the alerts use them.

In production the instruments are exported to Cloud Monitoring (as
`workload.googleapis.com/<name>`, the exporter's prefix; infra/deployment.toml's alert
policies filter on exactly these); against the emulators they are kept in memory,
so the local functions host can dump them (`/_metrics`) and a test can read exact
values. The SDK is imported on the first recording, not at import, so a function
that records nothing pays nothing at cold start.

Which instruments are fed today is in README ("What is measured"): the backup age is
fed by the nightly job `observe_backup_ages`; the SLA clocks are defined here for the
alerts, and fed by support tickets when they exist.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.metrics import Counter, Histogram, _Gauge
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from shared.settings import Settings

# The names the alert policies in infra/deployment.toml refer to.
REQUESTS = "trivsel.requests"  # {function, status_class}
REQUEST_DURATION = "trivsel.request.duration"  # ms {function, status_class}
REFUSALS = "trivsel.refusals"  # {function, code}
MESSAGES = "trivsel.messages"  # {channel, outcome: queued|sent|failed, tenant_id}
NIGHTLY_RUNS = "trivsel.nightly.runs"  # {outcome: finished|cut_off|failed}
NIGHTLY_DURATION = "trivsel.nightly.duration"  # s {outcome}
RESTORE_DRILLS = "trivsel.restore_drills"  # {outcome: passed|failed}
BACKUP_AGE = "trivsel.backup.age"  # h {tenant_id}: the nightly observe_backup_ages
SLA_NEAR_BREACH = "trivsel.support.sla_near_breach"  # {priority}: functions/support/sla
MIGRATION_FAILURES = "trivsel.migrations.failed"  # {migration, tenant_id}
ALL = (
    REQUESTS,
    REQUEST_DURATION,
    REFUSALS,
    MESSAGES,
    NIGHTLY_RUNS,
    NIGHTLY_DURATION,
    RESTORE_DRILLS,
    BACKUP_AGE,
    MIGRATION_FAILURES,
    SLA_NEAR_BREACH,
)
METRIC_PREFIX = "workload.googleapis.com"


@dataclass(frozen=True)
class _Instruments:
    requests: Counter
    request_duration: Histogram
    refusals: Counter
    messages: Counter
    nightly_runs: Counter
    nightly_duration: Histogram
    restore_drills: Counter
    backup_age: _Gauge
    migration_failures: Counter
    sla_near_breach: _Gauge
    local: InMemoryMetricReader | None


_lock = threading.Lock()
_made: list[_Instruments | None] = []  # filled once: the instruments, or None when off


def _instruments() -> _Instruments | None:
    """The instruments, made on first use; None when off. Metrics never fail a request:
    an exporter that cannot start leaves them off, and says so once."""
    if _made:
        return _made[0]
    from shared.settings import get_settings

    try:
        settings = get_settings()
    except Exception:  # no settings yet (the function will say so): try again next time
        return None
    with _lock:
        if not _made:
            try:
                _made.append(_build(settings))
            except Exception:
                logging.getLogger(__name__).exception("metrics are off: no exporter")
                _made.append(None)
    return _made[0]


def _build(settings: Settings) -> _Instruments | None:
    if not settings.observability:
        return None
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricReader

    local: InMemoryMetricReader | None = None
    reader: MetricReader
    if settings.uses_emulators:
        reader = local = InMemoryMetricReader()
        provider = MeterProvider(metric_readers=[reader])
    else:  # pragma: no cover - needs Google Cloud
        from opentelemetry.exporter.cloud_monitoring import CloudMonitoringMetricsExporter
        from opentelemetry.resourcedetector.gcp_resource_detector import (
            GoogleCloudResourceDetector,
        )
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import get_aggregated_resources

        reader = PeriodicExportingMetricReader(
            CloudMonitoringMetricsExporter(project_id=settings.project_id, prefix=METRIC_PREFIX),
            export_interval_millis=60_000,
        )
        # The instance is part of the resource, so two instances never write one series.
        resource = get_aggregated_resources([GoogleCloudResourceDetector(raise_on_error=False)])
        provider = MeterProvider(metric_readers=[reader], resource=resource)
    meter = provider.get_meter("trivsel")
    return _Instruments(
        requests=meter.create_counter(REQUESTS, "1", "Requests per function and status class"),
        request_duration=meter.create_histogram(
            REQUEST_DURATION, "ms", "Time from request to response, per function"
        ),
        refusals=meter.create_counter(REFUSALS, "1", "Problem responses per error code"),
        messages=meter.create_counter(MESSAGES, "1", "Messages queued, sent and failed"),
        nightly_runs=meter.create_counter(NIGHTLY_RUNS, "1", "Nightly maintenance runs"),
        nightly_duration=meter.create_histogram(NIGHTLY_DURATION, "s", "Nightly run time"),
        restore_drills=meter.create_counter(RESTORE_DRILLS, "1", "Weekly restore drills"),
        backup_age=meter.create_gauge(BACKUP_AGE, "h", "Age of each tenant's newest backup"),
        migration_failures=meter.create_counter(
            MIGRATION_FAILURES, "1", "Data migrations that failed for a tenant"
        ),
        sla_near_breach=meter.create_gauge(
            SLA_NEAR_BREACH, "1", "Open tickets whose SLA clock is near breach"
        ),
        local=local,
    )


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def record_request(function: str, status: int, duration_ms: float) -> None:
    found = _instruments()
    if found is None:
        return
    attributes = {"function": function, "status_class": status_class(status)}
    found.requests.add(1, attributes)
    found.request_duration.record(duration_ms, attributes)


def record_refusal(function: str, code: str) -> None:
    found = _instruments()
    if found is not None:
        found.refusals.add(1, {"function": function, "code": code})


def record_message(channel: str, outcome: str, tenant_id: str, count: int = 1) -> None:
    """A message queued, sent or failed (the outcomes a recipient can tell apart)."""
    found = _instruments()
    if found is not None and count:
        found.messages.add(count, {"channel": channel, "outcome": outcome, "tenant_id": tenant_id})


def record_nightly_run(outcome: str, duration_s: float) -> None:
    found = _instruments()
    if found is not None:
        found.nightly_runs.add(1, {"outcome": outcome})
        found.nightly_duration.record(duration_s, {"outcome": outcome})


def record_sla_near_breach(priority: str, open_tickets: int) -> None:
    """How many open tickets of `priority` are past their SLA warning, not yet met."""
    found = _instruments()
    if found is not None:
        found.sla_near_breach.set(open_tickets, {"priority": priority})


def record_backup_age(tenant_id: str, hours: float) -> None:
    """Hours since the tenant's newest complete backup (a gauge: the last value counts)."""
    found = _instruments()
    if found is not None:
        found.backup_age.set(hours, {"tenant_id": tenant_id})


def record_restore_drill(outcome: str) -> None:
    found = _instruments()
    if found is not None:
        found.restore_drills.add(1, {"outcome": outcome})


def record_migration_failure(migration: str, tenant_id: str) -> None:
    found = _instruments()
    if found is not None:
        found.migration_failures.add(1, {"migration": migration, "tenant_id": tenant_id})


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every point kept in memory (emulators only): name -> [{attributes, value}], where a
    histogram's value is {count, sum}. Cumulative since the process started."""
    found = _instruments()
    if found is None or found.local is None:
        return {}
    from opentelemetry.sdk.metrics.export import HistogramDataPoint, NumberDataPoint

    dump: dict[str, list[dict[str, Any]]] = {}
    data = found.local.get_metrics_data()
    for resource in data.resource_metrics if data is not None else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                points = dump.setdefault(metric.name, [])
                for point in metric.data.data_points:
                    value: Any
                    if isinstance(point, HistogramDataPoint):
                        value = {"count": point.count, "sum": point.sum}
                    elif isinstance(point, NumberDataPoint):
                        value = point.value
                    else:  # pragma: no cover - we define no other kind
                        continue
                    points.append({"attributes": dict(point.attributes or {}), "value": value})
    return dump


def value(dump: dict[str, list[dict[str, Any]]], name: str, **attributes: str) -> Any:
    """The sum of the points of `name` whose attributes include these (0 when none)."""
    total: Any = 0
    for point in dump.get(name, []):
        if all(point["attributes"].get(k) == v for k, v in attributes.items()):
            found = point["value"]
            total = found["count"] + total if isinstance(found, dict) else found + total
    return total
