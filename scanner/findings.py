"""Findings stage: fingerprint, redaction, suppression (inline, allowlist, baseline)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from scanner.errors import BaselineError
from scanner.model import Blob, Finding, Match, Provenance, Rule
from scanner.rules import Allowlist

__all__ = [
    "INLINE_ALLOW_MARKERS",
    "fingerprint",
    "redact",
    "finding_record",
    "is_inline_allowed",
    "load_baseline",
    "build_findings",
]

INLINE_ALLOW_MARKERS = ("keysweep:allow", "gitleaks:allow", "pragma: allowlist secret")


def fingerprint(rule_id: str, secret: str) -> str:
    """Rule + secret only: stable across line shifts, moves, rebases and commits."""
    secret_hash = hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()
    return hashlib.sha256(f"{rule_id}:{secret_hash}".encode()).hexdigest()[:32]


def redact(secret: str) -> str:
    """Keep a short prefix (enough to tell `ghp_` from `sk_live`), hide the rest and the length."""
    keep = min(4, len(secret) // 5)
    return secret[:keep] + "*****"


def finding_record(finding: Finding, *, redact_secret: bool = True) -> dict[str, Any]:
    """The JSON object of SPEC.md, the shape every machine-readable format starts from."""
    return {
        "rule_id": finding.rule_id,
        "description": finding.description,
        "file": finding.file,
        "line": finding.line,
        "end_line": finding.end_line,
        "column": finding.column,
        "secret": redact(finding.secret) if redact_secret else finding.secret,
        "fingerprint": finding.fingerprint,
        "entropy": round(finding.entropy, 4),
        "commit": finding.commit,
        "author": finding.author,
        "email": finding.email,
        "date": finding.date,
    }


def is_inline_allowed(line_text: str) -> bool:
    return any(marker in line_text for marker in INLINE_ALLOW_MARKERS)


def _sarif_fingerprints(path: Path, log: dict[str, Any]) -> frozenset[str]:
    """Fingerprints of keysweep's own SARIF, so the report uploaded to code scanning is also
    the baseline. Each result's `partialFingerprints` value is `<fingerprint>:<path hash>`;
    `properties.fingerprint` holds the fingerprint alone, for logs whose partials were dropped.
    Another tool's SARIF is refused: its results have no keysweep fingerprint to match."""
    # Imported here: scanner.report imports this module.
    from scanner.report._common import TOOL_NAME
    from scanner.report.sarif import FINGERPRINT_KEY

    bad = f"baseline {path} is not a keysweep JSON report"
    runs = log.get("runs")
    if not isinstance(runs, list) or not runs:
        raise BaselineError(f"{bad}: SARIF log without runs")
    prints = set()
    for run in runs:
        tool = run.get("tool") if isinstance(run, dict) else None
        driver = tool.get("driver") if isinstance(tool, dict) else None
        if not isinstance(driver, dict) or driver.get("name") != TOOL_NAME:
            raise BaselineError(f"{bad}: SARIF run not written by {TOOL_NAME}")
        results = run.get("results")
        if not isinstance(results, list):
            raise BaselineError(f"{bad}: SARIF run without results")
        for result in results:
            partial = result.get("partialFingerprints") if isinstance(result, dict) else None
            props = result.get("properties") if isinstance(result, dict) else None
            value = partial.get(FINGERPRINT_KEY) if isinstance(partial, dict) else None
            if isinstance(value, str) and value.partition(":")[0]:
                prints.add(value.partition(":")[0])
            elif isinstance(props, dict) and isinstance(props.get("fingerprint"), str):
                prints.add(props["fingerprint"])
            else:
                raise BaselineError(f"{bad}: SARIF result without a '{FINGERPRINT_KEY}' fingerprint")
    return frozenset(prints)


