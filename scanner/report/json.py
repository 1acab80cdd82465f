"""The SPEC's JSON array: the machine-readable record, and a valid `--baseline`."""

from __future__ import annotations

import json

from scanner.findings import finding_record
from scanner.report._common import ReportContext, sorted_findings

__all__ = ["render"]


def render(ctx: ReportContext) -> str:
    records = [
        finding_record(f, redact_secret=ctx.redact, percent=ctx.redact_percent) for f in sorted_findings(ctx.findings)
    ]
    return json.dumps(records, indent=2) + "\n"
