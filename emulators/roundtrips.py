"""Round trips counted inside a functions host, for `make bench` (TRIVSEL_ROUNDTRIPS=1).

Client-side instrumentation, not a proxy: every gRPC channel the process opens
(`grpc.insecure_channel` / `grpc.secure_channel`, which google-api-core's
`create_channel` and the emulator paths of the Firestore, Pub/Sub and Cloud Tasks
clients all call; patching both, not create_channel as well, counts each call once)
is wrapped with `grpc.intercept_channel`, and every HTTP request
a `requests.Session` sends (firebase-admin's and google-auth's sessions) passes
through a hook. Each call is counted per service and method, and can be delayed
by a fixed time first, to show what production pays per round trip:

    TRIVSEL_ROUNDTRIPS=1            count, and serve /_bench/ (never otherwise)
    TRIVSEL_DELAY_FIRESTORE_MS=5    sleep before each Firestore call
    TRIVSEL_DELAY_AUTH_MS=30        ... each Auth (Identity Toolkit) call
    TRIVSEL_DELAY_PUBSUB_MS, TRIVSEL_DELAY_TASKS_MS

A streaming call (a query's results, a batch get) is one round trip, counted when
it starts. Faults can be injected too (this test mode only): the next N calls of a
service's method (or of any of its methods, `*`) fail with a gRPC status, before they
leave the process, as the service would answer them. The host
(emulators/functions_host.py) then serves

    GET  /_bench/roundtrips         counts per service (and per method) since the last reset
    POST /_bench/roundtrips/reset
    POST /_bench/faults             {"service": "firestore", "method": "Commit",
                                     "code": "UNAVAILABLE", "count": 3}: fail the next 3
    GET  /_bench/faults             what is still pending, and how many were injected
    DELETE /_bench/faults           no more faults
    GET  /_bench/memory             the last request sent with `X-Trivsel-Bench-Memory: 1`:
                                    its tracemalloc peak and peak RSS

and the baseline functions of bench/baseline_function.py at /<target>/.
"""

from __future__ import annotations

import os
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import grpc
import requests

ENABLE = "TRIVSEL_ROUNDTRIPS"
SERVICES = ("firestore", "auth", "pubsub", "tasks")
# The emulator address each service's client is pointed at by the local stack.
EMULATOR_HOSTS = {
    "firestore": "FIRESTORE_EMULATOR_HOST",
    "pubsub": "PUBSUB_EMULATOR_HOST",
    "tasks": "CLOUD_TASKS_EMULATOR_HOST",
    "auth": "FIREBASE_AUTH_EMULATOR_HOST",
}
DELAYS = {
    "firestore": "TRIVSEL_DELAY_FIRESTORE_MS",
    "auth": "TRIVSEL_DELAY_AUTH_MS",
    "pubsub": "TRIVSEL_DELAY_PUBSUB_MS",
    "tasks": "TRIVSEL_DELAY_TASKS_MS",
}
# The production endpoints, for a host pointed at real services.
PRODUCTION_HOSTS = {
    "firestore.googleapis.com": "firestore",
    "pubsub.googleapis.com": "pubsub",
    "cloudtasks.googleapis.com": "tasks",
    "identitytoolkit.googleapis.com": "auth",
    "securetoken.googleapis.com": "auth",
}
MEMORY_HEADER = "HTTP_X_TRIVSEL_BENCH_MEMORY"  # X-Trivsel-Bench-Memory: 1
BASELINE_SOURCE = Path(__file__).resolve().parent.parent / "bench" / "baseline_function.py"


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    return (os.environ if environ is None else environ).get(ENABLE) == "1"


# -- counting -------------------------------------------------------------------------------


