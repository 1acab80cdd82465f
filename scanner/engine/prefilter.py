"""First stage: decide, in one pass over a blob, which rules could match in it at all.

A rule can only match near one of its keywords (docs/rule-format.md), so the first stage
is a case-insensitive multi-literal search over every keyword. Two interchangeable
backends answer it: Hyperscan (scanner.engine.hyperscan_gate: one compiled literal
database, SIMD, and a regex gate) where it is installed, and an Aho-Corasick automaton
(scanner.engine.aho) everywhere else. This module is what the matcher sees of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from scanner.engine.hyperscan_gate import GATE_AFTER_BYTES, GATE_COMPILE_AFTER_BYTES, LineFinder
from scanner.engine.keywords import rule_keywords
from scanner.model import Rule

__all__ = [
    "GATE_AFTER_BYTES",
    "GATE_COMPILE_AFTER_BYTES",
    "LineFinder",
    "Prefilter",
    "available_backends",
    "build_prefilter",
    "rule_keywords",
]


class Prefilter(Protocol):
    """Which rules (indices into the rule list, ascending) may match somewhere in `data`."""

    name: str

    def fired(self, data: bytes) -> list[int]: ...

    def fired_keywords(self, data: bytes) -> tuple[list[int], frozenset[bytes]]:
        """`fired(data)`, and the (lowercased) keywords that occur in `data`."""
        ...

    def prepare(self, *, compile: bool = True) -> None:
        """Build everything now (before forking workers) instead of on first need; with
        compile False, only what the on-disk cache already holds."""

    def narrow(self, data: bytes, windows: dict[int, list[tuple[int, int]]]) -> dict[int, list[tuple[int, int]]]:
        """`windows` without those where a rule certainly cannot match (may return them all)."""


def available_backends() -> tuple[str, ...]:
    names = []
    try:
        import hyperscan  # noqa: F401

        names.append("hyperscan")
    except ImportError:
        pass
    names.append("aho-corasick")
    return tuple(names)


def build_prefilter(rules: Sequence[Rule], backend: str = "auto") -> Prefilter:
    """`auto` takes Hyperscan when it imports, else Aho-Corasick."""
    if backend not in ("auto", "hyperscan", "aho-corasick"):
        raise ValueError(f"unknown prefilter backend {backend!r}")
    if backend in ("auto", "hyperscan"):
        from scanner.engine.hyperscan_gate import HyperscanPrefilter

        try:
            return HyperscanPrefilter(rules)
        except ImportError:
            if backend == "hyperscan":
                raise
    from scanner.engine.aho import AhoCorasickPrefilter

    return AhoCorasickPrefilter(rules)
