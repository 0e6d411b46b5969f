"""Exact addition and the DynamoDB-storable range."""

from decimal import Decimal

import pytest

from shared.core.arithmetic import exact_sum, storable_problem
from shared.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (1, 2, 3),
        (Decimal("0.1"), Decimal("0.2"), Decimal("0.3")),
        (Decimal("1.10"), 2, Decimal("3.10")),
        (-7, 7, 0),
        (10**36, Decimal("0.5"), Decimal("1000000000000000000000000000000000000.5")),
        (Decimal("1E-130"), Decimal("1E-130"), Decimal("2E-130")),
        (Decimal("9.9999999999999999999999999999999999999E+125"), 0, Decimal("9.9999999999999999999999999999999999999E+125")),
    ],
)  # fmt: skip
def test_sums_are_exact(a: object, b: object, expected: object) -> None:
    got = exact_sum(a, b)  # type: ignore[arg-type]
    assert got == expected
    assert type(got) is type(expected)


def test_int_plus_int_stays_int() -> None:
    assert type(exact_sum(2, 3)) is int


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (Decimal("9.9999999999999999999999999999999999999E+125"), Decimal("9.9999999999999999999999999999999999999E+125")),
        (10**37, Decimal("0.01")),
        (Decimal("1E+100"), Decimal("1E-100")),
    ],
)  # fmt: skip
def test_sums_dynamodb_cannot_store_are_refused(a: Decimal, b: Decimal) -> None:
    with pytest.raises(InvalidInput) as caught:
        exact_sum(a, b)
    assert caught.value.field == "prompt"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (0, None),
        (Decimal("-0"), None),
        (Decimal("1.500000000000000000000000000000000000000000"), None),
        (10**38 - 1, None),
        (10**38 + 1, "39 significant digits"),
        (Decimal("NaN"), "finite"),
        (Decimal("1E+126"), "too large"),
        (Decimal("-1E-131"), "too small"),
    ],
)
def test_storable_problem(value: object, problem: str | None) -> None:
    got = storable_problem(value)  # type: ignore[arg-type]
    if problem is None:
        assert got is None
    else:
        assert got is not None and problem in got


@pytest.mark.parametrize(
    "value",
    [
        0,
        1,
        -1,
        10**38 - 1,
        -(10**38) + 1,
        10**38,
        -(10**38),
        10**38 + 1,
        10**39,
        10**125,
        10**126,
        10**126 - 1,
    ],
)
def test_the_int_fast_path_agrees_with_the_decimal_rule(value: int) -> None:
    # Ints inside +-10**38 skip the Decimal work; the answer must be the one the general rule gives.
    assert storable_problem(value) == storable_problem(Decimal(value))