def load_baseline(path: Path) -> frozenset[str]:
    """Fingerprints of a previous JSON, JSONL or SARIF report."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    # PowerShell's `>` writes UTF-16 with a BOM, Notepad UTF-8 with a BOM: both are still reports.
    encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise BaselineError(f"baseline {path} is not a keysweep JSON report: not UTF-8 text") from None
    records: list[Any]
    try:
        data = json.loads(text) if text.strip() else []
        if isinstance(data, dict) and "runs" in data:
            return _sarif_fingerprints(path, data)
        records = data if isinstance(data, list) else [data]
    except json.JSONDecodeError:
        try:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise BaselineError(
                f"baseline {path} is not a keysweep JSON report: line {exc.lineno}: {exc.msg}"
            ) from None
    prints = set()
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("fingerprint"), str):
            raise BaselineError(f"baseline {path} is not a keysweep JSON report: no 'fingerprint'")
        prints.add(record["fingerprint"])
    return frozenset(prints)


class Suppressor:
    """Config allowlist + inline markers + baseline, compiled once per scan."""

    def __init__(self, allowlist: Allowlist, baseline: frozenset[str] = frozenset()) -> None:
        import regex

        self._paths = [(n, regex.compile(p)) for n, p in enumerate(allowlist.paths, 1)]
        self._regexes = [(n, regex.compile(p)) for n, p in enumerate(allowlist.regexes, 1)]
        self._stopwords = allowlist.stopwords
        self.baseline = baseline
        # Allowlist patterns that timed out, for the CLI to report; each is dropped at once.
        self.warnings: list[str] = []

    def _any(self, patterns: list[tuple[int, Any]], text: str, field: str) -> bool:
        """A hostile allowlist regex is switched off (its findings are reported), never fatal.

        The warning names the pattern by position only: an allowlist regex may spell out a secret.
        """
        for entry in list(patterns):
            try:
                if entry[1].search(text, timeout=1.0):
                    return True
            except TimeoutError:
                patterns.remove(entry)
                self.warnings.append(
                    f"allowlist.{field} pattern #{entry[0]} timed out after 1s and was disabled "
                    "for this scan: it backtracks catastrophically"
                )
        return False

    def path_allowed(self, path: str) -> bool:
        return self._any(self._paths, path, "paths")

    def secret_allowed(self, secret: str, line_text: str) -> bool:
        if is_inline_allowed(line_text):
            return True
        lowered = secret.lower()
        if any(word in lowered for word in self._stopwords):
            return True
        return self._any(self._regexes, secret, "regexes")


def build_findings(
    blob: Blob, matches: Sequence[Match], rules: dict[str, Rule], suppressor: Suppressor
) -> tuple[list[Finding], int, int]:
    """One finding per match and path the blob was seen at; returns (findings, suppressed, baselined)."""
    findings: list[Finding] = []
    suppressed = baselined = 0
    provenance: Iterable[Provenance] = blob.provenance or (Provenance(path=""),)
    for match in matches:
        if suppressor.secret_allowed(match.secret, match.line_text):
            suppressed += 1
            continue
        print_ = fingerprint(match.rule_id, match.secret)
        if print_ in suppressor.baseline:
            baselined += 1
            continue
        for place in provenance:
            if suppressor.path_allowed(place.path):
                suppressed += 1
                continue
            findings.append(
                Finding(
                    rule_id=match.rule_id,
                    description=rules[match.rule_id].description,
                    file=place.path,
                    line=match.line,
                    end_line=match.end_line,
                    column=match.column,
                    secret=match.secret,
                    fingerprint=print_,
                    entropy=match.entropy,
                    commit=place.commit,
                    author=place.author,
                    email=place.email,
                    date=place.date,
                    blob_id=blob.id,
                )
            )
    return findings, suppressed, baselined


def collapse(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per secret and path, the earliest commit's; sorted for stable output."""
    best: dict[tuple[str, str], Finding] = {}
    for finding in findings:
        key = (finding.fingerprint, finding.file)
        current = best.get(key)
        if current is None or _earlier(finding, current):
            best[key] = finding
    return sorted(best.values(), key=lambda f: (f.file, f.line, f.column, f.rule_id, f.commit or ""))


def _earlier(a: Finding, b: Finding) -> bool:
    if a.date and b.date and a.date != b.date:
        try:
            return _instant(a.date) < _instant(b.date)
        except ValueError:
            return a.date < b.date
    return (a.line, a.column, a.commit or "") < (b.line, b.column, b.commit or "")


__all__ += ["Suppressor", "collapse"]


def _instant(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
