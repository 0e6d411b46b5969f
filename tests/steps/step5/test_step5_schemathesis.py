"""schemathesis, a fuzzer nobody here wrote, against the local step 5 stack, from step 5's openapi.json.

The whole stack runs: the local API Gateway (in its own process, as a Lambda container), the real handler,
the local AgentCore data plane with step 4, and moto. Every generated request must get an answer the
document describes (status, content type, body schema) and never a 5xx. The positive/negative data checks
are left out on purpose: JSON Schema cannot say "38 significant digits whose sum DynamoDB can store", so a
schema-valid body can rightly be refused with a 400 that names the field.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from commands.openapi import DOCUMENT
from commands.worlds import create_sinks, lambda_environment, step4_runtime, step5_front
from local_cloud.agentcore import AgentCoreLocal
from local_cloud.aws import EmbeddedAws
from tests.helpers import FUZZ_EXAMPLES

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Per operation; the default profile keeps the suite's time, RELIABILITY_PROFILE=heavy raises it.
EXAMPLES = max(40, FUZZ_EXAMPLES // 10)
# What the stage answered, by (method, resource, status): the last test's message when nothing reached step 4.
ANSWERS: Counter[tuple[str, str, int]] = Counter()


# One worker runs the module, in order: the last test reads what the fuzz did to the data plane.
pytestmark = [pytest.mark.reliability, pytest.mark.xdist_group("schemathesis")]


@pytest.fixture(scope="module")
def stack(module_aws: EmbeddedAws) -> Iterator[tuple[str, AgentCoreLocal]]:
    """The stage URL of the local step 5 stack (moto, step 4 on the local data plane, the proxy)."""
    resources = create_sinks(module_aws)
    # Jobs schemathesis starts may ask for hours of delay_seconds: their sessions end at a short lifetime.
    with (
        AgentCoreLocal(
            [step4_runtime(module_aws, resources)],
            start_mode="fork",
            idle_timeout=5.0,
            max_lifetime=30.0,
            stop_grace=1.0,
        ) as plane,
        step5_front(lambda_environment(module_aws, resources, plane)) as front,
    ):
        yield front.url, plane


@pytest.fixture(scope="module")
def api(stack: tuple[str, AgentCoreLocal]) -> str:
    """The local stage's URL."""
    return stack[0]


# The committed document as it is; each call goes to the local stage (base_url).
schema = schemathesis.openapi.from_path(str(DOCUMENT))


@pytest.mark.timeout(900)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_every_answer_is_documented_and_never_a_5xx(case: schemathesis.Case, api: str) -> None:
    response = case.call_and_validate(base_url=api, checks=CHECKS, timeout=60)
    ANSWERS[(case.method, case.path, response.status_code)] += 1


def test_the_fuzz_reached_the_runtime(stack: tuple[str, AgentCoreLocal]) -> None:
    # Not only 4xx: some generated requests were valid, and step 4 answered them through the whole stack.
    answered = [i for i in stack[1].invocations if i.status == 200]
    assert answered, f"no generated request reached step 4 with a 200; the stage answered {dict(ANSWERS)}"
