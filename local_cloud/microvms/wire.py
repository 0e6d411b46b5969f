"""The lambda-microvms wire format (botocore's service model, 2025-09-09) and its errors.

Paths follow botocore/data/lambda-microvms/2025-09-09/service-2.json: RunMicrovm `POST /2025-09-09/microvms`,
ListMicrovms `GET` there (query `maxResults` 1-50, `nextToken`, `imageIdentifier`, `imageVersion`),
GetMicrovm `GET .../microvms/{id}`, TerminateMicrovm `DELETE` there, SuspendMicrovm, ResumeMicrovm and
CreateMicrovmAuthToken `POST .../microvms/{id}/{suspend,resume,auth-token}`; every answer is 200 with JSON
(an empty body for Suspend, Resume and Terminate). Timestamps are epoch seconds (the model's Timestamp
has no timestampFormat, so rest-json's default applies). Errors are rest-json: the code in
`x-amzn-errortype`, `{"message"}` in the body plus the members the model gives the shape
(ResourceNotFoundException and ConflictException: `resourceId`, `resourceType`; ValidationException:
the message only).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

# The local runtimes' account and region (moto's account; AWS_REGION, else us-east-1) are the images' too.
from ..agentcore.wire import LOCAL_ACCOUNT, local_region

__all__ = [
    "AUTH_HEADER",
    "PORT_HEADER",
    "ServiceError",
    "conflict",
    "image_arn",
    "local_region",
    "not_found",
    "validation",
]

PREFIX = "/2025-09-09/microvms"
COLLECTION = re.compile(r"^/2025-09-09/microvms/?$")
ITEM = re.compile(r"^/2025-09-09/microvms/(?P<id>[^/]+)$")
ACTION = re.compile(r"^/2025-09-09/microvms/(?P<id>[^/]+)/(?P<action>suspend|resume|auth-token)$")
# The headers of a MicroVM endpoint (the networking page of the developer guide): the token, the port.
AUTH_HEADER = "X-aws-proxy-auth"
PORT_HEADER = "X-aws-proxy-port"
# "Lambda removes X-aws-proxy-* headers before forwarding the request to your application."
PROXY_HEADER_PREFIX = "x-aws-proxy-"
# The port the endpoint forwards to without X-aws-proxy-port.
DEFAULT_APP_PORT = 8080
# Not in the model (unverified): the resourceType values of the errors that carry one.
MICROVM, MICROVM_IMAGE = "MICROVM", "MICROVM_IMAGE"


def image_arn(name: str, region: str | None = None, account: str = LOCAL_ACCOUNT) -> str:
    """The ARN of a MicroVM image (the model's MicrovmImageArn pattern)."""
    return f"arn:aws:lambda:{region or local_region()}:{account}:microvm-image:{name}"


def microvm_arn(microvm_id: str, region: str, account: str = LOCAL_ACCOUNT) -> str:
    """An ARN for a MicroVM (the identifier may be one; its form is not documented: unverified)."""
    return f"arn:aws:lambda:{region}:{account}:microvm:{microvm_id}"


def microvm_id_of(identifier: str) -> str:
    """The MicroVM id an identifier names: the id itself, or the last part of an ARN."""
    return identifier.rsplit(":", 1)[-1].rsplit("/", 1)[-1] if identifier.startswith("arn:") else identifier


def timestamp(at: float | None) -> float | None:
    """A Timestamp on the wire: epoch seconds (rest-json's default), to the millisecond."""
    return None if at is None else round(at, 3)


@dataclass(frozen=True)
class ServiceError(Exception):
    """An error answered the way the service's model shapes it."""

    code: str
    status: int
    message: str
    resource_id: str | None = None
    resource_type: str | None = None

    def body(self) -> bytes:
        """`{"message"}`, plus resourceId and resourceType where the shape has them."""
        doc: dict[str, Any] = {"message": self.message}
        if self.resource_id is not None:
            doc["resourceId"] = self.resource_id
        if self.resource_type is not None:
            doc["resourceType"] = self.resource_type
        return json.dumps(doc).encode()

    def headers(self, request_id: str | None = None) -> dict[str, str]:
        """The rest-json error headers botocore reads the code and request id from."""
        return {
            "x-amzn-errortype": self.code,
            "x-amzn-RequestId": request_id or str(uuid.uuid4()),
            "Content-Type": "application/json",
        }


def not_found(message: str, resource_id: str, resource_type: str) -> ServiceError:
    """ResourceNotFoundException (404), naming the resource."""
    return ServiceError("ResourceNotFoundException", 404, message, resource_id, resource_type)


def validation(message: str) -> ServiceError:
    """ValidationException (400): the message names the field, what is wrong and what is expected."""
    return ServiceError("ValidationException", 400, message)


def conflict(message: str, resource_id: str) -> ServiceError:
    """ConflictException (409): the MicroVM's state forbids the operation."""
    return ServiceError("ConflictException", 409, message, resource_id, MICROVM)
