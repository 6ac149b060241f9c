"""Serve every function in infra/deployment.toml from one local process.

Each function is mounted at /<name>/ as functions-framework builds it for
production (`create_app`), so locally it parses requests and CloudEvents the
way Cloud Functions does. Pub/Sub push subscriptions point at these paths.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

import flask
import functions_framework
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import run_simple

from infra.deployment import ROOT, SIGNATURE, load


def build_app() -> Any:
    mounts: dict[str, Any] = {}
    for fn in load().functions:
        mounts[f"/{fn.name}"] = functions_framework.create_app(  # type: ignore[no-untyped-call]
            target=fn.name,
            source=str(ROOT / fn.source / "main.py"),
            signature_type=SIGNATURE[fn.trigger],
        )
    root = flask.Flask("functions_host")

    @root.get("/healthz")
    def healthz() -> dict[str, object]:
        return {"ok": True, "functions": sorted(mounts)}

    return DispatcherMiddleware(root, mounts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    run_simple("127.0.0.1", args.port, build_app(), threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
