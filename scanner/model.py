"""Values that cross stage boundaries: frozen dataclasses, no I/O.

sources -> Blob -> engine -> Match -> findings -> Finding -> report / actions
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

__all__ = [
    "Provenance",
    "Blob",
    "BlobRef",
    "Skipped",
    "Rule",
    "Match",
    "Finding",
    "ScanStats",
    "blob_id",
    "sha256_hex",
]


def blob_id(data: bytes) -> str:
    """Git's blob id, so files on disk and blobs in history deduplicate alike."""
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class Provenance:
    """Where a blob was seen: a path, and for history the earliest commit that added it there."""

    path: str
    commit: str | None = None
    author: str | None = None
    email: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class Blob:
    """Content to scan, once per unique id, with every place it was seen."""

    id: str
    data: bytes
    provenance: tuple[Provenance, ...] = ()


@dataclass(frozen=True)
class BlobRef:
    """A blob known by id and size only: whoever matches it reads it (a git history scan's
    workers each read their share from git, so the content never crosses a process pipe)."""

    id: str
    size: int
    provenance: tuple[Provenance, ...] = ()
    # The previous version of the same file, when what this blob did not change was already
    # matched there (scanner.engine.delta): the matcher may then scan only the change.
    base: str | None = None


@dataclass(frozen=True)
class Skipped:
    """An input a source did not scan, and why ("binary", "too-large", "submodule", ...)."""

    path: str
    reason: str
    detail: str = ""


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

    @property
    def secret_sha256(self) -> str:
        return sha256_hex(self.secret)


@dataclass(frozen=True)
class ScanStats:
    """Counts for the end-of-scan summary."""

    blobs: int = 0
    bytes: int = 0
    skipped_binary: int = 0
    skipped_large: int = 0
    skipped_other: int = 0
    suppressed: int = 0
    baselined: int = 0
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)
