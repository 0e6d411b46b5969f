"""A MicroVM's endpoint over HTTP: the token of CreateMicrovmAuthToken (401 without, 403 forged, expired or
another MicroVM's), X-aws-proxy-port within the token's ports, X-aws-proxy-* headers not forwarded."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from local_cloud.microvms import AUTH_HEADER, PORT_HEADER, MicroVmsLocal
from tests.local_cloud.microvms.helpers import microvms_client, through, token, wait_state


@pytest.fixture(scope="module")
def two(microvms_plane: MicroVmsLocal) -> Iterator[tuple[object, list[dict]]]:
    """Two running MicroVMs of the hook app (all hooks answering 200)."""
    client = microvms_client(microvms_plane.endpoint_url)
    answers = [client.run_microvm(imageIdentifier=microvms_plane.image_arn("hook-app")) for _ in range(2)]
    for answer in answers:
        wait_state(client, answer["microvmId"], "RUNNING")
    yield client, answers
    for answer in answers:
        client.terminate_microvm(microvmIdentifier=answer["microvmId"])


def test_without_a_token_the_endpoint_answers_401(two) -> None:
    _, (first, _) = two

    status, body = through(first["endpoint"], None, {})

    assert status == 401 and AUTH_HEADER in body["message"]


@pytest.mark.parametrize(
    ("forge", "why"),
    [
        (lambda good: "not-a-token", "is not one CreateMicrovmAuthToken gave"),
        (lambda good: good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"), "is invalid"),
        (lambda good: good.replace(".", ".x", 1), "is invalid"),
    ],
)
def test_a_forged_token_is_refused_403(two, forge, why: str) -> None:
    client, (first, _) = two
    good = token(client, first["microvmId"])[AUTH_HEADER]

    status, body = through(first["endpoint"], {AUTH_HEADER: forge(good)}, {})

    assert status == 403 and why in body["message"]


def test_another_microvms_token_is_refused_403(two) -> None:
    client, (first, second) = two
    theirs = token(client, second["microvmId"])

    status, body = through(first["endpoint"], theirs, {})
    mine = through(second["endpoint"], theirs, {})

    assert (status, body["message"]) == (403, "the X-aws-proxy-auth token is for another MicroVM")
    assert (
        mine[0] == 200
        and mine[1]["pid"] != through(first["endpoint"], token(client, first["microvmId"]), {})[1]["pid"]
    )


def test_an_expired_token_is_refused_403(two) -> None:
    client, (first, _) = two
    # One minute, divided by the plane's token time scale of 60: one second.
    short = token(client, first["microvmId"], minutes=1)
    before = through(first["endpoint"], short, {})[0]

    time.sleep(1.2)
    status, body = through(first["endpoint"], short, {})

    assert before == 200
    assert (status, body["message"]) == (403, "the X-aws-proxy-auth token has expired")


@pytest.mark.parametrize(
    ("port", "ports", "status"),
    [
        ("9999", [{"port": 8080}], 403),  # not in the token's allowedPorts
        ("8080", [{"range": {"startPort": 9000, "endPort": 9010}}], 403),
        ("not-a-port", [{"allPorts": {}}], 400),
        ("70000", [{"allPorts": {}}], 400),
        ("9999", [{"allPorts": {}}], 502),  # allowed, but nothing listens there
        ("8080", [{"range": {"startPort": 8000, "endPort": 8090}}], 200),
    ],
)
def test_the_target_port_must_be_in_the_tokens_ports(two, port: str, ports: list, status: int) -> None:
    client, (first, _) = two
    headers = {**token(client, first["microvmId"], ports=ports), PORT_HEADER: port}

    got, body = through(first["endpoint"], headers, {})

    assert got == status
    if status != 200:
        assert body["message"]


def test_proxy_headers_are_removed_before_the_app_sees_the_request(two) -> None:
    client, (first, _) = two
    headers = {**token(client, first["microvmId"]), PORT_HEADER: "8080", "X-aws-proxy-force-h2": "true",
               "X-Custom-Caller": "kept"}  # fmt: skip

    status, seen = through(first["endpoint"], headers, None, "/headers", "GET")

    assert status == 200 and seen["x-custom-caller"] == "kept"
    assert not [name for name in seen if name.lower().startswith("x-aws-proxy-")]
