"""The MicroVMs plane's wire handlers: RunMicrovm, GetMicrovm, ListMicrovms, SuspendMicrovm, ResumeMicrovm,
TerminateMicrovm and CreateMicrovmAuthToken (the /_local/ views are developer_api's).

Operations are routed by method and path as botocore's model has them (wire). A MicroVM identifier is its
id or an ARN ending in it (URL-decoded: botocore percent-encodes an ARN in the path). An image identifier
must be an image's ARN (the developer guide's launching page: "must be the ARN of the MicroVM image"); a
bare name is a ValidationException that gives the ARN to use.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..loopback import LoopbackHandler
from . import developer_api, wire
from .images import ImageSpec
from .inputs import parse_list_query, parse_run_request, parse_token_request
from .models import MicroVm, Plane
from .wire import AUTH_HEADER, MICROVM, MICROVM_IMAGE, ServiceError, timestamp

__all__ = ["ServiceHandler", "microvm_document"]

# The largest request body read (RunMicrovm's members are a few KB at most).
MAX_BODY_BYTES = 1_000_000


def microvm_document(vm: MicroVm) -> dict[str, Any]:
    """RunMicrovm's and GetMicrovm's answer (the model's RunMicrovmResponse members)."""
    request = vm.request
    doc: dict[str, Any] = {
        "microvmId": vm.id,
        "state": vm.state,
        "endpoint": vm.endpoint,
        "imageArn": vm.image.arn,
        "imageVersion": vm.image.version,
        "maximumDurationInSeconds": request.max_duration_seconds,
        "startedAt": timestamp(vm.started_at),
        **request.echoed,
    }
    if request.idle_policy is not None:
        doc["idlePolicy"] = request.idle_policy.wire()
    if vm.state_reason is not None:
        doc["stateReason"] = vm.state_reason
    if vm.terminated_at is not None:
        doc["terminatedAt"] = timestamp(vm.terminated_at)
    return doc


class ServiceHandler(LoopbackHandler):
    """The seven operations and the /_local/ views of one plane (`ServiceHandler.bound(plane)`)."""

    owner: Plane

    def do_GET(self) -> None:
        """GetMicrovm, ListMicrovms, the /_local/ views."""
        self._route("GET")

    def do_POST(self) -> None:
        """RunMicrovm, SuspendMicrovm, ResumeMicrovm, CreateMicrovmAuthToken."""
        self._route("POST")

    def do_DELETE(self) -> None:
        """TerminateMicrovm."""
        self._route("DELETE")

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        request_id = str(uuid.uuid4())
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self.close_connection = True
                raise wire.validation(f"the request body is larger than {MAX_BODY_BYTES} bytes")
            raw = self.rfile.read(length) if length else b""
            if url.path.startswith("/_local/") and method == "GET":
                self._json(200, developer_api.view(self.owner, url.path), request_id)
                return
            doc = json.loads(raw) if raw else {}
            if not isinstance(doc, dict):
                raise wire.validation("the request body must be a JSON object")
            answer = self._operation(method, url.path, url.query, doc)
            self._json(200, answer, request_id)
        except ServiceError as err:
            self._error(err, request_id)
        except ValueError as exc:
            self._error(wire.validation(f"the request body is not JSON: {exc}"), request_id)

    def _operation(self, method: str, path: str, query: str, doc: dict[str, Any]) -> dict[str, Any] | None:
        plane = self.owner
        if wire.COLLECTION.match(path):
            if method == "POST":
                return self._run(doc)
            if method == "GET":
                return self._list(query)
        elif (match := wire.ITEM.match(path)) is not None:
            vm = self._microvm(match["id"])
            if method == "GET":
                return microvm_document(vm)
            if method == "DELETE":
                plane.pool.terminate(vm)
                return None
        elif (match := wire.ACTION.match(path)) is not None and method == "POST":
            vm = self._microvm(match["id"])
            action = match["action"]
            if action == "suspend":
                plane.pool.suspend(vm)
                return None
            if action == "resume":
                plane.pool.resume(vm)
                return None
            return self._token(vm, doc)
        raise ServiceError("UnknownOperationException", 404, f"no operation at {method} {path}")

    # -- operations ----------------------------------------------------------------------------------

    def _image(self, identifier: str, version: str | None) -> ImageSpec:
        plane = self.owner
        if not identifier.startswith("arn:"):
            raise wire.validation(
                f"imageIdentifier must be the ARN of the MicroVM image, e.g. "
                f"{wire.image_arn(identifier, plane.region)}, got {identifier!r}"
            )
        image = plane.image(identifier)
        if image is None:
            raise wire.not_found(f"MicroVM image {identifier} not found", identifier, MICROVM_IMAGE)
        if version is not None and version != image.version:
            raise wire.not_found(
                f"version {version} of MicroVM image {identifier} not found (it has {image.version})",
                f"{identifier}:{version}",
                MICROVM_IMAGE,
            )
        return image

    def _run(self, doc: dict[str, Any]) -> dict[str, Any]:
        request = parse_run_request(doc)
        image = self._image(request.image_identifier, request.image_version)
        return microvm_document(self.owner.pool.run(image, request))

    def _list(self, query: str) -> dict[str, Any]:
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        limit, offset, image_id, version = parse_list_query(params)
        found = self.owner.pool.microvms()
        if image_id is not None:
            arn = self._image(image_id, None).arn
            found = [vm for vm in found if vm.image.arn == arn]
        if version is not None:
            found = [vm for vm in found if vm.image.version == version]
        page = found[offset : offset + limit]
        answer: dict[str, Any] = {
            "items": [
                {
                    "microvmId": vm.id,
                    "state": vm.state,
                    "imageArn": vm.image.arn,
                    "imageVersion": vm.image.version,
                    "startedAt": timestamp(vm.started_at),
                }
                for vm in page
            ]
        }
        if offset + limit < len(found):
            answer["nextToken"] = f"page-{offset + limit}"
        return answer

    def _microvm(self, raw: str) -> MicroVm:
        identifier = unquote(raw)
        if not 1 <= len(identifier) <= 256:
            raise wire.validation("microvmIdentifier must be 1 to 256 characters")
        vm = self.owner.pool.find(wire.microvm_id_of(identifier))
        if vm is None:
            raise wire.not_found(f"MicroVM {identifier} not found", identifier, MICROVM)
        return vm

    def _token(self, vm: MicroVm, doc: Mapping[str, Any]) -> dict[str, Any]:
        minutes, ports = parse_token_request(doc)
        if vm.state in ("TERMINATING", "TERMINATED"):
            raise wire.conflict(f"MicroVM {vm.id} is {vm.state}: no token for it", vm.id)
        return {"authToken": {AUTH_HEADER: self.owner.tokens.mint(vm.id, minutes, ports)}}

    # -- answers -------------------------------------------------------------------------------------

    def _json(self, status: int, doc: Any, request_id: str) -> None:
        # Suspend, Resume and Terminate answer 200 with an empty body (the API reference).
        body = json.dumps(doc).encode() if doc is not None else b""
        headers = {"x-amzn-RequestId": request_id, **({"Content-Type": "application/json"} if body else {})}
        self.answer(status, body, headers)

    def _error(self, err: ServiceError, request_id: str) -> None:
        self.answer(err.status, err.body(), err.headers(request_id))
