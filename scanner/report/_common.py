"""Helpers every format shares: the context, ordering, redaction, rule lookup, safe text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scanner import __version__
from scanner.findings import finding_record, redact, report_order
from scanner.model import Audit, Finding, Rule, ScanStats, Standing

__all__ = [
    "INFORMATION_URI",
    "TOOL_NAME",
    "ReportContext",
    "audit_record",
    "extra_fields",
    "record_of",
    "standing_text",
    "end_column",
    "escape_controls",
    "rule_for",
    "secret_text",
    "sorted_findings",
]

TOOL_NAME = "keysweep"
INFORMATION_URI = "https://pypi.org/project/keysweep/"


@dataclass(frozen=True)
class ReportContext:
    """Everything a format needs, passed in whole so renderers stay pure functions.

    `started_at`/`finished_at` are only read by formats whose schema requires scan
    times (gitlab); pass them for reproducible output.
    """

    findings: tuple[Finding, ...]
    rules: Mapping[str, Rule] = field(default_factory=dict)
    stats: ScanStats = field(default_factory=ScanStats)
    redact: bool = True
    redact_percent: int | None = None  # `--redact=N`; None: the default view
    color: bool = False
    version: str = __version__
    command: str = ""
    scanned: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # From the datastore, by fingerprint: triage and standing (empty without a datastore).
    audit: Mapping[str, Audit] = field(default_factory=dict)
    stored: bool = False  # the audit comes from a datastore (triage, first seen, new)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """One stable order for every format, so reports diff cleanly between runs."""
    return sorted(findings, key=report_order)


def secret_text(ctx: ReportContext, finding: Finding) -> str:
    return redact(finding.secret, ctx.redact_percent) if ctx.redact else finding.secret


def rule_for(ctx: ReportContext, finding: Finding) -> Rule:
    """The finding's rule, or a stand-in built from the finding when the caller lacks it."""
    rule = ctx.rules.get(finding.rule_id)
    if rule is not None:
        return rule
    provider = finding.rule_id.split(".", 1)[0]
    return Rule(id=finding.rule_id, description=finding.description, provider=provider, pattern="")


def end_column(finding: Finding) -> int:
    """Column just past the secret's last character (SARIF's exclusive end)."""
    lines = finding.secret.split("\n")
    if len(lines) == 1 or finding.end_line == finding.line:
        return finding.column + len(lines[0])
    return len(lines[-1].rstrip("\r")) + 1


# C0/C1 controls (ESC, BEL, CR...), DEL, and lone surrogates left by surrogateescape
# decoding: shown escaped so a hostile file name or secret cannot drive the
# terminal, break a CSV row or make XML ill-formed.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _escape_one(match: re.Match[str]) -> str:
    ch = match.group(0)
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_controls(text: str, *, keep_newlines: bool = False) -> str:
    escaped = _CONTROLS.sub(_escape_one, text)
    if not keep_newlines:
        escaped = escaped.replace("\n", "\\n").replace("\t", "\\t")
    return escaped


def audit_record(ctx: ReportContext, finding: Finding) -> dict[str, Any] | None:
    """The datastore's word on a finding, for machine-readable formats (None without one)."""
    audit = ctx.audit.get(finding.fingerprint)
    if audit is None:
        return None
    record: dict[str, Any] = {
        "status": audit.status,
        "note": audit.note,
        "triaged_at": audit.triaged_at,
        "first_seen": audit.first_seen,
        "new": audit.new,
    }
    if audit.standing is not None:
        s = audit.standing
        record["standing"] = {
            "ref": s.ref,
            "present": s.present,
            "first_commit": s.first_commit,
            "first_date": s.first_date,
            "removed_commit": s.removed_commit,
            "removed_date": s.removed_date,
            "branches": s.branches,
        }
    return record


def standing_text(standing: Standing) -> str:
    """ "present at HEAD" / "removed in 1a2b3c4d5e6f (date)", and the branches."""
    if standing.present:
        where = f"present at {standing.ref}"
    elif standing.removed_commit:
        where = f"removed in {standing.removed_commit[:12]} ({standing.removed_date})"
    else:
        where = f"not at {standing.ref}, history only"
    branches = f"{standing.branches} branch{'es' if standing.branches != 1 else ''}"
    return f"{where}, reached by {branches}"


def record_of(ctx: ReportContext, finding: Finding) -> dict[str, Any]:
    """The SPEC's JSON object with the finding's `extra_fields`."""
    record = finding_record(finding, redact_secret=ctx.redact, percent=ctx.redact_percent)
    record.update(extra_fields(ctx, finding))
    return record


def extra_fields(ctx: ReportContext, finding: Finding) -> dict[str, Any]:
    """For history, `status`, `present_at_head` and `removed_in`; with a datastore, its
    `audit` record too (note, first seen, new, the whole standing)."""
    audit = ctx.audit.get(finding.fingerprint)
    if audit is None:
        return {}
    extra: dict[str, Any] = {"status": audit.status}
    if audit.standing is not None:
        extra["present_at_head"] = audit.standing.present
        extra["removed_in"] = audit.standing.removed_commit
    if ctx.stored:
        record = audit_record(ctx, finding)
        assert record is not None
        del record["status"]
        extra["audit"] = record
    return extra
