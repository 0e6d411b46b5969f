"""The AgentCore session price, hand-computed from the rates in cost_model/prices.json."""

from __future__ import annotations

import pytest

from cost_model import agentcore_session_cost, load_prices


@pytest.mark.parametrize(
    ("seconds", "cpu", "memory_mb", "version", "expected"),
    [
        # 910 s at 512 MB (0.5 GB) plus 0.2 CPU-seconds on V1.
        (910, 0.2, 512, "v1", 0.2 * 0.0895 / 3600 + 910 * 0.5 * 0.00945 / 3600),
        # Below 128 MB is billed as 128 MB (0.125 GB); 0.3 s is billed as the 1 s minimum.
        (0.3, 0.0, 10, "v2", 1 * 0.125 * 0.0169 / 3600),
        # Part of a second is billed as a whole second.
        (10.2, 1.5, 1024, "v2", 1.5 * 0.1276 / 3600 + 11 * 1 * 0.0169 / 3600),
    ],
)
def test_session_cost_matches_hand_computed(seconds, cpu, memory_mb, version, expected):
    assert agentcore_session_cost(seconds, cpu, memory_mb, version) == pytest.approx(expected, rel=1e-12)


def test_price_table_names_its_sources():
    prices = load_prices()
    assert prices["read_on"] and prices["region"]
    assert prices["lambda"]["source"].startswith("https://aws.amazon.com/")
    assert prices["agentcore"]["source"].startswith("https://aws.amazon.com/")
    assert set(prices["agentcore"]["platform_versions"]) == {"v1", "v2"}
