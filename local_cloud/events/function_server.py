"""One Lambda execution environment: a process that imports a handler once (the init phase) and runs one
invocation at a time, on the Runtime Interface Emulator's path (`POST /2015-03-31/functions/function/
invocations`). `FunctionEnvironment` starts it; `python -m local_cloud.events.function_server` runs it.

An exception escaping the handler answers Lambda's Python runtime document (`errorMessage`, `errorType`:
the exception's class name, `requestId`, `stackTrace`) with `X-Amz-Function-Error: Unhandled`.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import traceback
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any

from shared.core.lambda_context import LambdaContext

from ..functions import Handler, load_handler
from ..loopback import LoopbackHttpServer
from .lambda_wire import FUNCTION_ERROR_HEADER, INVOCATIONS_PATH, REQUEST_ID_HEADER

__all__ = ["FunctionServer", "main"]


class FunctionServer(LoopbackHttpServer):
    """Serves one handler's invocations, one at a time, as one execution environment does."""

    thread_name = "lambda-environment"

    def __init__(self, handler: Handler, function_name: str, region: str, timeout: float, port: int) -> None:
        super().__init__(port)
        self.handler = handler
        self.function_name = function_name
        self.region = region
        self.timeout = timeout
        self._one_at_a_time = threading.Lock()

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler, bound to this environment."""
        server = self

        class RequestHandler(_RequestHandler):
            owner = server

        return RequestHandler

    def invoke(self, body: bytes, request_id: str) -> tuple[bytes, bool]:
        """Run the handler on one event; (the payload, whether the handler raised)."""
        with self._one_at_a_time:
            context = LambdaContext.for_invocation(
                self.function_name,
                self.region,
                self.timeout,
                aws_request_id=request_id,
                memory_limit_in_mb=os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            )
            try:
                event = json.loads(body or b"{}")
                result = self.handler(event, context)
                return json.dumps(result).encode(), False
            except Exception as exc:  # the runtime reports every exception as the invocation's error
                traceback.print_exc()
                error = {
                    "errorMessage": str(exc),
                    "errorType": type(exc).__name__,
                    "requestId": request_id,
                    "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)),
                }
                return json.dumps(error).encode(), True


class _RequestHandler(BaseHTTPRequestHandler):
    owner: FunctionServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the handler's own output is the environment's log."""

    def do_GET(self) -> None:
        """Ready once the handler is imported (the init phase ran before serving)."""
        self._answer(200, b'{"ready": true}', {})

    def do_POST(self) -> None:
        """One invocation."""
        if self.path.split("?")[0] != INVOCATIONS_PATH:
            self._answer(404, b'{"message": "not found"}', {})
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request_id = self.headers.get(REQUEST_ID_HEADER) or str(uuid.uuid4())
        payload, errored = self.owner.invoke(body, request_id)
        self._answer(200, payload, {FUNCTION_ERROR_HEADER: "Unhandled"} if errored else {})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def main(argv: list[str] | None = None) -> int:
    """Import the handler (the init phase), then serve its invocations until terminated."""
    parser = argparse.ArgumentParser(prog="python -m local_cloud.events.function_server")
    parser.add_argument("--handler", required=True, metavar="FILE.py:FUNCTION")
    parser.add_argument("--function-name", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    server = FunctionServer(
        load_handler(args.handler), args.function_name, args.region, args.timeout, args.port
    ).start()
    print(f"execution environment of {args.function_name} ready on port {args.port}", flush=True)
    server.serve_until_interrupted()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
