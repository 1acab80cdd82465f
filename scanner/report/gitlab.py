"""GitLab's secret-detection report (`artifacts:reports:secret_detection`), schema 15.x.

Schema 15 dropped `vulnerabilities[].category`, `.scanner`, `.cve` and `.message`:
the report type and the scanner are named once, in `scan`. GitLab validates a
15.0.x report against the newest 15.0 patch it vendors.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from scanner.model import Finding
from scanner.report._common import (
    INFORMATION_URI,
    TOOL_NAME,
    ReportContext,
    rule_for,
    secret_text,
    sorted_findings,
)

__all__ = ["SCHEMA_VERSION", "render"]

SCHEMA_VERSION = "15.0.7"
# No commit outside `git` scans, but the schema requires `location.commit.sha`.
NO_COMMIT = "0" * 40
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, INFORMATION_URI)


def _stamp(moment: datetime) -> str:
    """The schema's pattern: `YYYY-MM-DDTHH:MM:SS`, no zone (UTC), no fraction."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _times(ctx: ReportContext) -> tuple[str, str]:
    end = ctx.finished_at or datetime.now(timezone.utc)
    start = ctx.started_at or end - timedelta(seconds=ctx.stats.seconds)
    return _stamp(start), _stamp(end)


def _vulnerability(ctx: ReportContext, finding: Finding) -> dict[str, Any]:
    rule = rule_for(ctx, finding)
    commit: dict[str, Any] = {"sha": finding.commit or NO_COMMIT}
    if finding.author:
        commit["author"] = finding.author
    if finding.date:
        commit["date"] = finding.date
    identifier: dict[str, Any] = {
        "type": "keysweep_rule_id",
        "name": f"keysweep rule {finding.rule_id}",
        "value": finding.rule_id,
    }
    if rule.references:
        identifier["url"] = rule.references[0]
    # One id per occurrence, the same on every run: GitLab tracks vulnerabilities by it.
    key = f"{finding.fingerprint}\0{finding.file}\0{finding.line}\0{finding.commit or ''}"
    # uuid5 encodes strictly; a path with lone surrogates (undecodable bytes) must not crash it.
    key = key.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return {
        "id": str(uuid.uuid5(_ID_NAMESPACE, key)),
        "name": finding.description,
        "description": (
            f"{finding.description} found in {finding.file} at line {finding.line}: "
            f"{secret_text(ctx, finding)} ({finding.confidence} confidence). Revoke or rotate "
            "it, then remove it from the repository history."
        ),
        "severity": "Critical",
        "location": {
            "file": finding.file,
            "start_line": finding.line,
            "end_line": finding.end_line,
            "commit": commit,
        },
        "identifiers": [identifier],
    }


def render(ctx: ReportContext) -> str:
    start, end = _times(ctx)
    tool = {
        "id": TOOL_NAME,
        "name": TOOL_NAME,
        "version": ctx.version,
        "vendor": {"name": TOOL_NAME},
    }
    report = {
        "version": SCHEMA_VERSION,
        "scan": {
            "analyzer": dict(tool),
            "scanner": {**tool, "url": INFORMATION_URI},
            "type": "secret_detection",
            "start_time": start,
            "end_time": end,
            "status": "success",
        },
        "vulnerabilities": [_vulnerability(ctx, f) for f in sorted_findings(ctx.findings)],
    }
    return json.dumps(report, indent=2) + "\n"
