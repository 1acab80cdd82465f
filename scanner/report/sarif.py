"""SARIF 2.1.0, shaped for GitHub code scanning upload (`github/codeql-action/upload-sarif`).

GitHub reads `security-severity` to rank alerts and `partialFingerprints` to
recognise the same alert across runs; both are set here so a line shift or a
rebase keeps one alert instead of opening a new one.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import quote

from scanner.model import UNCHECKED_REASONS, Finding, Location, Rule
from scanner.report._common import (
    INFORMATION_URI,
    TOOL_NAME,
    ReportContext,
    end_column,
    extra_fields,
    rule_for,
    secret_text,
    sorted_findings,
)

__all__ = ["FINGERPRINT_KEY", "SCHEMA_URI", "render", "rule_severity"]

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "keysweep/v1"


def rule_severity(rule: Rule) -> tuple[str, str]:
    """(precision, security-severity): a provider-specific token is a sure, critical leak;
    a generic rule (negative priority) matches by context and is less certain."""
    if rule.priority < 0 or rule.provider == "generic":
        return "medium", "7.0"
    return "high", "9.0"


def _rule_name(rule_id: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", rule_id))


def _descriptor(rule: Rule) -> dict[str, Any]:
    precision, severity = rule_severity(rule)
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": _rule_name(rule.id),
        "shortDescription": {"text": rule.description},
        "fullDescription": {
            "text": f"{rule.description} ({rule.provider}). A credential in source code or "
            "history is exposed to everyone who can read it: revoke or rotate it with the "
            "provider, then remove it."
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {
            # A gitleaks rule's own `tags` follow keysweep's.
            "tags": list(dict.fromkeys(["security", "secret", rule.provider, *rule.tags])),
            "precision": precision,
            "security-severity": severity,
        },
    }
    if rule.references:
        descriptor["helpUri"] = rule.references[0]
        refs = "\n".join(f"- {ref}" for ref in rule.references)
        descriptor["help"] = {
            "text": f"{rule.description}. Revoke or rotate the credential, then remove it "
            f"from the repository.\n\nReferences:\n{refs}",
            "markdown": f"**{rule.description}**\n\nRevoke or rotate the credential, then "
            f"remove it from the repository.\n\nReferences:\n{refs}",
        }
    return descriptor


def _location_fingerprint(finding: Finding) -> str:
    """The SPEC fingerprint (rule + secret) joined with the path: stable across line shifts
    and commits, yet one alert per file when the same secret is pasted in several places."""
    path_hash = hashlib.sha256(finding.file.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f"{finding.fingerprint}:{path_hash}"


def _result(ctx: ReportContext, finding: Finding, rule_index: int) -> dict[str, Any]:
    secret = secret_text(ctx, finding)
    message = f"{finding.description} found: {secret}"
    if finding.commit:
        message += f" (commit {finding.commit[:12]})"
    region: dict[str, Any] = {
        "startLine": finding.line,
        "startColumn": finding.column,
        "endLine": finding.end_line,
        "endColumn": end_column(finding),
        "snippet": {"text": secret},
    }
    properties: dict[str, Any] = {"fingerprint": finding.fingerprint}
    for key in ("commit", "author", "email", "date"):
        value = getattr(finding, key)
        if value:
            properties[key] = value
    result = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": "error",
        "message": {"text": message},
        "locations": [{"physicalLocation": _physical(finding.file, region)}],
        "partialFingerprints": {FINGERPRINT_KEY: _location_fingerprint(finding)},
        "properties": properties,
    }
    extra = extra_fields(ctx, finding)
    properties.update(extra)
    if extra.get("status") in ("false-positive", "accepted-risk"):
        # Code scanning shows a result triaged away as dismissed, not as an open alert.
        justification = extra.get("audit", {}).get("note") or extra["status"]
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": justification}]
    if len(finding.locations) > 1:
        # One result per secret; the other places it was seen are related locations.
        result["relatedLocations"] = [_related(i, loc) for i, loc in enumerate(finding.locations[1:], 1)]
    return result


def _physical(file: str, region: dict[str, Any]) -> dict[str, Any]:
    return {
        "artifactLocation": {"uri": quote(file, safe="/", errors="surrogateescape"), "uriBaseId": "%SRCROOT%"},
        "region": region,
    }


def _related(index: int, loc: Location) -> dict[str, Any]:
    region = {"startLine": loc.line, "startColumn": loc.column, "endLine": loc.end_line}
    text = f"also here (commit {loc.commit[:12]})" if loc.commit else "also here"
    return {"id": index, "physicalLocation": _physical(loc.file, region), "message": {"text": text}}


def _invocation(ctx: ReportContext) -> dict[str, Any]:
    """Whether every check ran: a skip that left content unchecked is a notification, and
    makes the run unsuccessful, as `--strict` does to the exit code."""
    unchecked = [(reason, n) for reason, n in ctx.stats.skips if reason in UNCHECKED_REASONS]
    return {
        "executionSuccessful": not unchecked,
        "toolExecutionNotifications": [
            {
                "descriptor": {"id": reason},
                "level": "warning",
                "message": {"text": f"{n} {'input' if n == 1 else 'inputs'} not fully checked: {reason}"},
            }
            for reason, n in unchecked
        ],
    }


def render(ctx: ReportContext) -> str:
    findings = sorted_findings(ctx.findings)
    # Only the rules that produced results: a clean scan's log stays a few hundred bytes
    # instead of describing the whole pack (rules list --format json has that).
    rules: dict[str, Rule] = {}
    for finding in findings:
        rules.setdefault(finding.rule_id, rule_for(ctx, finding))
    ordered = sorted(rules)
    index = {rule_id: i for i, rule_id in enumerate(ordered)}
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": ctx.version,
                        "semanticVersion": ctx.version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_descriptor(rules[rule_id]) for rule_id in ordered],
                    }
                },
                "invocations": [_invocation(ctx)],
                "results": [_result(ctx, f, index[f.rule_id]) for f in findings],
                "columnKind": "unicodeCodePoints",
                "properties": {"skipped": dict(ctx.stats.skips)},
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
