"""JUnit XML: one failing testcase per finding, so any CI test-report view shows leaks."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from scanner.model import Finding
from scanner.report._common import (
    TOOL_NAME,
    ReportContext,
    escape_controls,
    secret_text,
    sorted_findings,
)

__all__ = ["render"]


def _clean(text: object) -> str:
    """XML 1.0 cannot carry most control characters even escaped: show them as \\xNN."""
    return escape_controls(str(text), keep_newlines=True)


def _failure_body(ctx: ReportContext, finding: Finding) -> str:
    lines = [
        f"rule: {finding.rule_id}",
        f"description: {finding.description}",
        f"confidence: {finding.confidence}",
        f"location: {finding.file}:{finding.line}:{finding.column}",
        f"secret: {secret_text(ctx, finding)}",
        f"fingerprint: {finding.fingerprint}",
    ]
    for key in ("commit", "author", "email", "date"):
        value = getattr(finding, key)
        if value:
            lines.append(f"{key}: {value}")
    return _clean("\n".join(lines))


def render(ctx: ReportContext) -> str:
    findings = sorted_findings(ctx.findings)
    tests = max(len(findings), 1)
    seconds = f"{ctx.stats.seconds:.3f}"
    counts = {"tests": str(tests), "failures": str(len(findings)), "errors": "0"}
    root = ET.Element("testsuites", {"name": TOOL_NAME, **counts, "time": seconds})
    suite_name = f"{TOOL_NAME} {ctx.command}".strip()
    suite = ET.SubElement(root, "testsuite", {"name": _clean(suite_name), **counts, "skipped": "0", "time": seconds})
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "version", "value": _clean(ctx.version)})
    if ctx.scanned:
        ET.SubElement(props, "property", {"name": "scanned", "value": _clean(ctx.scanned)})
    if not findings:
        ET.SubElement(suite, "testcase", {"classname": TOOL_NAME, "name": "no leaks found"})
    for finding in findings:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": _clean(finding.rule_id),
                "name": _clean(f"{finding.file}:{finding.line}:{finding.column}"),
                "file": _clean(finding.file),
                "line": str(finding.line),
            },
        )
        failure = ET.SubElement(
            case,
            "failure",
            {
                "type": _clean(finding.rule_id),
                "message": _clean(f"{finding.description}: {secret_text(ctx, finding)}"),
            },
        )
        failure.text = _failure_body(ctx, finding)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
