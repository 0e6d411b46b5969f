"""The payload validator: every rule, with the field it names."""

from decimal import Decimal

import pytest

from shared.core.errors import InvalidInput
from shared.core.jsonnum import loads_exact
from shared.core.validation import checked_delay, parse_sum_request


@pytest.mark.parametrize(
    ("raw", "a", "b"),
    [
        ('{"prompt": {"a": 1, "b": 2}}', 1, 2),
        ('{"prompt": {"a": -5, "b": 0}}', -5, 0),
        ('{"prompt": {"a": 0.1, "b": 0.2}}', Decimal("0.1"), Decimal("0.2")),
        ('{"prompt": {"a": 1e3, "b": 2.50}}', Decimal("1E+3"), Decimal("2.50")),
        ('{"prompt": {"a": 12345678901234567890123456789012345678, "b": 1}}', 12345678901234567890123456789012345678, 1),
        ('{"prompt": {"a": 1.0000000000000000000000000000000000001, "b": 1}}', Decimal("1.0000000000000000000000000000000000001"), 1),
        ('{"prompt": {"a": 1E-130, "b": 9.9999999999999999999999999999999999999E+125}}', Decimal("1E-130"), Decimal("9.9999999999999999999999999999999999999E+125")),
        ('{"prompt": {"a": 1, "b": 2, "extra": true}, "other": 1}', 1, 2),
        ('{"prompt": {"a": 100000000000000000000000000000000000000000, "b": 0}}', 10**41, 0),
    ],
)  # fmt: skip
def test_valid_payloads_keep_exact_operands(raw: str, a: object, b: object) -> None:
    got = parse_sum_request(loads_exact(raw))
    assert (got.a, got.b) == (a, b)
    assert type(got.a) is type(a) and type(got.b) is type(b)


@pytest.mark.parametrize(
    ("payload", "field", "fragment"),
    [
        (None, "$", "JSON object"),
        ([], "$", "JSON object"),
        ("a+b", "$", "JSON object"),
        ({}, "prompt", "prompt is missing"),
        ({"prompt": None}, "prompt", "must be an object"),
        ({"prompt": "1+2"}, "prompt", "must be an object"),
        ({"prompt": [1, 2]}, "prompt", "must be an object"),
        ({"prompt": {}}, "prompt.a", "prompt.a is missing"),
        ({"prompt": {"a": 1}}, "prompt.b", "prompt.b is missing"),
        ({"prompt": {"a": "1", "b": 2}}, "prompt.a", "got a string"),
        ({"prompt": {"a": 1, "b": True}}, "prompt.b", "got a boolean"),
        ({"prompt": {"a": None, "b": 2}}, "prompt.a", "got null"),
        ({"prompt": {"a": [1], "b": 2}}, "prompt.a", "got an array"),
        ({"prompt": {"a": {"v": 1}, "b": 2}}, "prompt.a", "got an object"),
        ({"prompt": {"a": Decimal("NaN"), "b": 2}}, "prompt.a", "finite"),
        ({"prompt": {"a": 1, "b": Decimal("Infinity")}}, "prompt.b", "finite"),
        ({"prompt": {"a": float("nan"), "b": 2}}, "prompt.a", "finite"),
        ({"prompt": {"a": Decimal("1.00000000000000000000000000000000000001"), "b": 2}}, "prompt.a", "39 significant"),
        ({"prompt": {"a": 10**126, "b": 2}}, "prompt.a", "too large"),
        ({"prompt": {"a": 1, "b": Decimal("1E-131")}}, "prompt.b", "too small"),
    ],
)  # fmt: skip
def test_invalid_payloads_name_the_field(payload: object, field: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_sum_request(payload)
    body = caught.value.to_body()["error"]
    assert body["code"] == "InvalidInput"
    assert body["field"] == field
    assert fragment in body["message"]
    assert '{"prompt": {"a": <number>, "b": <number>}}' in body["message"]


def test_plain_floats_from_direct_calls_are_read_as_their_shortest_decimal() -> None:
    got = parse_sum_request({"prompt": {"a": 0.1, "b": 0.2}})
    assert (got.a, got.b) == (Decimal("0.1"), Decimal("0.2"))


@pytest.mark.parametrize(
    ("payload", "delay"),
    [({}, None), ({"delay_seconds": None}, None), ({"delay_seconds": 0}, 0), ({"delay_seconds": 60}, 60)],
)
def test_delay_seconds_within_its_limit(payload: dict[str, object], delay: int | None) -> None:
    assert checked_delay(payload, 60, "{}") == delay


@pytest.mark.parametrize("value", [-1, 61, 1.0, "5", True, [5]])
def test_delay_seconds_outside_its_limit_names_the_field_and_why(value: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_delay({"delay_seconds": value}, 60, '{"delay_seconds": 5}', " (the session's maxLifetime)")
    assert refused.value.field == "delay_seconds"
    assert (
        refused.value.message == "delay_seconds must be an integer from 0 to 60 (the session's maxLifetime)"
    )
    assert refused.value.details["expected"] == '{"delay_seconds": 5}'
