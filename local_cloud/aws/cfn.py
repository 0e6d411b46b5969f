"""CloudFormation as the embedded AWS needs it: templates loaded as plain data (short-form tags become
long-form intrinsics), SAM translated offline, and the few intrinsics its patch-ups resolve.

Nothing here reaches the network: cfn-lint's decoder reads the template, aws-sam-translator is given its
bundled managed-policy map and an explicit region.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["SAM_TRANSFORM", "SUB_VARIABLE", "is_sam", "load_template", "resolve", "translate_sam"]

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
DEFAULT_REGION = "us-east-1"
# Where `sam package` would have uploaded a function's code; the translator needs an S3 location.
PACKAGED_CODE_URI = "s3://example-bucket/packaged/code.zip"
SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def load_template(path: str | Path) -> dict[str, Any]:
    """Load a JSON or YAML template (short-form tags become long-form intrinsics) as plain data."""
    from cfnlint.decode import decode

    template, matches = decode(str(path))
    if template is None:
        problems = "; ".join(f"{m.rule.id} {m.message}" for m in matches) or "unreadable"
        raise ValueError(f"cannot parse template {path}: {problems}")
    # cfn-lint's node types carry line marks; plain dicts and strings are what the tools below expect.
    plain: dict[str, Any] = json.loads(json.dumps(template))
    return plain


def is_sam(template: Mapping[str, Any]) -> bool:
    """Tell whether a template declares the SAM transform."""
    transform = template.get("Transform", [])
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in names


def translate_sam(
    source: str | Path | Mapping[str, Any],
    region: str = DEFAULT_REGION,
    parameter_values: Mapping[str, Any] | None = None,
    base_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Return a template (a path or loaded) as plain CloudFormation: SAM translated offline, CFN as is.

    Local code folders become a stand-in S3 location, local state machine definitions (read from
    `base_dir`, the template's folder by default) are inlined: what `sam package` would have uploaded.
    """
    if isinstance(source, Mapping):
        template = copy.deepcopy(dict(source))
    else:
        template = load_template(source)
        base_dir = base_dir if base_dir is not None else Path(source).parent
    if not is_sam(template):
        return template
    _package_locally(template, Path(base_dir) if base_dir is not None else None)
    import boto3
    from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.translator import Translator

    partition = ArnGenerator.get_partition_name(region)
    policies = get_bundled_managed_policy_map(partition) or {}
    # A session with an explicit region and no credentials lookup: the translator only reads its region.
    session = boto3.session.Session(region_name=region)
    # Metrics go to a publisher that sends nothing (the default one would warn when left unpublished).
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    translator = Translator(
        managed_policy_map=policies, sam_parser=Parser(), boto_session=session, metrics=metrics
    )
    translated = translator.translate(
        template, parameter_values=dict(parameter_values or {}), get_managed_policy_map=lambda: policies
    )
    metrics.publish()
    return dict(translated)


def _local(uri: Any) -> bool:
    return isinstance(uri, str) and not uri.startswith("s3://")


def _package_locally(template: dict[str, Any], base_dir: Path | None) -> None:
    """Replace local CodeUri and DefinitionUri (the translator accepts only S3 locations)."""
    function_globals = template.get("Globals", {}).get("Function", {})
    if _local(function_globals.get("CodeUri")):
        function_globals["CodeUri"] = PACKAGED_CODE_URI
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties", {})
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function" and _local(props.get("CodeUri")):
            props["CodeUri"] = PACKAGED_CODE_URI
        elif kind == "AWS::Serverless::StateMachine" and _local(props.get("DefinitionUri")):
            if base_dir is None:
                raise ValueError("a local DefinitionUri needs the template's folder (base_dir)")
            path = base_dir / props.pop("DefinitionUri")
            props["Definition"] = json.loads(path.read_text(encoding="utf-8"))


def resolve(value: Any, refs: Mapping[str, Any], attrs: Mapping[str, Any]) -> Any:
    """Resolve Ref, Fn::GetAtt and Fn::Sub against known values (enough for the emulator's patch-ups).

    `refs` maps parameter, pseudo-parameter and logical ids to values; `attrs` maps "Logical.Attr".
    An unknown name raises KeyError rather than producing a half-resolved document.
    """
    if isinstance(value, list):
        return [resolve(item, refs, attrs) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return refs[arg]
        if fn == "Fn::GetAtt":
            logical, attr = arg if isinstance(arg, list) else arg.split(".", 1)
            return attrs[f"{logical}.{attr}"]
        if fn == "Fn::Sub":
            text, local = (arg[0], arg[1]) if isinstance(arg, list) else (arg, {})
            names = {**refs, **attrs, **{k: resolve(v, refs, attrs) for k, v in local.items()}}
            return SUB_VARIABLE.sub(lambda m: str(names[m.group(1)]), text)
    return {key: resolve(item, refs, attrs) for key, item in value.items()}