class RoundTrips:
    """Calls per service and per `service/method`, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._methods: Counter[str] = Counter()

    def record(self, service: str, method: str) -> None:
        with self._lock:
            self._methods[f"{service}/{method}"] += 1

    def reset(self) -> None:
        with self._lock:
            self._methods.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            methods = dict(sorted(self._methods.items()))
        totals = {service: 0 for service in SERVICES}
        for key, count in methods.items():
            service = key.split("/", 1)[0]
            totals[service] = totals.get(service, 0) + count
        return {**totals, "methods": methods}


@dataclass
class _Config:
    hosts: dict[str, str] = field(default_factory=dict)  # "host:port" -> service
    ports: dict[str, str] = field(default_factory=dict)  # "port" -> service
    delays_s: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> _Config:
        config = cls()
        for service, variable in EMULATOR_HOSTS.items():
            address = _address(environ.get(variable, ""))
            if address:
                config.hosts[address] = service
                config.ports[address.rsplit(":", 1)[-1]] = service
        for service, variable in DELAYS.items():
            config.delays_s[service] = float(environ.get(variable) or 0) / 1000
        return config

    def service(self, target: str) -> str:
        address = _address(target)
        if address in self.hosts:
            return self.hosts[address]
        host, _, port = address.rpartition(":")
        for name, service in PRODUCTION_HOSTS.items():
            if host == name or address == name:
                return service
        if host in ("127.0.0.1", "localhost", "[::1]", "::1") and port in self.ports:
            return self.ports[port]
        return "other"

    def delay(self, service: str) -> None:
        seconds = self.delays_s.get(service, 0.0)
        if seconds > 0:
            time.sleep(seconds)


def _address(target: str) -> str:
    """`host:port` of a gRPC target or a URL (`dns:///h:p`, `http://h:p/...`, `h:p`)."""
    target = target.strip()
    if "://" in target:
        scheme, _, rest = target.partition("://")
        if scheme in ("http", "https"):
            parts = urlsplit(target)
            port = parts.port or (443 if scheme == "https" else 80)
            return f"{parts.hostname}:{port}"
        target = rest.lstrip("/")
    elif target.startswith("dns:"):
        target = target[4:]
    target = target.split("/", 1)[0]
    return target if ":" in target else f"{target}:443" if target else ""


class InjectedFault(grpc.RpcError, grpc.Call, grpc.Future):  # type: ignore[misc]
    """A call failed as the service would fail it, shaped like grpc's own finished failed
    call (a result that raises, a stream whose first item raises): google-api-core maps
    it by its code (UNAVAILABLE to ServiceUnavailable, ABORTED to Aborted ...)."""

    def __init__(self, code: grpc.StatusCode) -> None:
        super().__init__(f"injected {code.name}")
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return f"injected {self._code.name}"

    def initial_metadata(self) -> tuple[()]:
        return ()

    def trailing_metadata(self) -> tuple[()]:
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> None:
        return None

    def cancel(self) -> bool:
        return False

    def cancelled(self) -> bool:
        return False

    def running(self) -> bool:
        return False

    def done(self) -> bool:
        return True

    def result(self, timeout: float | None = None) -> Any:
        raise self

    def exception(self, timeout: float | None = None) -> BaseException:
        return self

    def traceback(self, timeout: float | None = None) -> None:
        return None

    def add_callback(self, callback: Any) -> bool:
        return False

    def add_done_callback(self, fn: Callable[[Any], None]) -> None:
        fn(self)

    def __iter__(self) -> InjectedFault:
        return self

    def __next__(self) -> Any:
        raise self


class Faults:
    """Faults pending per `service/method` (`service/*`: any method), thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, list[grpc.StatusCode]] = {}
        self._injected: Counter[str] = Counter()

    def inject(self, service: str, method: str, code: str, count: int) -> None:
        status = grpc.StatusCode[code]  # a KeyError for a code gRPC does not have
        with self._lock:
            self._pending.setdefault(f"{service}/{method}", []).extend([status] * count)

    def take(self, service: str, method: str) -> grpc.StatusCode | None:
        with self._lock:
            for key in (f"{service}/{method}", f"{service}/*"):
                queued = self._pending.get(key)
                if queued:
                    self._injected[f"{service}/{method}"] += 1
                    return queued.pop(0)
        return None

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self._injected.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            pending = {key: len(codes) for key, codes in self._pending.items() if codes}
            return {"pending": pending, "injected": dict(self._injected)}


ROUND_TRIPS = RoundTrips()
FAULTS = Faults()
_CONFIG = _Config()
_ORIGINAL: dict[str, Any] = {}
_INSTALL_LOCK = threading.Lock()


def snapshot() -> dict[str, Any]:
    return ROUND_TRIPS.snapshot()


def reset() -> None:
    ROUND_TRIPS.reset()


