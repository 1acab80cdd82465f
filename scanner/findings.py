"""Findings stage: fingerprint, redaction, suppression (inline, allowlist, baseline), and
one finding per secret and path."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from scanner.model import INLINE_ALLOW_MARKERS, Allowlist, Audit, Blob, Finding, Location, Match, Provenance, Rule

__all__ = [
    "Suppressor",
    "build_findings",
    "collapse",
    "triaged_as",
    "expand",
    "finding_record",
    "fingerprint",
    "group_by_secret",
    "is_inline_allowed",
    "location_record",
    "path_findings",
    "redact",
    "report_order",
    "settle",
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


def triaged_as(
    findings: Iterable[Finding], audit: Mapping[str, Audit], statuses: Sequence[str], new_only: bool
) -> tuple[Finding, ...]:
    """The findings `--status` and `--new-only` ask for (a finding the datastore does not
    know is open and new)."""
    default = Audit()

    def wanted(finding: Finding) -> bool:
        known = audit.get(finding.fingerprint, default)
        return (not statuses or known.status in statuses) and (not new_only or known.new)

    return tuple(f for f in findings if wanted(f))


def group_by_secret(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """One finding per fingerprint (rule + secret), at its first place in report order,
    carrying every place it was seen: a fixture copied into 239 blobs is one finding."""
    groups: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=report_order):
        groups.setdefault(finding.fingerprint, []).append(finding)
    return tuple(
        replace(members[0], locations=tuple(member.location() for member in members)) for members in groups.values()
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
        "confidence": finding.confidence,
        "commit": finding.commit,
        "author": finding.author,
        "email": finding.email,
        "date": finding.date,
    }


def is_inline_allowed(line_text: str) -> bool:
    return any(marker in line_text for marker in INLINE_ALLOW_MARKERS)


class _Patterns:
    """Regexes that user config supplies, each run with a timeout: a hostile one is switched
    off (its findings are reported), never fatal."""

    def __init__(self, patterns: Sequence[str], what: str, warnings: list[str]) -> None:
        import regex

        self._entries = [(n, regex.compile(p)) for n, p in enumerate(patterns, 1)]
        self._what = what
        self._warnings = warnings

    def __bool__(self) -> bool:
        return bool(self._entries)

    def search(self, text: str) -> bool:
        """The warning names the pattern by position only: an allowlist regex may spell out a secret."""
        for entry in list(self._entries):
            try:
                if entry[1].search(text, timeout=1.0):
                    return True
            except TimeoutError:
                self._entries.remove(entry)
                self._warnings.append(
                    f"{self._what} pattern #{entry[0]} timed out after 1s and was disabled "
                    "for this scan: it backtracks catastrophically"
                )
        return False


class _Allowing:
    """One gitleaks-style allowlist, compiled: OR drops a finding when any check matches,
    AND when every check the allowlist has matches."""

    def __init__(self, allowlist: Allowlist, what: str, warnings: list[str]) -> None:
        self.allowlist = allowlist
        self._paths = _Patterns(allowlist.paths, f"{what}.paths", warnings)
        self._regexes = _Patterns(allowlist.regexes, f"{what}.regexes", warnings)
        self._commits = frozenset(commit.lower() for commit in allowlist.commits)

    def allows(self, finding: Finding, matched: str, line: str, *, path_only: bool = False) -> bool:
        allowlist = self.allowlist
        checks = []
        if self._commits:
            checks.append(bool(finding.commit) and (finding.commit or "").lower() in self._commits)
        if allowlist.paths:
            checks.append(bool(finding.file) and self._paths.search(finding.file))
        if path_only:
            # A file reported for its path has no secret: gitleaks checks only commit and path.
            if allowlist.condition == "AND" and (allowlist.regexes or allowlist.stopwords):
                return False
        else:
            target = {"match": matched, "line": line}.get(allowlist.regex_target, finding.secret)
            if allowlist.regexes:
                checks.append(self._regexes.search(target))
            if allowlist.stopwords:
                lowered = finding.secret.lower()
                checks.append(any(word in lowered for word in allowlist.stopwords))
        if allowlist.condition == "AND":
            return bool(checks) and all(checks)
        return any(checks)


class Suppressor:
    """Config allowlists + inline markers + baseline + `.gitleaksignore`, compiled once per scan.

    `allowlist` is keysweep's own (paths, secret regexes, stopwords); `allowlists` are a
    gitleaks config's global ones and `ignored` its `.gitleaksignore` fingerprints. Those, and
    a rule's own allowlists, are checked per place (they may name commits and paths)."""

    def __init__(
        self,
        allowlist: Allowlist,
        baseline: frozenset[str] = frozenset(),
        *,
        allowlists: Sequence[Allowlist] = (),
        ignored: frozenset[str] = frozenset(),
    ) -> None:
        # Allowlist patterns that timed out, for the CLI to report; each is dropped at once.
        self.warnings: list[str] = []
        self._paths = _Patterns(allowlist.paths, "allowlist.paths", self.warnings)
        self._regexes = _Patterns(allowlist.regexes, "allowlist.regexes", self.warnings)
        self._stopwords = allowlist.stopwords
        self.baseline = baseline
        self.ignored = ignored
        self._global = [_Allowing(a, f"allowlists[{n}]", self.warnings) for n, a in enumerate(allowlists)]
        self._by_rule: dict[str, tuple[Any, list[_Allowing]]] = {}

    def path_allowed(self, path: str) -> bool:
        return self._paths.search(path)

    def secret_allowed(self, secret: str, line_text: str) -> bool:
        if is_inline_allowed(line_text):
            return True
        lowered = secret.lower()
        if any(word in lowered for word in self._stopwords):
            return True
        return self._regexes.search(secret)

    def _rule(self, rule: Rule) -> tuple[Any, list[_Allowing]]:
        compiled = self._by_rule.get(rule.id)
        if compiled is None:
            import regex

            path = regex.compile(rule.path) if rule.path else None
            lists = [
                _Allowing(a, f"rule {rule.id} allowlists[{n}]", self.warnings) for n, a in enumerate(rule.allowlists)
            ]
            compiled = self._by_rule[rule.id] = (path, lists)
        return compiled

    def applies(self, rule: Rule, path: str) -> bool:
        """The rule reports at this path: it has no `path`, or its `path` matches."""
        pattern = self._rule(rule)[0]
        return pattern is None or bool(path and pattern.search(path, timeout=1.0))

    def held(self, rule: Rule, finding: Finding, matched: str = "", line: str = "", *, path_only: bool = False) -> bool:
        """Dropped by a gitleaks allowlist (global, then the rule's) or `.gitleaksignore`."""
        allowing = [*self._global, *self._rule(rule)[1]]
        if any(a.allows(finding, matched or finding.secret, line, path_only=path_only) for a in allowing):
            return True
        if not self.ignored:
            return False
        for number in (finding.line, 0) if path_only else (finding.line,):
            place = f"{finding.file}:{finding.rule_id}:{number}"
            if place in self.ignored or (finding.commit and f"{finding.commit}:{place}" in self.ignored):
                return True
        return False


