"""Exact JSON in and out."""

import json
from decimal import Decimal

import pytest

from shared.core.jsonnum import dumps_exact, loads_exact, plain_number


def test_round_trip_keeps_every_digit() -> None:
    raw = '{"a":0.1234567890123456789012345678901234567,"b":[1,2.50,"x",true,null],"c":{"é":"ü"}}'
    assert dumps_exact(loads_exact(raw)) == raw


@pytest.mark.parametrize("value", [Decimal("1E+2"), Decimal("-0"), Decimal("1E-7"), Decimal("3.30")])
def test_decimal_output_is_valid_json_with_the_same_value(value: Decimal) -> None:
    assert Decimal(str(json.loads(dumps_exact({"v": value}), parse_float=Decimal)["v"])) == value


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), float("inf"), float("nan")])
def test_non_finite_numbers_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        dumps_exact({"v": value})


def test_nan_literals_parse_to_decimal_so_validation_sees_them() -> None:
    assert loads_exact('{"a": NaN}')["a"].is_nan()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1.5}',
        '{"a": 1.5}'.encode("utf-8-sig"),
        '{"a": 1.5}'.encode("utf-16"),
        '{"a": 1.5}'.encode("utf-16-le"),
        '{"a": 1.5}'.encode("utf-32"),
        '{"a": "\\ud800"}'.encode(),
        '{"a": 1.5}',
    ],
)
def test_accepts_what_json_loads_accepts(raw: bytes | str) -> None:
    expected = json.loads(raw, parse_float=Decimal)
    assert loads_exact(raw) == expected


@pytest.mark.parametrize("raw", ["\ufeff{}", b"\xff", b"", "", b"{} {}", b"\xed\xa0\x80"])
def test_refuses_what_json_loads_refuses(raw: bytes | str) -> None:
    with pytest.raises(ValueError) as theirs:
        json.loads(raw)
    with pytest.raises(type(theirs.value)):
        loads_exact(raw)


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        (9, 9),
        (10**37, 10**37),
        (Decimal("9"), 9),
        (Decimal("1E+3"), 1000),
        (Decimal("0.3"), 0.3),
        (Decimal("-2.5"), -2.5),
        # More digits than a double holds: the exact digits, as a string, never a rounded float.
        (Decimal("0.10000000000000000001"), "0.10000000000000000001"),
        (Decimal("1.2345678901234567890123"), "1.2345678901234567890123"),
    ],
)
def test_plain_number_never_rounds(value: int | Decimal, plain: object) -> None:
    got = plain_number(value)
    assert got == plain and type(got) is type(plain)
    # What json.dumps writes reads back as the same number.
    assert Decimal(str(json.loads(json.dumps(got)))) == Decimal(value)


def test_plain_number_refuses_non_finite() -> None:
    with pytest.raises(ValueError):
        plain_number(Decimal("NaN"))
