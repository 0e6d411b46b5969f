"""One way to serve a step, whatever the deployment type.

The images' CMD (`opentelemetry-instrument python agent.py`) and direct code deploy's entry point
(`opentelemetry-instrument agent.py`) both run a step's `__main__`, which calls `serve(app)`: the same
uvicorn choices either way (measured in the top README's Performance section and `make bench`).
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["PORT", "SERVED_LOG_LEVEL", "UVICORN_ARGS", "UVICORN_OPTIONS", "serve"]

from .endpoint import configure_logging

# The runtime contract's port; PORT overrides it for local runs only.
PORT = 8080
# The SDK logs one INFO line per invocation: served steps log warnings and errors unless LOG_LEVEL says.
SERVED_LOG_LEVEL = "WARNING"
# httptools parses HTTP faster than h11; no access log; uvloop left out (+14 MB per image).
UVICORN_OPTIONS: dict[str, Any] = {
    "loop": "asyncio",
    "http": "httptools",
    "access_log": False,
    "log_level": "warning",
}
# The same choices as uvicorn command-line arguments (bench serves the bare app with them).
UVICORN_ARGS = ("--loop", "asyncio", "--http", "httptools", "--no-access-log", "--log-level", "warning")


def serve(app: Any) -> None:
    """Serve a BedrockAgentCoreApp on port 8080 with our uvicorn options and LOG_LEVEL default.

    The host is left to the SDK's `app.run()`: 0.0.0.0 in a container (`/.dockerenv` or
    `DOCKER_CONTAINER`), else 127.0.0.1, so a local `python agent.py` stays on loopback.
    """
    configure_logging(default=SERVED_LOG_LEVEL)
    app.run(port=int(os.environ.get("PORT", PORT)), **UVICORN_OPTIONS)
