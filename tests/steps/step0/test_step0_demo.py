"""`make demo` for step 0: skipped without credentials, run behind the local data plane when they exist."""

from __future__ import annotations

from commands.demo import step0
from tests.steps.step0.fake_bedrock import FakeBedrock, Reply


def test_without_credentials_it_prints_the_skip_line_and_returns_none(step0_env, monkeypatch, capsys):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert step0.has_aws_credentials() is False
    assert step0.run_step0_demo() is None
    assert capsys.readouterr().out.splitlines() == ["step 0: skipped (no AWS credentials / Bedrock access)"]


def test_with_credentials_it_serves_the_step_and_reports_both_calls(step0_env, monkeypatch):
    assert step0.has_aws_credentials() is True
    with FakeBedrock() as fake:
        fake.replies += [
            Reply(pieces=["AgentCore Runtime", " hosts agents."]),
            Reply(pieces=["Lambda", ", ECS"]),
        ]
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake.url)
        lines = step0.run_step0_demo()
    assert lines is not None
    assert lines[0] == "[PASS] 0_run_default_agentcore"
    assert '"result": "AgentCore Runtime hosts agents."' in lines[2]
    assert lines[3] == "[PASS] 0_run_default_agentcore (stream)"
    assert '{"result": "Lambda, ECS"}' in lines[5]
    assert [seen.model_id for seen in fake.seen] == ["eu.amazon.nova-2-lite-v1:0"] * 2
    assert {seen.signed_region for seen in fake.seen} == {"eu-west-1"}


def test_when_bedrock_refuses_it_skips_with_the_reason(step0_env, monkeypatch, capsys):
    with FakeBedrock() as fake:
        fake.replies.append(Reply(error_code="AccessDeniedException", error_message="denied", status=403))
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake.url)
        assert step0.run_step0_demo() is None
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "step 0: skipped (no AWS credentials / Bedrock access)"
    assert "ModelAccessDenied" in out[1]
