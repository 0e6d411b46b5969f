"""Offline SAM translation and cfn-lint for the step 5 template (small; the lead may move it to devtools)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from cfnlint.api import ManualArgs, lint
from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

# What `sam package` puts in CodeUri; the translator accepts only S3 locations.
PACKAGED_CODE_URI = "s3://example-bucket/step5/proxy.zip"


class _NoManagedPolicies:
    """The translator asks IAM for managed policy names only when a template uses them by name."""

    def load(self) -> dict[str, str]:
        return {}


def load_template(path: Path) -> dict[str, Any]:
    """Parse a SAM/CloudFormation YAML template, short-form intrinsics included."""
    return dict(yaml_parse(path.read_text()))


def translate_sam(template: dict[str, Any], parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """Translate a SAM template to CloudFormation offline, as `sam package` + the transform would."""
    packaged = copy.deepcopy(template)
    for resource in packaged.get("Resources", {}).values():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            props["CodeUri"] = PACKAGED_CODE_URI
    try:
        return dict(transform(packaged, parameters or {}, _NoManagedPolicies()))
    except InvalidDocumentException as exc:
        raise AssertionError("; ".join(cause.message for cause in exc.causes)) from exc


def lint_template(template: dict[str, Any] | str, region: str = "us-east-1") -> list[str]:
    """Return cfn-lint's findings (errors and warnings) as strings; empty when clean."""
    text = template if isinstance(template, str) else json.dumps(template)
    return [str(match) for match in lint(text, config=ManualArgs(regions=[region]))]
