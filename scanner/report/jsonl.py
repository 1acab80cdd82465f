"""One JSON object a line: streams into log pipelines and `jq -c`; also a valid `--baseline`."""

from __future__ import annotations

import json

from scanner.report._common import ReportContext, record_of, sorted_findings

__all__ = ["render"]


def render(ctx: ReportContext) -> str:
    return "".join(json.dumps(record_of(ctx, f)) + "\n" for f in sorted_findings(ctx.findings))
