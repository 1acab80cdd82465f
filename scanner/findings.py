"""Findings stage: fingerprint, redaction, suppression (inline, allowlist, baseline)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from scanner.errors import BaselineError
from scanner.model import Blob, Finding, Match, Provenance, Rule

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


def load_baseline(path: Path) -> frozenset[str]:
    """Fingerprints of a previous JSON (or JSONL) report."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    records: list[Any]
    try:
        data = json.loads(text) if text.strip() else []
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