def _finding(rule: Rule, place: Provenance, blob: str, print_: str, match: Match | None) -> Finding:
    """A finding of `match` at `place`; with no match, the file itself (a path-only rule)."""
    return Finding(
        rule_id=rule.id,
        description=rule.description,
        file=place.path,
        line=match.line if match else 1,
        end_line=match.end_line if match else 1,
        column=match.column if match else 1,
        secret=match.secret if match else place.path,
        fingerprint=print_,
        entropy=match.entropy if match else 0.0,
        commit=place.commit,
        author=place.author,
        email=place.email,
        date=place.date,
        blob_id=blob,
        order=place.order if place.commit else None,
        # A path-only rule's finding is the file itself: its kind says nothing more.
        confidence=match.confidence if match else rule.confidence or "medium",
    )


def build_findings(
    blob: Blob, matches: Sequence[Match], rules: dict[str, Rule], suppressor: Suppressor
) -> tuple[list[Finding], int, set[str], list[Finding]]:
    """One finding per match and path the blob was seen at (a rule with a `path`: the
    paths it matches; a secret it shares with another rule there: see `_taken`); returns
    (findings, suppressed, baselined, held): `baselined` the fingerprints the baseline
    dropped (a baseline entry counts once, however many blobs hold it), `held` the
    findings a gitleaks allowlist or fingerprint dropped, for `settle`."""
    findings: list[Finding] = []
    held: list[Finding] = []
    suppressed = 0
    baselined: set[str] = set()
    provenance: Sequence[Provenance] = blob.provenance or (Provenance(path=""),)
    taken = _taken(matches, rules, suppressor, [place.path for place in provenance])
    for index, match in enumerate(matches):
        if suppressor.secret_allowed(match.secret, match.line_text):
            suppressed += 1
            continue
        print_ = fingerprint(match.rule_id, match.secret)
        if print_ in suppressor.baseline:
            baselined.add(print_)
            continue
        rule = rules[match.rule_id]
        for place in provenance:
            if (index, place.path) in taken or not suppressor.applies(rule, place.path):
                continue
            if suppressor.path_allowed(place.path):
                suppressed += 1
                continue
            finding = _finding(rule, place, blob.id, print_, match)
            if suppressor.held(rule, finding, match.matched, match.line_text):
                held.append(finding)
            else:
                findings.append(finding)
    return findings, suppressed, baselined, held


