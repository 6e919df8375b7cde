"""Validate API responses against the schemas of our OpenAPI 3.1 document, with jsonschema (draft 2020-12).

Formats are checked too (date-time with an offset, absolute http(s) URIs): jsonschema only checks them
through optional packages, so the two we use are registered here.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker

FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("date-time without offset")
    return True


@FORMATS.checks("uri")
def _uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def errors_for(value, schema: dict, document: dict, path: str = "$") -> list[str]:
    """Return the list of violations of `schema` by `value` (empty when valid)."""
    # Local "#/components/..." references resolve against the root: give the root the document's components.
    root = {**schema, "components": document.get("components", {})}
    validator = Draft202012Validator(root, format_checker=FORMATS)
    return [
        f"{path}{''.join(f'[{p!r}]' for p in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(value)
    ]


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
