"""The service's error shapes and checks through real boto3 (and the raw HTTP botocore parses): unknown
images and MicroVMs, requests the model refuses, ListMicrovms' pages and filters, clientToken."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import pytest

from local_cloud.http import call
from local_cloud.microvms import MicroVmsLocal
from tests.local_cloud.microvms.helpers import idle, microvms_client, wait_state


@pytest.fixture
def client(microvms_plane: MicroVmsLocal):
    """boto3 reaching the plane through AWS_ENDPOINT_URL_LAMBDA_MICROVMS, as botocore documents it."""
    return microvms_client()


@pytest.fixture(autouse=True)
def _endpoint_variable(microvms_plane: MicroVmsLocal, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in microvms_plane.env().items():
        monkeypatch.setenv(name, value)


def test_an_unknown_image_is_resource_not_found(client, microvms_plane: MicroVmsLocal) -> None:
    arn = microvms_plane.image_arn("no-such-image")

    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.run_microvm(imageIdentifier=arn)

    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert (error["resourceId"], error["resourceType"]) == (arn, "MICROVM_IMAGE")
    assert error["ResponseMetadata"]["RequestId"]


def test_an_unknown_image_version_is_resource_not_found(client, microvms_plane: MicroVmsLocal) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.run_microvm(imageIdentifier=microvms_plane.image_arn("step1"), imageVersion="7")

    assert "version 7" in raised.value.response["message"]


def test_an_unknown_microvm_is_resource_not_found_on_the_wire(microvms_plane: MicroVmsLocal, client) -> None:
    missing = f"mvm-{uuid.uuid4()}"

    status, headers, body = call(f"{microvms_plane.endpoint_url}/2025-09-09/microvms/{missing}", method="GET")
    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.terminate_microvm(microvmIdentifier=missing)

    assert (status, headers["x-amzn-errortype"], headers["content-type"]) == (
        404, "ResourceNotFoundException", "application/json",
    )  # fmt: skip
    assert body == {
        "message": f"MicroVM {missing} not found",
        "resourceId": missing,
        "resourceType": "MICROVM",
    }
    assert raised.value.response["resourceId"] == missing


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"maximumDurationInSeconds": 28_801}, "maximumDurationInSeconds"),
        ({"idlePolicy": idle(28_801)}, "idlePolicy.maxIdleDurationSeconds"),
        ({"runHookPayload": "x" * 4097}, "runHookPayload"),
        ({"executionRoleArn": "arn:aws:iam::123:role/short"}, "executionRoleArn"),
        ({"imageVersion": "1 2"}, "imageVersion"),
    ],
)
def test_a_request_the_model_refuses_is_a_validation_exception(
    client, microvms_plane: MicroVmsLocal, options: dict, field: str
) -> None:
    before = len(microvms_plane.microvms())

    with pytest.raises(client.exceptions.ValidationException) as raised:
        client.run_microvm(imageIdentifier=microvms_plane.image_arn("step1"), **options)

    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400 and field in error["message"]
    assert set(error) - {"ResponseMetadata", "Error"} == {"message"}  # the model's shape: message only
    assert len(microvms_plane.microvms()) == before  # nothing run


def test_an_image_name_instead_of_its_arn_is_refused_with_the_arn(
    client, microvms_plane: MicroVmsLocal
) -> None:
    with pytest.raises(client.exceptions.ValidationException) as raised:
        client.run_microvm(imageIdentifier="step1")

    assert microvms_plane.image_arn("step1") in raised.value.response["message"]


@pytest.mark.parametrize(
    ("minutes", "ports", "field"),
    [
        (61, [{"port": 8080}], "expirationInMinutes"),
        (5, [{"range": {"startPort": 9010, "endPort": 9000}}], "allowedPorts[0].range"),
    ],
)
def test_a_token_request_the_model_refuses_is_a_validation_exception(
    client, microvms_plane: MicroVmsLocal, minutes: int, ports: list, field: str
) -> None:
    mid = client.run_microvm(imageIdentifier=microvms_plane.image_arn("step1"))["microvmId"]

    with pytest.raises(client.exceptions.ValidationException) as raised:
        client.create_microvm_auth_token(
            microvmIdentifier=mid, expirationInMinutes=minutes, allowedPorts=ports
        )

    assert field in raised.value.response["message"]
    client.terminate_microvm(microvmIdentifier=mid)


def test_an_arn_names_a_microvm_as_its_id_does(client, microvms_plane: MicroVmsLocal) -> None:
    mid = client.run_microvm(imageIdentifier=microvms_plane.image_arn("step1"))["microvmId"]
    arn = f"arn:aws:lambda:us-east-1:123456789012:microvm:{mid}"

    got = client.get_microvm(microvmIdentifier=arn)
    raw = call(f"{microvms_plane.endpoint_url}/2025-09-09/microvms/{quote(arn, safe='')}", method="GET")

    assert got["microvmId"] == mid and raw[2]["microvmId"] == mid
    client.terminate_microvm(microvmIdentifier=arn)
    assert wait_state(client, mid, "TERMINATED")["stateReason"] == "USER_REQUEST"


def test_list_microvms_pages_and_filters(client, microvms_plane: MicroVmsLocal) -> None:
    counter = microvms_plane.image_arn("counter")
    mine = [client.run_microvm(imageIdentifier=counter)["microvmId"] for _ in range(3)]

    pages = list(
        client.get_paginator("list_microvms").paginate(
            imageIdentifier=counter, PaginationConfig={"PageSize": 2}
        )
    )
    first = client.list_microvms(imageIdentifier=counter, maxResults=1)
    by_version = client.list_microvms(imageIdentifier=counter, imageVersion="1")["items"]
    other_version = client.list_microvms(imageIdentifier=counter, imageVersion="2")["items"]

    listed = [item["microvmId"] for page in pages for item in page["items"]]
    assert set(mine) <= set(listed) and all(item["imageArn"] == counter for p in pages for item in p["items"])
    assert len(pages[0]["items"]) == 2 and "nextToken" in pages[0]
    assert len(first["items"]) == 1 and first["nextToken"]
    assert set(mine) <= {item["microvmId"] for item in by_version} and other_version == []
    with pytest.raises(client.exceptions.ValidationException):
        client.list_microvms(maxResults=51)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_microvms(imageIdentifier=microvms_plane.image_arn("no-such-image"))
    for mid in mine:
        client.terminate_microvm(microvmIdentifier=mid)


def test_a_client_token_runs_one_microvm_and_refuses_other_parameters(
    client, microvms_plane: MicroVmsLocal
) -> None:
    image, request_token = microvms_plane.image_arn("step1"), f"tok-{uuid.uuid4()}"

    first = client.run_microvm(imageIdentifier=image, clientToken=request_token, maximumDurationInSeconds=600)
    again = client.run_microvm(imageIdentifier=image, clientToken=request_token, maximumDurationInSeconds=600)
    with pytest.raises(client.exceptions.ConflictException) as raised:
        client.run_microvm(imageIdentifier=image, clientToken=request_token, maximumDurationInSeconds=601)

    assert first["microvmId"] == again["microvmId"]
    assert raised.value.response["resourceId"] == first["microvmId"]
    assert sum(v["microvm_id"] == first["microvmId"] for v in microvms_plane.microvms()) == 1
    client.terminate_microvm(microvmIdentifier=first["microvmId"])


def test_suspend_resume_and_terminate_answer_an_empty_200(microvms_plane: MicroVmsLocal, client) -> None:
    mid = client.run_microvm(imageIdentifier=microvms_plane.image_arn("step1"))["microvmId"]
    wait_state(client, mid, "RUNNING")
    base = f"{microvms_plane.endpoint_url}/2025-09-09/microvms/{mid}"

    answers = [call(f"{base}/suspend")]
    wait_state(client, mid, "SUSPENDED")
    answers += [call(f"{base}/resume"), call(base, method="DELETE")]

    assert [(status, body) for status, _, body in answers] == [(200, None)] * 3
    assert json.loads(json.dumps([h.get("content-length") for _, h, _ in answers])) == ["0"] * 3
