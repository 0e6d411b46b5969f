"""The embedded AWS: moto's server in-process on a loopback port, with the patches that make it behave as
the services do where the local cloud relies on it, and stacks deployed from CloudFormation/SAM templates."""

from .server import DEFAULT_LOCAL_REGION, EmbeddedAws, dynamodb_item

__all__ = ["DEFAULT_LOCAL_REGION", "EmbeddedAws", "dynamodb_item"]
