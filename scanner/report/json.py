"""The SPEC's JSON array: the machine-readable record, and a valid `--baseline`."""

from __future__ import annotations

import json

from scanner.report._common import ReportContext, record_of, sorted_findings

__all__ = ["render"]


def render(ctx: ReportContext) -> str:
    records = [record_of(ctx, f) for f in sorted_findings(ctx.findings)]
    return json.dumps(records, indent=2) + "\n"
