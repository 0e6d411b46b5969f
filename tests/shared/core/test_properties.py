"""Properties of the validator and the arithmetic: exact sums, and any JSON value is accepted or refused
with InvalidInput, never another exception."""

from __future__ import annotations

import decimal
import json
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.core.arithmetic import MAX_SIGNIFICANT_DIGITS, exact_sum, storable_problem
from shared.core.errors import InvalidInput
from shared.core.jsonnum import dumps_exact, loads_exact
from shared.core.validation import SumRequest, parse_sum_request

from tests.helpers import FUZZ_EXAMPLES, JSON_VALUES, NUMBER_TEXT

pytestmark = pytest.mark.reliability

SETTINGS = settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PAYLOADS = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries({"prompt": JSON_VALUES}),
    st.fixed_dictionaries({"prompt": st.fixed_dictionaries({"a": JSON_VALUES, "b": JSON_VALUES})}),
    st.tuples(NUMBER_TEXT, NUMBER_TEXT).map(
        lambda ab: {"prompt": {"a": loads_exact(ab[0]), "b": loads_exact(ab[1])}}
    ),
)


def _storable(value: Decimal | int) -> bool:
    return storable_problem(value) is None


@SETTINGS
@given(PAYLOADS)
def test_any_json_value_is_accepted_or_refused_with_invalid_input(payload):
    try:
        request = parse_sum_request(payload)
    except InvalidInput as exc:
        assert exc.status == 400 and exc.field
        return
    assert isinstance(request, SumRequest)
    try:
        total = exact_sum(request.a, request.b)
    except InvalidInput as exc:  # the sum itself may leave DynamoDB's range
        assert exc.status == 400 and exc.field == "prompt"
        return
    assert Fraction(total) == Fraction(request.a) + Fraction(request.b)


@SETTINGS
@given(
    st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1),
    st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1),
)
def test_integer_sums_are_exact_ints(a, b):
    try:
        total = exact_sum(a, b)
    except InvalidInput:
        assert not _storable(a + b)
        return
    assert type(total) is int and total == a + b


@SETTINGS
@given(NUMBER_TEXT, NUMBER_TEXT)
def test_decimal_sums_are_exact_or_refused(a_text, b_text):
    a, b = loads_exact(a_text), loads_exact(b_text)
    if not (_storable(a) and _storable(b)):
        with pytest.raises(InvalidInput):
            parse_sum_request({"prompt": {"a": a, "b": b}})
        return
    try:
        total = exact_sum(a, b)
    except InvalidInput:
        exact = Fraction(a) + Fraction(b)
        # Refused only when the exact sum is not storable (the fraction's denominator is a power of
        # ten, so a wide enough context divides exactly).
        wide = decimal.Context(prec=2_000_000, Emax=10**7, Emin=-(10**7), traps=[decimal.Inexact])
        assert not _storable(wide.divide(Decimal(exact.numerator), Decimal(exact.denominator)))
        return
    # An independent oracle: rational arithmetic.
    assert Fraction(total) == Fraction(a) + Fraction(b)
    # And the JSON written back is the same number.
    assert Fraction(loads_exact(dumps_exact({"r": total}))["r"]) == Fraction(total)


def test_float_noise_never_enters():
    # 0.1 + 0.2 through exact JSON is 0.3, not 0.30000000000000004.
    assert dumps_exact({"r": exact_sum(loads_exact("0.1"), loads_exact("0.2"))}) == '{"r":0.3}'


def test_storable_bounds():
    assert _storable(Decimal("9." + "9" * 37 + "E+125"))  # DynamoDB's largest: 38 nines
    assert not _storable(Decimal("9." + "9" * 38 + "E+125"))
    assert not _storable(Decimal("1E+126"))
    assert _storable(Decimal("1E-130")) and not _storable(Decimal("1E-131"))
    assert _storable(int("9" * MAX_SIGNIFICANT_DIGITS)) and not _storable(
        int("9" * (MAX_SIGNIFICANT_DIGITS + 1))
    )
    # Trailing zeros are not significant digits.
    assert _storable(Decimal("1" + "0" * 100))


def test_huge_integer_literal_is_a_value_error_not_a_crash():
    # CPython refuses int literals over 4300 digits (sys.set_int_max_str_digits); the middleware turns
    # that ValueError into a 400 (checked over HTTP in test_rel_fuzz_http).
    with pytest.raises(ValueError):
        json.loads('{"prompt": {"a": ' + "1" * 5000 + ', "b": 1}}')
