"""One JSON object a line: streams into log pipelines and `jq -c`; also a valid `--baseline`."""

from __future__ import annotations

import json

from scanner.findings import finding_record
from scanner.report._common import ReportContext, sorted_findings

__all__ = ["render"]


def render(ctx: ReportContext) -> str:
    return "".join(
        json.dumps(finding_record(f, redact_secret=ctx.redact, percent=ctx.redact_percent)) + "\n"
        for f in sorted_findings(ctx.findings)
    )
