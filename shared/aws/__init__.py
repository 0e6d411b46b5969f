"""The AWS base every AWS-using slice stands on: boto3 clients built once, one error translation,
DynamoDB attribute values. Features import their own writers and stores (`shared.sinks`, `shared.jobs`)."""

from .clients import client, new_client, region, reset_clients

__all__ = ["client", "new_client", "region", "reset_clients"]
