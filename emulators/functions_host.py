"""Serve every function in infra/deployment.toml from one local process.

Each function is mounted at /<name>/ as functions-framework builds it for
production (`create_app`), so locally it parses requests and CloudEvents the
way Cloud Functions does. Pub/Sub push subscriptions point at these paths.

/docs/ is an interactive API reference: Swagger UI (npm package swagger-ui-dist,
served from emulators/node_modules by this process, no CDN) for the OpenAPI
document each public HTTP API function serves at /<name>/openapi.json.

Every function logs JSON lines in Cloud Logging's format to stdout, which the stack
keeps in .stack/<profile>/logs/functions.log (`python -m emulators logs --request ID`
shows one request's lines); /_metrics dumps the metrics kept in memory
(shared/observability/metrics.py), so tests can read exact values.

Only with TRIVSEL_ROUNDTRIPS=1 (the benchmark's own hosts, never the stack's) the host
counts its round trips, serves /_bench/ and the bench's baseline functions
(emulators/roundtrips.py).
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import flask
import functions_framework
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import run_simple

from infra.deployment import ROOT, SIGNATURE, Function, load
from shared.observability import logs, metrics

HERE = Path(__file__).resolve().parent
DOCS = HERE / "docs"
SWAGGER_UI = HERE / "node_modules" / "swagger-ui-dist"
# What /docs/assets/ serves, by file suffix (anything else is a 404); werkzeug adds
# "; charset=utf-8" to the text types.
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".map": "application/json",
}
# Everything from this origin; no inline script or style. `data:` images only: the
# icons in swagger-ui.css are data: URLs (a data: URL is no request to another origin).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
RESERVED = {"docs", "healthz", "_bench", "_metrics"}

log = logging.getLogger("functions_host")


def api_functions(functions: Sequence[Function]) -> list[Function]:
    """The functions that serve an OpenAPI document: public HTTP APIs."""
    return [fn for fn in functions if fn.trigger == "http" and fn.public and fn.api]


def docs_blueprint(functions: Sequence[Function]) -> flask.Blueprint:
    """/docs/: an index of the API functions, and /docs/<name>/: Swagger UI for one."""
    apis = {fn.name: fn for fn in api_functions(functions)}
    docs = flask.Blueprint("docs", __name__, url_prefix="/docs", template_folder=DOCS / "templates")
    if not (SWAGGER_UI / "swagger-ui-bundle.js").is_file():
        log.warning("%s is missing: run `npm ci --prefix emulators`", SWAGGER_UI)

    @docs.get("/")
    def index() -> str:
        return flask.render_template("index.html", functions=list(apis.values()))

    @docs.get("/<name>/")
    def reference(name: str) -> str:
        if name not in apis:
            raise NotFound(f"{name!r} is no public HTTP API function")
        return flask.render_template("reference.html", function=apis[name])

    @docs.get("/assets/<path:filename>")
    def asset(filename: str) -> flask.Response:
        return _send(DOCS / "static", filename)

    @docs.get("/assets/swagger-ui/<path:filename>")
    def swagger_ui(filename: str) -> flask.Response:
        return _send(SWAGGER_UI, filename)

    @docs.after_request
    def secure(response: flask.Response) -> flask.Response:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return docs


def _send(directory: Path, filename: str) -> flask.Response:
    content_type = CONTENT_TYPES.get(Path(filename).suffix)
    if content_type is None:
        raise NotFound()
    return flask.send_from_directory(directory, filename, mimetype=content_type)


def build_app() -> Any:
    bench = os.environ.get("TRIVSEL_ROUNDTRIPS") == "1"
    if bench:
        from emulators import roundtrips

        roundtrips.install()  # before any function creates its clients
    deployment = load()
    mounts: dict[str, Any] = {}
    for fn in deployment.functions:
        if fn.name in RESERVED:
            raise ValueError(f"{fn.name!r}: the functions host serves /{fn.name} itself")
        mounts[f"/{fn.name}"] = functions_framework.create_app(  # type: ignore[no-untyped-call]
            target=fn.name,
            source=str(ROOT / fn.source / "main.py"),
            signature_type=SIGNATURE[fn.trigger],
        )
    root = flask.Flask("functions_host", root_path=str(HERE), static_folder=None)
    root.register_blueprint(docs_blueprint(deployment.functions))

    @root.get("/healthz")
    def healthz() -> dict[str, object]:
        return {"ok": True, "functions": sorted(mounts)}

    @root.get("/_metrics")
    def metrics_dump() -> dict[str, object]:
        return {"metrics": metrics.snapshot()}

    if not bench:
        return DispatcherMiddleware(root, mounts)
    mounts.update(roundtrips.baseline_mounts())
    probe = roundtrips.MemoryProbe(DispatcherMiddleware(root, mounts))
    root.register_blueprint(roundtrips.blueprint(probe))
    return probe


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logs.install()
    # Each function writes its own request line (shared/observability); werkzeug's would
    # repeat it with the full URL, which for a remote-task link is the link's token.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    run_simple("127.0.0.1", args.port, build_app(), threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
