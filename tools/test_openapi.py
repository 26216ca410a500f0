"""The OpenAPI document that `proscore serve` ships at /openapi.yaml is valid OpenAPI 3.1."""
from pathlib import Path

import pytest

SPEC = Path(__file__).resolve().parent.parent / "Sources/ProscoreServer/Web/openapi.yaml"


def test_openapi_document_is_valid():
    yaml = pytest.importorskip("yaml")
    validator = pytest.importorskip("openapi_spec_validator")
    spec = yaml.safe_load(SPEC.read_text())
    assert spec["openapi"].startswith("3.1")
    validator.validate(spec)
    assert {"/v1/score", "/v1/sessions", "/v1/sessions/{id}", "/v1/sessions/{id}/report", "/healthz", "/metrics"} <= set(spec["paths"])
