"""The OpenAPI 3.1 document: served, self-consistent, covering every /api/v1 route."""

from __future__ import annotations

import re

import pytest

from consult.api.openapi import build_document
from consult.api.services import MAX_LIMIT, RELEVANCE, SORTS
from tests.consult.openapi_check import errors_for

PREFIX = "/api/v1"


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def _refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _api_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIX + "/")]


def _as_template(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))


def test_served_document_is_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    assert document["servers"][0]["url"] == "http://localhost/api/v1"
    assert document["paths"] == build_document()["paths"]


def test_every_api_route_is_documented_and_every_documented_path_exists(app, document):
    routes = {_as_template(rule): rule for rule in _api_rules(app)}
    assert set(routes) == set(document["paths"])
    for template, rule in routes.items():
        documented = set(document["paths"][template])
        assert documented == {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}}, template


def test_path_parameters_are_documented(app, document):
    for rule in _api_rules(app):
        template = _as_template(rule)
        for method, operation in document["paths"][template].items():
            documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert documented == set(rule.arguments), f"{method} {template}"
            assert all(p["required"] for p in operation.get("parameters", []) if p["in"] == "path")


def test_operations_are_complete(document):
    ids = []
    for template, item in document["paths"].items():
        for operation in item.values():
            ids.append(operation["operationId"])
            assert operation["summary"]
            assert "200" in operation["responses"] and "429" in operation["responses"], template
            for status, response in operation["responses"].items():
                assert response["description"]
                assert "schema" in response["content"]["application/json"], (template, status)
    assert len(ids) == len(set(ids))


def test_every_ref_resolves(document):
    schemas = document["components"]["schemas"]
    refs = set(_refs(document))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
    unused = set(schemas) - {ref.rsplit("/", 1)[1] for ref in refs}
    assert not unused


def test_list_parameters_match_the_service(document):
    parameters = {p["name"]: p for p in document["paths"]["/consultations/{slug}/contributions"]["get"]["parameters"]}
    assert set(parameters) == {"slug", "theme", "principle", "q", "sort", "limit", "cursor"}
    assert parameters["sort"]["schema"]["enum"] == [RELEVANCE, *SORTS]
    assert parameters["limit"]["schema"]["maximum"] == MAX_LIMIT


def test_checker_rejects_what_it_should(document):
    # Guard against a checker that accepts anything: each of these must produce an error.
    good = {
        "contribution_id": 1,
        "votes": {"agree": 1, "disagree": 0, "pass": 0, "total": 1},
        "scores": {"consensus": 0.5, "divisive": 0.0},
    }
    schema = {"$ref": "#/components/schemas/ContributionVotes"}
    assert errors_for(good, schema, document) == []
    bad = [
        {**good, "extra": 1},
        {key: value for key, value in good.items() if key != "scores"},
        {**good, "contribution_id": "1"},
        {**good, "votes": {**good["votes"], "agree": -1}},
        {**good, "votes": {**good["votes"], "agree": True}},
    ]
    for value in bad:
        assert errors_for(value, schema, document), value
    consultation = {"$ref": "#/components/schemas/ConsultationSummary"}
    assert any("date-time" in e for e in errors_for({"opens_at": "hier"}, consultation, document))
    assert any("is not one of" in e for e in errors_for({"status": "draft"}, consultation, document))


def test_document_passes_the_openapi_3_1_validator(document):
    from openapi_spec_validator import validate

    validate(document)  # raises on any violation of the OpenAPI 3.1 specification
