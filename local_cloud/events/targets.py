"""What EventBridge hands a target: the event as the service shapes it, and a target's Input, InputPath or
InputTransformer applied to it (PutTargets and "Transforming target input" in the EventBridge guide)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

__all__ = ["envelope", "json_path", "render_template", "target_input"]

_SEGMENT = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.:-]+)>")


def envelope(event: dict[str, Any]) -> dict[str, Any]:
    """The event as targets receive it: the documented fields only, `time` as ISO-8601 UTC seconds."""
    moment = event.get("time")
    if isinstance(moment, int | float):
        moment = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": "0",
        "id": event["id"],
        "detail-type": event["detail-type"],
        "source": event["source"],
        "account": event["account"],
        "time": moment,
        "region": event.get("region", ""),
        "resources": event.get("resources", []),
        "detail": event.get("detail", {}),
    }


def json_path(path: str, document: Any) -> tuple[bool, Any]:
    """Follow a simple JSONPath ($, .name, [n], ['name']); return (found, value)."""
    if not path.startswith("$"):
        raise ValueError(f"not a JSONPath: {path!r}")
    value, rest = document, path[1:]
    while rest:
        step = _SEGMENT.match(rest)
        if step is None:
            raise ValueError(f"unsupported JSONPath: {path!r}")
        name, index, quoted = step.groups()
        key: Any = int(index) if index is not None else (quoted if quoted is not None else name)
        in_object = isinstance(value, dict) and isinstance(key, str) and key in value
        in_array = isinstance(value, list) and isinstance(key, int) and key < len(value)
        if in_object or in_array:
            value = value[key]
        else:
            return False, None
        rest = rest[step.end() :]
    return True, value


def render_template(template: str, values: dict[str, Any]) -> str:
    """An InputTemplate with its placeholders filled, as EventBridge fills them.

    In a JSON template a placeholder outside quotes becomes the value as JSON (a string gets its quotes);
    inside a quoted string it becomes the raw text. A text template gets raw text. A path that matched
    nothing creates no variable (the service's words); it renders as null, or empty inside text.
    """
    is_json = template.lstrip()[:1] in ("{", "[")
    out: list[str] = []
    in_string = False
    position = 0
    while position < len(template):
        char = template[position]
        if is_json and char == '"' and (position == 0 or template[position - 1] != "\\"):
            in_string = not in_string
        found = _PLACEHOLDER.match(template, position) if char == "<" else None
        if found and found.group(1) in values:
            value = values[found.group(1)]
            if is_json and not in_string:
                out.append(json.dumps(value))
            elif isinstance(value, str):
                out.append(value)
            else:
                out.append("" if value is None else json.dumps(value))
            position = found.end()
            continue
        out.append(char)
        position += 1
    return "".join(out)


def target_input(target: dict[str, Any], event: dict[str, Any], rule_arn: str, rule_name: str) -> str:
    """The text a target receives: Input as given, InputPath's selection, InputTransformer's rendering,
    else the whole event."""
    whole = envelope(event)
    if "Input" in target:
        return str(target["Input"])
    if "InputPath" in target:
        return json.dumps(json_path(target["InputPath"], whole)[1])
    transformer = target.get("InputTransformer")
    if not transformer:
        return json.dumps(whole)
    values: dict[str, Any] = {}
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        found, value = json_path(path, whole)
        values[name] = value if found else None
    values.update(
        {
            "aws.events.rule-arn": rule_arn,
            "aws.events.rule-name": rule_name,
            "aws.events.event": whole,
            "aws.events.event.json": whole,
            "aws.events.event.ingestion-time": whole["time"],
        }
    )
    return render_template(str(transformer["InputTemplate"]), values)
