"""Step 5's OpenAPI document, from its routes: `step5-openapi` writes it, `--check` compares.

The committed 5_api_gateway_proxy/openapi.json is what the template test, the local API Gateway and the
schemathesis run read: the routes are declared once, on the handlers.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from local_cloud.functions import load_module

from .steps import ROOT

STEP5 = ROOT / "5_api_gateway_proxy"
DOCUMENT = STEP5 / "openapi.json"
TITLE = "AgentCore runtime proxy (step 5)"
VERSION = "1.0"


def document() -> dict[str, Any]:
    """Return the OpenAPI document Powertools derives from lambda_proxy's routes."""
    proxy = load_module(STEP5 / "lambda_proxy.py", roots=(ROOT,))
    schema = proxy.app.get_openapi_schema(
        title=TITLE,
        version=VERSION,
        description=(proxy.__doc__ or "").strip(),
        servers=[
            {
                "url": "https://{api}.execute-api.{region}.amazonaws.com/{stage}",
                "variables": {
                    "api": {"default": "abc123defg"},
                    "region": {"default": "us-east-1"},
                    "stage": {"default": "prod"},
                },
            }
        ],
        security_schemes={"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}},
    )
    return dict(schema.model_dump(mode="json", by_alias=True, exclude_none=True))


def rendered() -> str:
    """The document as committed: indented JSON, keys in order, a final newline."""
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the document, or with --check exit 1 when the committed one differs from the routes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    text = rendered()
    if args.check:
        if DOCUMENT.read_text(encoding="utf-8") != text:
            print(f"{DOCUMENT.relative_to(ROOT)} is stale: run .venv/bin/step5-openapi", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
