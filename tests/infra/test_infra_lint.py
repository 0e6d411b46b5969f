"""Every template passes cfn-lint; SAM is translated offline with aws-sam-translator first."""

from __future__ import annotations

import pytest

from harness.templates import lint_template
from local_cloud.aws.cfn import is_sam, load_template, translate_sam
from tests.infra.helpers import FIXTURES, INFRA, TEMPLATES


def test_the_infra_folder_has_the_templates() -> None:
    names = {path.name for path in TEMPLATES}
    assert {"sinks.yaml", "roles.yaml"} <= names


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_template_passes_cfn_lint(template, loopback_only) -> None:
    assert lint_template(template) == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_template_passes_cfn_lint_in_other_regions(template, loopback_only) -> None:
    # Nothing region-specific is hard-coded: the templates lint clean where AgentCore runs.
    assert lint_template(template, regions=["us-west-2", "eu-central-1", "ap-southeast-2"]) == []


def test_plain_template_translates_to_itself(loopback_only) -> None:
    path = INFRA / "sinks.yaml"
    assert not is_sam(load_template(path))
    assert translate_sam(path) == load_template(path)


def test_sam_template_is_translated_offline(loopback_only) -> None:
    path = FIXTURES / "sam_good.yaml"
    assert is_sam(load_template(path))
    translated = translate_sam(path)
    types = {name: res["Type"] for name, res in translated["Resources"].items()}
    assert types == {
        "SumFunction": "AWS::Lambda::Function",
        "SumFunctionRole": "AWS::IAM::Role",
        "ResultsTable": "AWS::DynamoDB::Table",
    }
    assert "Transform" not in translated
    role = translated["Resources"]["SumFunctionRole"]["Properties"]
    # The bundled managed-policy map resolved the basic execution role without calling IAM.
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    statement = role["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert statement["Action"] == "dynamodb:PutItem"
    assert statement["Resource"] == {"Fn::GetAtt": ["ResultsTable", "Arn"]}


def test_sam_translation_uses_the_partition_of_the_region(loopback_only) -> None:
    translated = translate_sam(FIXTURES / "sam_good.yaml", region="cn-north-1")
    arns = translated["Resources"]["SumFunctionRole"]["Properties"]["ManagedPolicyArns"]
    assert arns == ["arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]


def test_good_sam_template_lints_clean(loopback_only) -> None:
    assert lint_template(FIXTURES / "sam_good.yaml") == []


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("cfn_bad.yaml", ["E3002", "VisibilityTimout", "E3034", "E6101"]),
        ("sam_bad.yaml", ["E3012", "not-a-number"]),
    ],
)
def test_lint_reports_mistakes_with_rule_and_line(fixture, expected, loopback_only) -> None:
    findings = lint_template(FIXTURES / fixture)
    text = "\n".join(findings)
    for fragment in expected:
        assert fragment in text
    assert all(f"{fixture}:" in finding for finding in findings)


def test_lint_can_ignore_a_rule(loopback_only) -> None:
    findings = lint_template(FIXTURES / "cfn_bad.yaml", ignore_checks=["E3034"])
    assert findings and not any(f.startswith("E3034") for f in findings)


def test_unparseable_template_is_an_error(tmp_path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources: [unclosed\n")
    with pytest.raises(ValueError, match="cannot parse template"):
        load_template(broken)
