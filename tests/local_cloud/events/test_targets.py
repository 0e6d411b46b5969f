"""What EventBridge hands a target: the event's envelope, Input, InputPath and InputTransformer."""

from __future__ import annotations

import json

import pytest

from local_cloud.events.targets import envelope, json_path, render_template, target_input

EVENT = {
    "id": "e-1", "detail-type": "JobRequested", "source": "agentcore.demo", "account": "123456789012",
    "time": 1796256000.5, "region": "us-east-1", "resources": [], "ingestion-time": 1796256000.6,
    "detail": {"prompt": {"a": 7, "b": 2}, "who": "ana", "tags": ["x", "y"]},
}  # fmt: skip


def test_the_envelope_has_the_documented_fields_and_an_iso_time() -> None:
    assert envelope(EVENT) == {
        "version": "0", "id": "e-1", "detail-type": "JobRequested", "source": "agentcore.demo",
        "account": "123456789012", "time": "2026-12-03T00:00:00Z", "region": "us-east-1", "resources": [],
        "detail": EVENT["detail"],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("path", "found", "value"),
    [
        ("$", True, envelope(EVENT)),
        ("$.detail.prompt.a", True, 7),
        ("$.detail.tags[1]", True, "y"),
        ("$['detail-type']", True, "JobRequested"),
        ("$.detail.missing", False, None),
        ("$.detail.tags[5]", False, None),
    ],
)
def test_json_path(path: str, found: bool, value: object) -> None:
    assert json_path(path, envelope(EVENT)) == (found, value)


@pytest.mark.parametrize(
    ("template", "values", "rendered"),
    [
        ('{"id": <id>}', {"id": "e-1"}, '{"id": "e-1"}'),
        ('{"n": <n>, "obj": <obj>}', {"n": 7, "obj": {"a": [1]}}, '{"n": 7, "obj": {"a": [1]}}'),
        ('{"note": "from <who>"}', {"who": "ana"}, '{"note": "from ana"}'),
        ('{"none": <gone>}', {"gone": None}, '{"none": null}'),
        ("<who> asked", {"who": "ana"}, "ana asked"),
        ('{"kept": "<unknown>"}', {}, '{"kept": "<unknown>"}'),
    ],
)
def test_render_template(template: str, values: dict, rendered: str) -> None:
    assert render_template(template, values) == rendered


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({}, envelope(EVENT)),
        ({"Input": '{"constant": true}'}, {"constant": True}),
        ({"InputPath": "$.detail.prompt"}, {"a": 7, "b": 2}),
        (
            {"InputTransformer": {"InputPathsMap": {"id": "$.id", "detail": "$.detail"},
                                  "InputTemplate": '{"event_id": <id>, "detail": <detail>, "rule": "<aws.events.rule-name>"}'}},
            {"event_id": "e-1", "detail": EVENT["detail"], "rule": "the-rule"},
        ),
    ],
)  # fmt: skip
def test_target_input(target: dict, expected: object) -> None:
    assert (
        json.loads(target_input(target, EVENT, "arn:aws:events:...:rule/bus/the-rule", "the-rule"))
        == expected
    )
