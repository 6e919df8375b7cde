"""A small JSON Schema checker for the subset our OpenAPI 3.1 document uses.

No JSON-schema package (jsonschema, openapi-core) is installed, hence this file.

Supported keywords: $ref (local), type (name or list), properties, required, additionalProperties,
items, enum, oneOf, allOf, minimum, maximum, minLength, maxLength, format (date-time, uri).
Any other keyword makes the checker fail loudly, so the document cannot silently outgrow it.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

KNOWN = {
    "$ref",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "oneOf",
    "allOf",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "format",
    "description",
    "default",
}
TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _resolve(document: dict, ref: str) -> dict:
    assert ref.startswith("#/"), f"only local $ref supported: {ref}"
    node = document
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _check_format(fmt: str, value: str, path: str) -> list[str]:
    if fmt == "date-time":
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return [f"{path}: not a date-time: {value!r}"]
        return [] if parsed.tzinfo else [f"{path}: date-time without offset: {value!r}"]
    if fmt == "uri":
        parts = urlsplit(value)
        return [] if parts.scheme in ("http", "https") and parts.netloc else [f"{path}: not an absolute URI: {value!r}"]
    return [f"{path}: unsupported format {fmt}"]


def errors_for(value, schema: dict, document: dict, path: str = "$") -> list[str]:
    """Return the list of violations of `schema` by `value` (empty when valid)."""
    unknown = set(schema) - KNOWN
    assert not unknown, f"{path}: checker does not support {sorted(unknown)}"
    if "$ref" in schema:
        return errors_for(value, _resolve(document, schema["$ref"]), document, path)
    problems: list[str] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[name](value) for name in names):
            return [f"{path}: expected {names}, got {type(value).__name__} {value!r:.80}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} not in {schema['enum']}")
    if "oneOf" in schema:
        matches = sum(not errors_for(value, option, document, path) for option in schema["oneOf"])
        if matches != 1:
            problems.append(f"{path}: matches {matches} of the oneOf options, expected exactly 1")
    for option in schema.get("allOf", []):
        problems += errors_for(value, option, document, path)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{path}: {value} < minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{path}: {value} > maximum {schema['maximum']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            problems.append(f"{path}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{path}: longer than {schema['maxLength']}")
        if "format" in schema:
            problems += _check_format(schema["format"], value, path)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{path}: missing required {name!r}")
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in properties:
                problems += errors_for(item, properties[name], document, f"{path}.{name}")
            elif extra is False:
                problems.append(f"{path}: unexpected property {name!r}")
            elif isinstance(extra, dict):
                problems += errors_for(item, extra, document, f"{path}.{name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += errors_for(item, schema["items"], document, f"{path}[{index}]")
    return problems


def find_operation(document: dict, path: str, method: str = "get") -> tuple[str, dict]:
    """Return (path template, operation) of the document matching a concrete request path."""
    base = urlsplit(document["servers"][0]["url"]).path.rstrip("/")
    for template, item in document["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(base + template))
        if re.fullmatch(pattern, path) and method in item:
            return template, item[method]
    raise AssertionError(f"{method.upper()} {path} is not documented")


def check_response(document: dict, path: str, status: int, body, method: str = "get") -> None:
    """Assert that the status is documented for this operation and the body matches its schema."""
    template, operation = find_operation(document, path, method)
    responses = operation["responses"]
    assert str(status) in responses, f"{method.upper()} {template}: status {status} not documented"
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    problems = errors_for(body, schema, document)
    assert not problems, f"{method.upper()} {template} {status}:\n" + "\n".join(problems[:20])
