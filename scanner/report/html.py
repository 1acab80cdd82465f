"""The audit page: one self-contained HTML file that works offline in any browser.

The findings travel as JSON in a `<script type="application/json">` element and the page's
own script (html.js, inline) draws the summary, the table and the timeline from it. Nothing
is fetched: the Content-Security-Policy forbids every network request, styles and script
are inline, and the only links are the rules' provider references (http/https), followed
only when clicked. `<`, `>` and `&` are written as JSON escapes, so no field (a file name,
an author, a rule description) can close the script element; the header is HTML-escaped.
Without a datastore (`ctx.audit` empty) every finding is "open" and its first date is its
earliest location's commit date.
"""

from __future__ import annotations

import functools
import html
import json
from datetime import datetime, timezone
from importlib import resources
from typing import Any

from scanner.findings import location_record
from scanner.model import TRIAGE_STATUSES, Audit, Finding, Location
from scanner.report._common import TOOL_NAME, ReportContext, escape_controls, rule_for, secret_text, sorted_findings

__all__ = ["CSP", "render", "script_json"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

# (sort key, heading) of the findings table, in column order; the first column expands a row.
_COLUMNS = (
    ("rule", "Rule"),
    ("description", "Description"),
    ("secret", "Secret"),
    ("status", "Status"),
    ("stand", "Where it stands"),
    ("first", "First added"),
    ("places", "Locations"),
    ("branches", "Branches"),
)


@functools.cache
def _asset(name: str) -> str:
    return resources.files("scanner.report").joinpath(name).read_text(encoding="utf-8")


def _text(value: str | None) -> str | None:
    """Controls and lone surrogates escaped, as the text report shows them."""
    return None if value is None else escape_controls(value)


def _instant(date: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(date)
    except ValueError:
        return datetime.max.replace(tzinfo=timezone.utc)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _standing(places: tuple[Location, ...], audit: Audit | None) -> dict[str, Any]:
    """Where the secret stands, from the datastore when it knows, else from the locations:
    a finding with no commit was read from files as they are (present); one from history
    whose standing nobody computed is "unknown"."""
    dated = sorted((loc for loc in places if loc.date), key=lambda loc: _instant(loc.date or ""))
    earliest = dated[0] if dated else None
    standing = audit.standing if audit else None
    record: dict[str, Any] = {
        "first_commit": earliest.commit if earliest else None,
        "first_date": earliest.date if earliest else None,
        "ref": None,
        "removed_commit": None,
        "removed_date": None,
        "branches": None,
    }
    if standing is None:
        record["stand"] = "unknown" if any(loc.commit for loc in places) else "present"
        return record
    record.update(
        ref=standing.ref,
        removed_commit=standing.removed_commit,
        removed_date=standing.removed_date,
        branches=standing.branches,
    )
    if standing.first_commit:
        record["first_commit"] = standing.first_commit
    if standing.first_date:
        record["first_date"] = standing.first_date
    record["stand"] = "present" if standing.present else "removed" if standing.removed_commit else "history"
    return record


def _finding_data(ctx: ReportContext, finding: Finding) -> dict[str, Any]:
    audit = ctx.audit.get(finding.fingerprint)
    places = finding.places
    record: dict[str, Any] = {
        "fingerprint": finding.fingerprint,
        "rule": _text(finding.rule_id),
        "description": _text(finding.description),
        "secret": escape_controls(secret_text(ctx, finding), keep_newlines=True),
        "status": _text(audit.status) if audit else "open",
        "note": _text(audit.note) if audit else "",
        "triaged_at": _text(audit.triaged_at) if audit else None,
        "first_seen": _text(audit.first_seen) if audit else None,
        "new": bool(audit and audit.new),
        "locations": [
            {key: _text(value) if isinstance(value, str) else value for key, value in location_record(loc).items()}
            for loc in places
        ],
    }
    standing = _standing(places, audit)
    record.update({key: _text(value) if isinstance(value, str) else value for key, value in standing.items()})
    return record


def _rules_data(ctx: ReportContext, findings: list[Finding]) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    for finding in findings:
        rule = rule_for(ctx, finding)
        rules.setdefault(
            escape_controls(rule.id),
            {
                "description": _text(rule.description),
                "provider": _text(rule.provider),
                # Plain links to the provider's docs; anything but http(s) is dropped.
                "references": [_text(ref) for ref in rule.references if ref.startswith(("https://", "http://"))],
            },
        )
    return rules


def _data(ctx: ReportContext, generated: datetime) -> dict[str, Any]:
    findings = sorted_findings(ctx.findings)
    return {
        "tool": TOOL_NAME,
        "version": _text(ctx.version),
        "scanned": _text(ctx.scanned),
        "command": _text(ctx.command),
        "generated": generated.isoformat(timespec="seconds"),
        "redacted": ctx.redact,
        "datastore": bool(ctx.audit),
        "statuses": list(TRIAGE_STATUSES),
        "rules": _rules_data(ctx, findings),
        "findings": [_finding_data(ctx, finding) for finding in findings],
    }


def script_json(data: Any) -> str:
    """JSON safe inside a script element: `<`, `>` and `&` occur only inside JSON strings,
    where their \\u escapes read back the same, so `</script>` and `<!--` cannot appear."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _totals(ctx: ReportContext) -> list[tuple[str, str, str]]:
    """(label, value, detail) for the header."""
    stats = ctx.stats
    locations = sum(len(finding.locations) or 1 for finding in ctx.findings)
    skips = sum(count for _, count in stats.skips)
    skip_detail = ", ".join(f"{count} {reason}" for reason, count in stats.skips)
    return [
        ("Findings", f"{len(ctx.findings):,}", ""),
        ("Locations", f"{locations:,}", ""),
        ("Blobs scanned", f"{stats.blobs:,}", f"{stats.bytes:,} bytes in {stats.seconds:.2f} s"),
        ("Skipped", f"{skips:,}", skip_detail),
        ("Suppressed", str(stats.suppressed), "inline markers and allowlists"),
        ("In baseline", str(stats.baselined), ""),
    ]


def _header(ctx: ReportContext, generated: datetime) -> str:
    esc = html.escape
    command = f"{TOOL_NAME} {ctx.command}".strip()
    facts = [
        ("Scanned", ctx.scanned or "(not named)"),
        ("Command", command),
        ("Version", ctx.version),
        ("Time", generated.isoformat(timespec="seconds")),
    ]
    rows = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(escape_controls(v))}</dd></div>" for k, v in facts)
    totals = "".join(
        f'<div title="{esc(detail)}"><dt>{esc(label)}</dt><dd>{esc(value)}</dd></div>'
        for label, value, detail in _totals(ctx)
    )
    if ctx.redact:
        notice = '<p class="notice">Secrets are redacted: only a prefix (and for long ones the last four) is shown.</p>'
    else:
        notice = (
            '<p class="notice warn" role="alert">This report shows secrets unredacted (--no-redact): '
            "keep it private, and revoke what it shows.</p>"
        )
    return (
        f'<header><h1>{esc(TOOL_NAME)} audit report</h1><dl class="facts">{rows}</dl>'
        f'<dl class="totals">{totals}</dl>{notice}</header>'
    )


def _table_head() -> str:
    cells = ['<th scope="col"><span class="visually-hidden">Details</span></th>']
    for key, label in _COLUMNS:
        cells.append(
            f'<th scope="col" aria-sort="none" data-key="{key}">'
            f'<button type="button" class="sort" data-key="{key}">{html.escape(label)}'
            '<span class="arrow" aria-hidden="true"></span></button></th>'
        )
    return f"<thead><tr>{''.join(cells)}</tr></thead>"


def _summary_table(table_id: str, caption: str, headings: tuple[str, ...]) -> str:
    cells = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in headings)
    return (
        f'<table id="{table_id}" class="summary"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{cells}</tr></thead><tbody></tbody></table>"
    )


def _controls() -> str:
    def select(name: str, label: str) -> str:
        return f'<label for="f-{name}">{label}</label><select id="f-{name}"><option value="">All</option></select>'

    return (
        '<form id="controls" role="search" aria-label="Filter findings">'
        '<label for="q">Search</label>'
        '<input id="q" type="search" autocomplete="off" spellcheck="false" '
        'placeholder="rule, file, author, commit, secret">'
        f"{select('status', 'Status')}{select('rule', 'Rule')}{select('stand', 'Where it stands')}"
        '<button type="reset" id="reset">Clear filters</button></form>'
        '<p id="count" aria-live="polite"></p>'
    )


def _body(ctx: ReportContext, generated: datetime) -> str:
    summaries = (
        _summary_table("by-rule", "By rule", ("Rule", "Description", "Findings", "Open"))
        + _summary_table("by-status", "By status", ("Status", "Findings"))
        + _summary_table("by-stand", "Where they stand", ("Standing", "Findings"))
    )
    return (
        f"{_header(ctx, generated)}<main>"
        f'<section aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2>'
        f'<p class="hint">Choose a rule, a status or a standing to filter the findings.</p>'
        f'<div class="summaries">{summaries}</div></section>'
        f'<section aria-labelledby="findings-h"><h2 id="findings-h">Findings</h2>{_controls()}'
        '<table id="findings"><caption class="visually-hidden">Findings: choose a column heading to sort, '
        f"a row's button to show its locations</caption>{_table_head()}<tbody></tbody></table>"
        '<p id="empty" hidden></p><button type="button" id="more" hidden></button></section>'
        '<section aria-labelledby="timeline-h"><h2 id="timeline-h">Timeline</h2>'
        '<p class="hint">When each secret was first added, and until it was removed (or until this scan, '
        'while it is still there). Many findings: one row per rule.</p><div id="timeline"></div></section>'
        "</main><noscript><p>The tables and the timeline are drawn by this page's script: "
        "allow JavaScript to see them. The data is in the element keysweep-data.</p></noscript>"
    )


def render(ctx: ReportContext) -> str:
    generated = ctx.finished_at or datetime.now(timezone.utc)
    data = _data(ctx, generated)
    title = f"{TOOL_NAME} audit report: {escape_controls(ctx.scanned or 'scan')}"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{_asset('html.css')}</style>\n</head>\n<body>\n"
        f"{_body(ctx, generated)}\n"
        f'<script type="application/json" id="keysweep-data">{script_json(data)}</script>\n'
        f"<script>\n{_asset('html.js')}</script>\n</body>\n</html>\n"
    )
