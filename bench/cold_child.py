"""Run in a fresh interpreter by bench/coldstart.py: argv[1] names a function and its
first request. Only the standard library is imported before the clock starts."""

import time

started = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402


def main() -> None:
    spec = json.loads(sys.argv[1])
    import functions_framework

    app = functions_framework.create_app(  # type: ignore[no-untyped-call]
        target=spec["target"], source=spec["source"], signature_type="http"
    )
    built = time.perf_counter()
    client = app.test_client()
    reply = client.open(
        spec["path"], method=spec["method"], headers=spec["headers"], json=spec["json"]
    )
    reply.get_data()
    done = time.perf_counter()
    print(
        json.dumps(
            {"seconds": done - started, "import_s": built - started, "status": reply.status_code}
        ),
        flush=True,
    )


main()
