"""The OpenAPI 3.1 document of the HTTP API (`tenxyte openapi`), checked by an independent
validator (openapi-spec-validator), for every preset."""

import json

import pytest
from openapi_spec_validator import validate


@pytest.mark.parametrize("preset", ["development", "medium", "robust"])
def test_the_document_is_valid_openapi_3_1(tenxyte, preset):
    doc = json.loads(tenxyte.run("openapi", "--preset", preset).stdout)
    assert doc["openapi"] == "3.1.0"
    validate(doc)
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)) > 60
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert "default" in op["responses"], f"{method} {path}"
            assert op["security"], f"{method} {path}"


def test_application_credentials_appear_as_security_schemes(tenxyte):
    doc = json.loads(tenxyte.run("openapi", "--preset", "medium").stdout)
    login = doc["paths"]["/api/v1/auth/login/email/"]["post"]
    assert {"AccessKey": [], "AccessSecret": []} in login["security"]
    me = doc["paths"]["/api/v1/auth/me/"]["get"]
    assert "Bearer" in me["security"][0]
    health = doc["paths"]["/api/v1/auth/health/"]["get"]
    assert health["security"] == [{}]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["Bearer"]["scheme"] == "bearer"
    assert schemes["AccessKey"]["name"] == "X-Access-Key"
