"""Findings stage: fingerprint, redaction, suppression (inline, allowlist, baseline), and
one finding per secret and path."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from scanner.model import INLINE_ALLOW_MARKERS, Blob, Finding, Location, Match, Provenance, Rule
from scanner.rules import Allowlist

__all__ = [
    "Suppressor",
    "build_findings",
    "collapse",
    "expand",
    "finding_record",
    "fingerprint",
    "group_by_secret",
    "is_inline_allowed",
    "location_record",
    "redact",
    "report_order",
]


def fingerprint(rule_id: str, secret: str) -> str:
    """Rule + secret only: stable across line shifts, moves, rebases and commits."""
    secret_hash = hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()
    return hashlib.sha256(f"{rule_id}:{secret_hash}".encode()).hexdigest()[:32]


# Secrets at least this long also show their last four characters: with at most four
# at the start, a third at most is shown, and what is hidden is still far too much to guess.
_TAIL_FROM = 24


def redact(secret: str, percent: int | None = None) -> str:
    """A short prefix (enough to tell `ghp_` from `sk_live`) and, for long secrets, the last
    four characters (enough to tell two tokens apart); the rest and the length hidden.
    `percent` (`--redact=N`): hide N percent, showing only the start of the rest."""
    if percent is not None:
        return secret[: len(secret) * (100 - percent) // 100] + "*****"
    keep = min(4, len(secret) // 5)
    return secret[:keep] + "*****" + (secret[-4:] if len(secret) >= _TAIL_FROM else "")


def report_order(finding: Finding) -> tuple[str, int, int, str, str, str]:
    """One stable order for every format, so reports diff cleanly between runs."""
    return (finding.file, finding.line, finding.column, finding.rule_id, finding.commit or "", finding.fingerprint)


def location_of(finding: Finding) -> Location:
    return Location(
        file=finding.file,
        line=finding.line,
        end_line=finding.end_line,
        column=finding.column,
        commit=finding.commit,
        author=finding.author,
        email=finding.email,
        date=finding.date,
        blob_id=finding.blob_id,
        order=finding.order,
    )


def group_by_secret(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """One finding per fingerprint (rule + secret), at its first place in report order,
    carrying every place it was seen: a fixture copied into 239 blobs is one finding."""
    groups: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=report_order):
        groups.setdefault(finding.fingerprint, []).append(finding)
    return tuple(
        replace(members[0], locations=tuple(location_of(member) for member in members)) for members in groups.values()
    )


def expand(finding: Finding) -> list[Finding]:
    """A grouped finding back as one finding per place (for flat formats such as CSV)."""
    if not finding.locations:
        return [finding]
    return [
        replace(
            finding,
            file=loc.file,
            line=loc.line,
            end_line=loc.end_line,
            column=loc.column,
            commit=loc.commit,
            author=loc.author,
            email=loc.email,
            date=loc.date,
            blob_id=loc.blob_id or finding.blob_id,
            order=loc.order,
            locations=(),
        )
        for loc in finding.locations
    ]


def location_record(location: Location) -> dict[str, Any]:
    return {
        "file": location.file,
        "line": location.line,
        "end_line": location.end_line,
        "column": location.column,
        "commit": location.commit,
        "author": location.author,
        "email": location.email,
        "date": location.date,
    }


def finding_record(finding: Finding, *, redact_secret: bool = True, percent: int | None = None) -> dict[str, Any]:
    """The JSON object of SPEC.md, the shape every machine-readable format starts from;
    a grouped finding adds `locations`."""
    record = _place_record(finding, redact_secret, percent)
    if finding.locations:
        record["locations"] = [location_record(location) for location in finding.locations]
    return record


def _place_record(finding: Finding, redact_secret: bool, percent: int | None) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "description": finding.description,
        "file": finding.file,
        "line": finding.line,
        "end_line": finding.end_line,
        "column": finding.column,
        "secret": redact(finding.secret, percent) if redact_secret else finding.secret,
        "fingerprint": finding.fingerprint,
        "entropy": round(finding.entropy, 4),
        "commit": finding.commit,
        "author": finding.author,
        "email": finding.email,
        "date": finding.date,
    }


def is_inline_allowed(line_text: str) -> bool:
    return any(marker in line_text for marker in INLINE_ALLOW_MARKERS)


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
                    order=place.order if place.commit else None,
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
    """History order decides (a rebase or a cherry-pick keeps author dates, and commits of
    one second tie); dates only where no order is known."""
    if a.order is not None and b.order is not None and a.order != b.order:
        return a.order < b.order
    if a.date and b.date and a.date != b.date:
        try:
            return _instant(a.date) < _instant(b.date)
        except ValueError:
            return a.date < b.date
    return (a.line, a.column, a.commit or "") < (b.line, b.column, b.commit or "")


def _instant(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