# -- gRPC -------------------------------------------------------------------------------------


def _method(full_name: Any) -> str:
    name = full_name.decode() if isinstance(full_name, bytes) else str(full_name)
    return name.rsplit("/", 1)[-1] or name


class _Counting(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc]
    grpc.StreamUnaryClientInterceptor,  # type: ignore[misc]
    grpc.StreamStreamClientInterceptor,  # type: ignore[misc]
):
    """Counts (and delays) each call on one channel: one call, one round trip."""

    def __init__(self, service: str, channel: Any) -> None:
        self.service = service
        self.channel = channel  # the bare channel, for what a fault must do on the server

    def _before(self, details: Any) -> InjectedFault | None:
        """Count and delay the call; a fault to answer instead of sending it, if one is due."""
        method = _method(details.method)
        ROUND_TRIPS.record(self.service, method)
        _CONFIG.delay(self.service)
        fault = FAULTS.take(self.service, method)
        return None if fault is None else InjectedFault(fault)

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        fault = self._before(details)
        if fault is None:
            return continuation(details, request)
        if fault.code() is grpc.StatusCode.ABORTED:
            _end_transaction(self.channel, details, request)
        return fault

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return self._before(details) or continuation(details, request)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return self._before(details) or continuation(details, requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return self._before(details) or continuation(details, requests)


def _end_transaction(channel: Any, details: Any, request: Any) -> None:
    """Firestore ends a transaction whose commit it aborts; an injected abort must too, or
    the emulator holds the transaction's locks until they time out."""
    transaction = getattr(request, "transaction", b"")
    if not transaction or not str(details.method).endswith("/Commit"):
        return
    from google.cloud.firestore_v1.types import RollbackRequest

    method = str(details.method).removesuffix("/Commit") + "/Rollback"
    rollback = channel.unary_unary(method, request_serializer=RollbackRequest.serialize)
    rollback(
        RollbackRequest(database=request.database, transaction=transaction),
        metadata=details.metadata,
        timeout=10,
    )


def _wrap_channel(factory: Callable[..., Any]) -> Callable[..., Any]:
    def create(target: str, *args: Any, **kwargs: Any) -> Any:
        channel = factory(target, *args, **kwargs)
        return grpc.intercept_channel(channel, _Counting(_CONFIG.service(str(target)), channel))

    create.__wrapped__ = factory  # type: ignore[attr-defined]
    return create


# -- HTTP (firebase-admin, google-auth) ---------------------------------------------------------


def _wrap_send(send: Callable[..., Any]) -> Callable[..., Any]:
    def counted_send(self: requests.Session, request: Any, **kwargs: Any) -> Any:
        service = _CONFIG.service(str(getattr(request, "url", "")))
        if service == "auth":
            path = urlsplit(str(request.url)).path
            ROUND_TRIPS.record(service, path.rsplit("/", 1)[-1] or path)
            _CONFIG.delay(service)
        return send(self, request, **kwargs)

    counted_send.__wrapped__ = send  # type: ignore[attr-defined]
    return counted_send


def install(environ: Mapping[str, str] | None = None) -> None:
    """Count (and delay) from now on: channels created after this call, every Session.

    Reads the emulator addresses and delays from `environ` (default os.environ); a
    second call only re-reads them. Create the clients after installing."""
    global _CONFIG
    with _INSTALL_LOCK:
        _CONFIG = _Config.from_environ(os.environ if environ is None else environ)
        if _ORIGINAL:
            return
        _ORIGINAL["insecure_channel"] = grpc.insecure_channel
        _ORIGINAL["secure_channel"] = grpc.secure_channel
        _ORIGINAL["send"] = requests.Session.send
        grpc.insecure_channel = _wrap_channel(grpc.insecure_channel)
        grpc.secure_channel = _wrap_channel(grpc.secure_channel)
        requests.Session.send = _wrap_send(requests.Session.send)  # type: ignore[method-assign]


def uninstall() -> None:
    """Undo install() (channels created meanwhile keep counting)."""
    global _CONFIG
    with _INSTALL_LOCK:
        if not _ORIGINAL:
            return
        grpc.insecure_channel = _ORIGINAL.pop("insecure_channel")
        grpc.secure_channel = _ORIGINAL.pop("secure_channel")
        requests.Session.send = _ORIGINAL.pop("send")  # type: ignore[method-assign]
        _CONFIG = _Config()


# -- memory of one request ----------------------------------------------------------------------


def _status_kib(field_name: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reset_peak_rss() -> bool:
    """Linux resets VmHWM (peak RSS) to the current RSS on `5` in clear_refs."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class MemoryProbe:
    """WSGI middleware: a request sent with `X-Trivsel-Bench-Memory: 1` is traced with
    tracemalloc from its start until its body is sent (so a streamed body counts);
    GET /_bench/memory shows the result."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.last: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        # One measured request at a time; a second one meanwhile is served unmeasured.
        if environ.get(MEMORY_HEADER) != "1" or not self._lock.acquire(blocking=False):
            return self.app(environ, start_response)
        try:
            rss_before = _status_kib("VmRSS")
            hwm_reset = _reset_peak_rss()
            tracemalloc.start()
            body = self.app(environ, start_response)
        except BaseException:
            if tracemalloc.is_tracing():
                tracemalloc.stop()
            self._lock.release()
            raise
        path = str(environ.get("PATH_INFO", ""))
        return _Traced(self, body, path, rss_before, hwm_reset)

    def finish(self, path: str, size: int, rss_before: int | None, hwm_reset: bool) -> None:
        try:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss_peak = _status_kib("VmHWM") if hwm_reset else None
            self.last = {
                "path": path,
                "response_bytes": size,
                "tracemalloc_peak_bytes": peak,
                "rss_before_bytes": None if rss_before is None else rss_before * 1024,
                "rss_peak_bytes": None if rss_peak is None else rss_peak * 1024,
            }
        finally:
            self._lock.release()


class _Traced:
    def __init__(
        self,
        probe: MemoryProbe,
        body: Iterable[bytes],
        path: str,
        rss_before: int | None,
        hwm_reset: bool,
    ) -> None:
        self._probe, self._body, self._path = probe, body, path
        self._rss_before, self._hwm_reset = rss_before, hwm_reset
        self._size = 0
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self._size += len(chunk)
            yield chunk
        # Measured up to the last byte of the body, not beyond: the development server
        # then drains the request with a 10 MB read buffer, which is no cost of ours.
        self._finish()

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._finish()

    def _finish(self) -> None:
        if not self._done:
            self._done = True
            self._probe.finish(self._path, self._size, self._rss_before, self._hwm_reset)


# -- what the host mounts -----------------------------------------------------------------------


def blueprint(probe: MemoryProbe | None = None) -> Any:
    """/_bench/: the counters and the last measured request's memory."""
    import flask

    bench = flask.Blueprint("bench", __name__, url_prefix="/_bench")

    @bench.get("/roundtrips")
    def roundtrips() -> dict[str, Any]:
        return snapshot()

    @bench.post("/roundtrips/reset")
    def reset_roundtrips() -> dict[str, Any]:
        counted = snapshot()
        reset()
        return counted

    @bench.get("/faults")
    def faults() -> dict[str, Any]:
        return FAULTS.snapshot()

    @bench.post("/faults")
    def inject_fault() -> Any:
        wanted = flask.request.get_json(force=True)
        try:
            FAULTS.inject(
                str(wanted["service"]),
                str(wanted["method"]),
                str(wanted["code"]),
                int(wanted["count"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            return flask.jsonify({"error": f"bad fault: {exc!r}"}), 400
        return FAULTS.snapshot()

    @bench.delete("/faults")
    def clear_faults() -> dict[str, Any]:
        FAULTS.clear()
        return FAULTS.snapshot()

    @bench.get("/memory")
    def memory() -> Any:
        if probe is None or probe.last is None:
            return flask.jsonify({"measured": False}), 404
        return {"measured": True, **probe.last}

    return bench


def baseline_mounts() -> dict[str, Any]:
    """The bare functions of bench/baseline_function.py, each built by functions-framework
    as the host builds every function, at /<target>."""
    import functions_framework

    from bench.baseline_function import TARGETS

    return {
        f"/{target}": functions_framework.create_app(  # type: ignore[no-untyped-call]
            target=target, source=str(BASELINE_SOURCE), signature_type="http"
        )
        for target in TARGETS
    }
