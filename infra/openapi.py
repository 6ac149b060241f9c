"""The OpenAPI document of every public HTTP function at once: `make openapi`.

Each function also serves its own document at /openapi.json (shared/http); this
joins them, each function's paths under its name, as the frontend sees them.
"""

from __future__ import annotations

import json
from typing import Any

from infra.deployment import http_apis
from shared.http import openapi_document


def combined_document() -> dict[str, Any]:
    return openapi_document(http_apis(), title="Trivsel", prefixed=True)


def main() -> None:
    print(json.dumps(combined_document(), indent=2))


if __name__ == "__main__":
    main()
