"""The human report: findings grouped by file, coloured only when asked."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from scanner.model import Audit, Finding, ScanStats
from scanner.report._common import ReportContext, escape_controls, secret_text, sorted_findings, standing_text

__all__ = ["render", "summary_line"]

_RESET = "\x1b[0m"
_STYLES = {
    "file": "\x1b[1;4m",
    "pos": "\x1b[36m",
    "rule": "\x1b[1;31m",
    "secret": "\x1b[33m",
    "label": "\x1b[2m",
}


class _Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, style: str, text: str) -> str:
        return f"{_STYLES[style]}{text}{_RESET}" if self.enabled else text


def _provenance(finding: Finding) -> str:
    parts = []
    if finding.commit:
        parts.append(finding.commit[:12])
    who = finding.author or ""
    if finding.email:
        who = f"{who} <{finding.email}>".strip()
    if who:
        parts.append(who)
    if finding.date:
        parts.append(finding.date)
    return "  ".join(escape_controls(p) for p in parts)


def render(ctx: ReportContext) -> str:
    paint = _Painter(ctx.color)
    findings = sorted_findings(ctx.findings)
    if not findings:
        return ""  # the summary line on stderr says "no leaks found", once
    lines: list[str] = []
    for path, group in groupby(findings, key=lambda f: f.file):
        if lines:
            lines.append("")
        lines.append(paint("file", escape_controls(path)))
        for finding in group:
            pos = f"{finding.line}:{finding.column}"
            lines.append(
                f"  {paint('pos', pos)}  {paint('rule', escape_controls(finding.rule_id))}  "
                f"{escape_controls(finding.description)}"
            )
            pad = " " * (len(pos) + 4)
            secret = escape_controls(secret_text(ctx, finding))
            lines.append(f"{pad}{paint('label', 'secret:')}      {paint('secret', secret)}")
            provenance = _provenance(finding)
            if provenance:
                lines.append(f"{pad}{paint('label', 'commit:')}      {provenance}")
            lines.append(f"{pad}{paint('label', 'fingerprint:')} {finding.fingerprint}")
            if len(finding.locations) > 1:
                lines.append(f"{pad}{paint('label', 'also:')}        {_more(finding)}")
            audit = ctx.audit.get(finding.fingerprint)
            if audit is not None and ctx.stored:
                lines.append(f"{pad}{paint('label', 'status:')}      {_audit_text(audit)}")
            elif audit is not None and audit.standing is not None:
                lines.append(f"{pad}{paint('label', 'now:')}         {escape_controls(standing_text(audit.standing))}")
    return "\n".join(lines) + "\n"


def _audit_text(audit: Audit) -> str:
    parts = [audit.status + (" (new)" if audit.new else "")]
    if audit.standing is not None:
        parts.append(standing_text(audit.standing))
    if audit.note:
        parts.append(f"note: {audit.note}")
    return escape_controls("; ".join(parts))


def _more(finding: Finding) -> str:
    """ "+237 more", naming the first few other places (`--no-group` lists each)."""
    others = finding.locations[1:]
    shown = ", ".join(escape_controls(f"{loc.file}:{loc.line}") for loc in others[:3])
    return f"+{len(others)} more ({shown}{', ...' if len(others) > 3 else ''})"


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def summary_line(stats: ScanStats, findings: Sequence[Finding]) -> str:
    """The one line the CLI prints on stderr at the end of a scan."""
    scanned = f"{stats.blobs} blob{'s' if stats.blobs != 1 else ''}, {_size(stats.bytes)}"
    if stats.reused:
        scanned += f", {stats.reused} matched before"
    scanned += f", {stats.seconds:.2f} s"
    extras = []
    if stats.suppressed:
        extras.append(f"{stats.suppressed} suppressed")
    if stats.baselined:
        extras.append(f"{stats.baselined} in baseline")
    if stats.skips:
        # By reason: "3 skipped" alone does not say whether anything was left unchecked.
        extras.append("skipped: " + ", ".join(f"{count} {reason}" for reason, count in stats.skips))
    detail = scanned + ("; " + ", ".join(extras) if extras else "")
    if not findings:
        return f"keysweep: no leaks found ({detail})"
    files = len({loc.file for f in findings for loc in f.locations} | {f.file for f in findings})
    leaks = f"{len(findings)} leak{'s' if len(findings) != 1 else ''}"
    places = sum(len(f.locations) for f in findings)
    if places > len(findings):
        leaks += f" ({places} locations)"
    return f"keysweep: {leaks} found in {files} file{'s' if files != 1 else ''} ({detail})"
