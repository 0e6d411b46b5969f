"""MicroVmsLocal: the local Lambda MicroVMs plane, in-process (tests, the demo) or behind `microvms-local`."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from typing import Any

from ..loopback import LoopbackHttpServer
from .endpoint import MicroVmEndpoint
from .images import ImageSpec
from .models import MicroVm, MicroVmPool, Settings
from .responses import ServiceHandler
from .tokens import TokenIssuer
from .usage import microvm_view
from .wire import image_arn, local_region

__all__ = ["ENDPOINT_VARIABLE", "MicroVmsLocal"]

# botocore's service-specific endpoint variable for the lambda-microvms client.
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_LAMBDA_MICROVMS"


class MicroVmsLocal(LoopbackHttpServer):
    """A local Lambda MicroVMs plane on 127.0.0.1: one process per MicroVM, each behind its own endpoint."""

    thread_name = "microvms-local"

    def __init__(
        self,
        images: Iterable[ImageSpec] = (),
        *,
        port: int = 0,
        settings: Settings | None = None,
        base_env: Mapping[str, str] | None = None,
        **setting_overrides: Any,
    ) -> None:
        super().__init__(port)
        self.region = local_region()
        self.settings = replace(settings or Settings(), **setting_overrides)
        if self.settings.time_scale <= 0 or self.settings.token_time_scale <= 0:
            raise ValueError("time scales must be positive")
        self._images: dict[str, ImageSpec] = {}
        for image in images:
            self.add_image(image)
        self._base_env = dict(base_env) if base_env is not None else None
        self.tokens = TokenIssuer(self.settings.token_time_scale)
        self._pool: MicroVmPool | None = None
        self.endpoint_url = ""

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler, bound to this plane."""
        return ServiceHandler.bound(self)

    def start(self) -> MicroVmsLocal:
        """Serve on the loopback port (ephemeral by default) and return self."""
        # MicroVMs get this process's environment as it is now (the image's variables on top).
        base = self._base_env if self._base_env is not None else dict(os.environ)
        self._pool = MicroVmPool(self.settings, base, self._open_endpoint)
        try:
            host, port = self.serve()
        except OSError:
            self._pool.close()
            raise
        self._pool.prepare(list(self._images.values()))
        self.endpoint_url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        """Stop serving, then terminate every MicroVM (suspended ones included) and stop the zygotes."""
        super().stop()
        if self._pool is not None:
            self._pool.close()

    def ready(self, timeout: float = 60.0) -> MicroVmsLocal:
        """Wait until every image is built (its zygote imported, in fork mode): a RunMicrovm then times a
        MicroVM's start, not its image's build. TimeoutError after `timeout` seconds."""
        if not self.pool.images_built(timeout):
            raise TimeoutError(f"the images were not built within {timeout} s")
        return self

    def _open_endpoint(self, vm: MicroVm) -> str:
        endpoint = MicroVmEndpoint(vm, self.pool, self.tokens)
        address = endpoint.open()
        vm.closers.append(endpoint.stop)
        return address

    @property
    def pool(self) -> MicroVmPool:
        """The MicroVMs (after start())."""
        if self._pool is None:
            raise RuntimeError("the MicroVMs plane is not started")
        return self._pool

    def env(self) -> dict[str, str]:
        """The variable that points boto3 (and the AWS CLI) at this plane."""
        return {ENDPOINT_VARIABLE: self.endpoint_url}

    # -- images ----------------------------------------------------------------------------------

    def add_image(self, image: ImageSpec) -> None:
        """Serve one more image (by its ARN)."""
        self._images[image.arn] = image

    def image_arn(self, name: str) -> str:
        """The ARN an image of this name has here (its region is the plane's)."""
        return image_arn(name, self.region)

    def image(self, arn: str) -> ImageSpec | None:
        """The image an ARN names."""
        return self._images.get(arn)

    def image_views(self) -> list[dict[str, Any]]:
        """The images as /_local/images lists them."""
        return [
            {
                "name": image.name,
                "arn": image.arn,
                "version": image.version,
                "folder": str(image.folder),
                "module": image.module,
                "memory_mib": image.memory_mib,
                "hooks": None
                if image.hooks is None
                else {"port": image.hooks.port, "timeouts": dict(image.hooks.timeouts)},
                "source": image.source,
            }
            for image in self._images.values()
        ]

    # -- views -----------------------------------------------------------------------------------

    def microvms(self) -> list[dict[str, Any]]:
        """Every MicroVM as /_local/microvms lists it."""
        return [microvm_view(vm) for vm in self.pool.microvms()]

    def microvm(self, microvm_id: str) -> dict[str, Any]:
        """One MicroVM as /_local/microvms lists it."""
        vm = self.pool.find(microvm_id)
        if vm is None:
            raise LookupError(f"no MicroVM {microvm_id}")
        return microvm_view(vm)

    def wait_state(self, microvm_id: str, states: Iterable[str], timeout: float) -> dict[str, Any]:
        """Poll until the MicroVM is in one of the states; return its view."""
        wanted = set(states)
        deadline = time.monotonic() + timeout
        while True:
            view = self.microvm(microvm_id)
            if view["state"] in wanted:
                return view
            if time.monotonic() > deadline:
                raise TimeoutError(f"MicroVM {microvm_id} still {view['state']} after {timeout} s")
            time.sleep(0.01)
