"""RFC 4180 CSV of the SPEC's fields, for spreadsheets and ticket imports."""

from __future__ import annotations

import csv
import io

from scanner.findings import expand, finding_record
from scanner.model import Finding
from scanner.report._common import ReportContext, escape_controls, sorted_findings

__all__ = ["FIELDS", "render"]

FIELDS = tuple(
    finding_record(
        Finding(
            rule_id="",
            description="",
            file="",
            line=0,
            end_line=0,
            column=0,
            secret="",
            fingerprint="",
            entropy=0.0,
        )
    )
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    # Newlines are legal inside a quoted field, but control characters and lone
    # surrogates are not text a spreadsheet or a UTF-8 writer can take.
    return escape_controls(str(value), keep_newlines=True)


def render(ctx: ReportContext) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    fields = (*FIELDS, "status") if ctx.stored else FIELDS
    writer.writerow(fields)
    # A flat format: a grouped finding is a row per place it was seen.
    for finding in sorted_findings(place for grouped in ctx.findings for place in expand(grouped)):
        record = finding_record(finding, redact_secret=ctx.redact, percent=ctx.redact_percent)
        audit = ctx.audit.get(finding.fingerprint)
        record["status"] = audit.status if audit is not None else "open"
        writer.writerow([_cell(record[name]) for name in fields])
    return out.getvalue()
