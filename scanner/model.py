"""Values that cross stage boundaries: frozen dataclasses, no I/O.

sources -> Blob -> engine -> Match -> findings -> Finding -> report / actions
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

__all__ = [
    "INLINE_ALLOW_MARKERS",
    "Allowlist",
    "Provenance",
    "Derivation",
    "Blob",
    "Skipped",
    "Rule",
    "Match",
    "Finding",
    "ScanStats",
    "Standing",
    "Audit",
    "TRIAGE_STATUSES",
    "blob_id",
    "sha256_hex",
]


# A line holding one of these is never reported (keysweep's own, and those of the tools
# people come from). The engine keeps the markers with each match's line text.
INLINE_ALLOW_MARKERS = ("keysweep:allow", "gitleaks:allow", "pragma: allowlist secret")


def blob_id(data: bytes) -> str:
    """Git's blob id, so files on disk and blobs in history deduplicate alike."""
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class Provenance:
    """Where a blob was seen: a path, and for history the earliest commit that added it
    there. `order` is that commit's place in history (parents before children): which of
    two commits came first, whatever their dates say."""

    path: str
    commit: str | None = None
    author: str | None = None
    email: str | None = None
    date: str | None = None
    order: int = 0


@dataclass(frozen=True)
class Derivation:
    """How a blob was made from another one (its base): its pieces in order, each
    (start, end, origin) a range of the new blob copied from base[origin:], or, with
    origin -1, inserted. Git's pack deltas say this outright; two versions of a file give
    it by a diff. Matching uses it to look again only where the blob is new."""

    base: str
    pieces: tuple[tuple[int, int, int], ...]
    base_size: int


@dataclass(frozen=True)
class Blob:
    """Content to scan, with every place it was seen that its source knows of, and how it
    derives from a blob matched before it, when it does."""

    id: str
    data: bytes
    provenance: tuple[Provenance, ...] = ()
    derivation: Derivation | None = None


@dataclass(frozen=True)
class Skipped:
    """An input a source did not scan, and why ("binary", "too-large", "submodule", ...)."""

    path: str
    reason: str
    detail: str = ""
    # The blob it is, where it is one: a history scan reports only blobs a ref reaches.
    blob_id: str = ""


# Skips that leave content unchecked against the rules (`--strict` fails on them), as
# against policy (binary, too large) or structure (submodules, symbolic links).
UNCHECKED_REASONS = frozenset({"rule-budget", "unreadable", "missing", "corrupt", "not-a-blob", "not-fetched"})


@dataclass(frozen=True)
class Allowlist:
    """What not to report: a finding is dropped when any check matches (condition "OR"), or
    when every check the allowlist has matches ("AND"). `regexes` are tried on the secret,
    the whole regex match or the line (`regex_target`); `stopwords` (lower case) are looked
    for in the secret; `paths` are regexes on the path; `commits` are commit ids."""

    paths: tuple[str, ...] = ()
    regexes: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()
    commits: tuple[str, ...] = ()
    condition: str = "OR"
    regex_target: str = "secret"
    description: str = ""


@dataclass(frozen=True)
class Rule:
    """One detection rule, as loaded and validated from TOML (see docs/rule-format.md)."""

    id: str
    description: str
    provider: str
    pattern: str
    keywords: tuple[str, ...] = ()
    min_entropy: float = 0.0
    validator: str | None = None
    allow_regexes: tuple[str, ...] = ()
    allow_stopwords: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    negative_examples: tuple[str, ...] = ()
    priority: int = 0
    source: str = ""
    # Filters for placeholders/templates apply unless a rule opts out (e.g. private keys);
    # a tuple names the filters / filter groups of scanner.engine.filters to run instead.
    filters: bool | tuple[str, ...] = True
    # Secrets of this rule may span lines (PEM blocks): the confirmation window grows.
    multiline: bool = False
    # Shipped in the rule pack: its patterns are checked to run in linear time, so it runs
    # without a time budget (a budget would make findings depend on machine load).
    builtin: bool = False
    # A regex on the path: the rule reports only where the blob was seen at a matching path;
    # with no pattern ("path-only") it reports every such path itself.
    path: str = ""
    # Checked per place (they may name paths and commits), after the per-rule `allow`.
    allowlists: tuple[Allowlist, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """A confirmed secret inside one blob; positions are 1-based lines/columns."""

    rule_id: str
    blob_id: str
    start: int
    end: int
    secret: str
    line: int
    end_line: int
    column: int
    entropy: float
    line_text: str = ""
    # The whole regex match, kept only for rules with an allowlist that reads it.
    matched: str = ""


@dataclass(frozen=True)
class Location:
    """One place a finding's secret was seen (a grouped finding has all of them)."""

    file: str
    line: int
    end_line: int
    column: int
    commit: str | None = None
    author: str | None = None
    email: str | None = None
    date: str | None = None
    # Not reported: the blob seen there, and its commit's place in history (Finding.order).
    blob_id: str = ""
    order: int | None = None


@dataclass(frozen=True)
class Finding:
    """A reportable leak: rule + secret at a location (JSON fields of SPEC.md)."""

    rule_id: str
    description: str
    file: str
    line: int
    end_line: int
    column: int
    secret: str
    fingerprint: str
    entropy: float
    commit: str | None = None
    author: str | None = None
    email: str | None = None
    date: str | None = None
    blob_id: str = ""
    # The commit's place in history (Provenance.order); not reported, only compared.
    order: int | None = None
    # Grouped by secret (scanner.findings.group_by_secret): every place the rule and secret
    # were seen, this finding's own first. Empty: one finding per place (`--no-group`).
    locations: tuple[Location, ...] = ()

    @property
    def secret_sha256(self) -> str:
        return sha256_hex(self.secret)

    def location(self) -> Location:
        """This finding's own place, as a grouped finding lists it."""
        return Location(
            file=self.file,
            line=self.line,
            end_line=self.end_line,
            column=self.column,
            commit=self.commit,
            author=self.author,
            email=self.email,
            date=self.date,
            blob_id=self.blob_id,
            order=self.order,
        )

    @property
    def places(self) -> tuple[Location, ...]:
        """Every place it was seen: its locations when grouped, else its own place."""
        return self.locations or (self.location(),)


@dataclass(frozen=True)
class ScanStats:
    """Counts for the end-of-scan summary."""

    blobs: int = 0
    bytes: int = 0
    suppressed: int = 0
    baselined: int = 0
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Every skip counted by reason, in reason order: ("binary", 3), ("rule-budget", 1).
    skips: tuple[tuple[str, int], ...] = ()
    # Blobs a datastore's earlier scan had matched clean with these rules: not matched again.
    reused: int = 0


# What an auditor can say of a finding; "open" until someone says otherwise.
TRIAGE_STATUSES = ("open", "false-positive", "accepted-risk", "revoked")


@dataclass(frozen=True)
class Standing:
    """Where a history finding stands now: whether the scanned ref's tree still holds the
    secret, the commit that first added it, the last commit that removed it (when the ref no
    longer holds it), and how many branches still reach a commit that added it."""

    ref: str
    present: bool
    first_commit: str | None = None
    first_date: str | None = None
    removed_commit: str | None = None
    removed_date: str | None = None
    branches: int = 0


@dataclass(frozen=True)
class Audit:
    """What the datastore knows of a finding beyond one scan: its triage (kept by
    fingerprint across re-scans), when a scan first saw it, whether this scan is the first
    (`new`), and where it stands."""

    status: str = "open"
    note: str = ""
    triaged_at: str | None = None
    first_seen: str | None = None
    new: bool = True
    standing: Standing | None = None
