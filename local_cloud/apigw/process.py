"""The local API Gateway with its handler in a child process of its own, as a Lambda has its own
environment; `python -m local_cloud.apigw` runs it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import http
from ..children import ChildProcess
from ..functions import load_handler
from .gateway import DEFAULT_TIMEOUT, LocalApiGateway, openapi_routes

__all__ = ["ApiGatewayProcess", "main"]


class ApiGatewayProcess(ChildProcess):
    """The local API Gateway plus handler in a child process, with its own environment (like Lambda)."""

    name = "apigw"

    def __init__(
        self,
        handler_ref: str,
        openapi: Path,
        env: dict[str, str] | None = None,
        stage: str = "prod",
        allowed_origin: str = "*",
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        startup_timeout: float = 20.0,
        port: int | None = None,
        api_keys: Sequence[str] = (),
        jwt: bool = False,
        pythonpath: Sequence[str] = (),
    ) -> None:
        super().__init__(env, port, startup_timeout, pythonpath=pythonpath)
        self.handler_ref = handler_ref
        self.openapi = openapi
        self.url = f"http://127.0.0.1:{self.port}/{stage}"
        self._stage = stage
        self._allowed_origin = allowed_origin
        self._api_keys = [*([api_key] if api_key is not None else []), *api_keys]
        self._jwt = jwt
        self._timeout = timeout

    def command(self) -> list[str]:
        """python -m local_cloud.apigw with this front's settings."""
        cmd = [
            sys.executable, "-m", "local_cloud.apigw", "--handler", self.handler_ref,
            "--openapi", str(self.openapi), "--port", str(self.port), "--stage", self._stage,
            "--allowed-origin", self._allowed_origin, "--timeout", str(self._timeout),
        ]  # fmt: skip
        for key in self._api_keys:
            cmd += ["--api-key", key]
        if self._jwt:
            cmd.append("--jwt")
        return cmd

    def is_ready(self) -> bool:
        """An unknown resource answers 403 from the front itself, without calling the handler."""
        status, _, _ = http.call(f"{self.url}/", method="GET", timeout=1)
        return status == 403


def main(argv: list[str] | None = None) -> int:
    """Serve a handler behind the local API Gateway until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m local_cloud.apigw",
        description="A local API Gateway (REST, proxy) in front of a handler.",
    )
    parser.add_argument("--handler", required=True, metavar="FILE.py:FUNCTION")
    parser.add_argument("--openapi", required=True, type=Path, help="the API's OpenAPI document (its routes)")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--allowed-origin", default="*")
    parser.add_argument(
        "--api-key", action="append", default=[], help="an API key (repeat: each key is one caller)"
    )
    parser.add_argument(
        "--jwt", action="store_true", help="require a JWT (claims read, signature NOT checked: local only)"
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    args = parser.parse_args(argv)
    routes = openapi_routes(args.openapi)
    front = LocalApiGateway(
        load_handler(args.handler),
        routes,
        stage=args.stage,
        allowed_origin=args.allowed_origin,
        api_keys=args.api_key,
        jwt=args.jwt,
        timeout=args.timeout,
        port=args.port,
    )
    front.start()
    for method, resource in routes:
        print(f"local API Gateway: {method} {front.url}{resource}", flush=True)
    front.serve_until_interrupted()
    return 0