def _taken(
    matches: Sequence[Match], rules: Mapping[str, Rule], suppressor: Suppressor, paths: Sequence[str]
) -> set[tuple[int, str]]:
    """(match index, path): where a rule with a `path` and a rule without one found the same
    secret (overlapping spans), one of them reports it there, the other is taken. The path
    rule takes it from a fallback rule (priority below 0: `generic.*`, connection strings),
    which found the value by a name alone where the file's syntax places a credential; a
    provider's rule (priority 0 or more) takes it from the path rule: it names the token.
    Decided before any suppression, so baselining the one finding does not bring up the other."""
    scoped = [i for i, match in enumerate(matches) if rules[match.rule_id].path]
    if not scoped:
        return set()
    taken: set[tuple[int, str]] = set()
    for path in dict.fromkeys(paths):
        for i in scoped:
            mine = matches[i]
            if not suppressor.applies(rules[mine.rule_id], path):
                continue
            for j, other in enumerate(matches):
                rule = rules[other.rule_id]
                if rule.path or other.start >= mine.end or other.end <= mine.start:
                    continue
                taken.add((j, path) if rule.priority < 0 else (i, path))
    return taken


def path_findings(
    places: Iterable[Provenance], rules: Sequence[Rule], suppressor: Suppressor
) -> tuple[list[Finding], int, set[str], list[Finding]]:
    """Path-only rules: a finding for each place whose path a rule's `path` matches, its
    secret the path (so its fingerprint, rule + path, is stable across commits and lines)."""
    findings: list[Finding] = []
    held: list[Finding] = []
    suppressed = 0
    baselined: set[str] = set()
    # A history holds each path at many commits: each rule reads each path once.
    by_path: dict[str, list[Provenance]] = {}
    for place in places:
        if place.path:
            by_path.setdefault(place.path, []).append(place)
    for path, seen in by_path.items():
        for rule in rules:
            if not suppressor.applies(rule, path):
                continue
            if suppressor.path_allowed(path):
                suppressed += len(seen)
                continue
            print_ = fingerprint(rule.id, path)
            if print_ in suppressor.baseline:
                baselined.add(print_)
                continue
            for place in seen:
                finding = _finding(rule, place, "", print_, None)
                (held if suppressor.held(rule, finding, path_only=True) else findings).append(finding)
    return findings, suppressed, baselined, held


def settle(findings: Sequence[Finding], held: Sequence[Finding]) -> tuple[list[Finding], int]:
    """gitleaks reports a secret where a commit added it: when the earliest place of a secret
    at a path is dropped by an allowlist (a commit, a line) or a `.gitleaksignore`
    fingerprint, its later places (later versions of the file) go too. Returns the findings
    kept and how many places were dropped."""
    if not held:
        return list(findings), 0
    earliest: dict[tuple[str, str], tuple[Finding, bool]] = {}
    for finding, is_held in [*((f, False) for f in findings), *((f, True) for f in held)]:
        key = (finding.fingerprint, finding.file)
        current = earliest.get(key)
        if current is None or _earlier(finding, current[0]):
            earliest[key] = (finding, is_held)
    dropped = {key for key, (_, is_held) in earliest.items() if is_held}
    kept = [f for f in findings if (f.fingerprint, f.file) not in dropped]
    return kept, len(findings) - len(kept) + sum(1 for f in held if (f.fingerprint, f.file) in dropped)


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
