"""Callers from API Gateway's request context: none, an API key, a JWT's subject; a missing identity refused."""

from __future__ import annotations

from typing import Any

import pytest

from shared.apigw.callers import CallerUnknown, caller_of


@pytest.mark.parametrize(
    ("identity", "context", "caller"),
    [
        ("none", {"identity": {"apiKeyId": "k1"}}, None),
        ("api_key", {"identity": {"apiKeyId": "k1"}}, "key:k1"),
        ("jwt", {"authorizer": {"claims": {"sub": "u1", "iss": "https://idp"}}}, "sub:https://idp u1"),
        ("jwt", {"authorizer": {"jwt": {"claims": {"sub": "u1"}}}}, "sub: u1"),
    ],
)
def test_callers_from_the_request_context(identity: str, context: dict[str, Any], caller: str | None) -> None:
    assert caller_of(context, identity) == caller


@pytest.mark.parametrize(
    ("identity", "context"),
    [("api_key", {"identity": {"apiKeyId": None}}), ("api_key", None), ("jwt", {"authorizer": {}})],
)
def test_a_missing_identity_is_refused(identity: str, context: dict[str, Any] | None) -> None:
    with pytest.raises(CallerUnknown):
        caller_of(context, identity)
