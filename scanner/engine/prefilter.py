"""First stage: find every keyword occurrence in one pass over the blob.

Two interchangeable backends give the same hits, so findings never depend on which
one ran: Hyperscan (one compiled literal database, SIMD) where it is installed, and an
Aho-Corasick automaton (pyahocorasick) everywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = ["Prefilter", "build_prefilter", "available_backends"]


class Prefilter(Protocol):
    """Finds (keyword index, start offset) for every case-insensitive keyword occurrence."""

    name: str

    def hits(self, data: bytes) -> list[tuple[int, int]]: ...


class AhoCorasickPrefilter:
    name = "aho-corasick"

    def __init__(self, keywords: Sequence[bytes]) -> None:
        import ahocorasick

        self._automaton = ahocorasick.Automaton()
        for index, keyword in enumerate(keywords):
            # pyahocorasick's str build: bytes map 1:1 onto latin-1 characters.
            key = keyword.lower().decode("latin-1")
            existing = self._automaton.get(key, None)
            self._automaton.add_word(key, (existing or ()) + ((index, len(key)),))
        self._empty = not keywords
        if not self._empty:
            self._automaton.make_automaton()

    def hits(self, data: bytes) -> list[tuple[int, int]]:
        if self._empty:
            return []
        text = data.lower().decode("latin-1")
        found = []
        for end, entries in self._automaton.iter(text):
            for index, length in entries:
                found.append((index, end - length + 1))
        return found


class HyperscanPrefilter:
    name = "hyperscan"

    def __init__(self, keywords: Sequence[bytes]) -> None:
        import hyperscan

        self._lengths = [len(k) for k in keywords]
        self._db = None
        if keywords:
            db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            db.compile(
                expressions=list(keywords),
                ids=list(range(len(keywords))),
                flags=[hyperscan.HS_FLAG_CASELESS] * len(keywords),
                literal=True,
            )
            self._db = db
            self._scratch = hyperscan.Scratch(db)

    def hits(self, data: bytes) -> list[tuple[int, int]]:
        if self._db is None or not data:
            return []
        found: list[tuple[int, int]] = []
        lengths = self._lengths

        def on_match(index: int, start: int, end: int, flags: int, context: object) -> None:
            found.append((index, end - lengths[index]))

        self._db.scan(data, match_event_handler=on_match, scratch=self._scratch)
        return found


def available_backends() -> tuple[str, ...]:
    names = []
    try:
        import hyperscan  # noqa: F401

        names.append("hyperscan")
    except ImportError:
        pass
    names.append("aho-corasick")
    return tuple(names)


def build_prefilter(keywords: Sequence[bytes], backend: str = "auto") -> Prefilter:
    """`auto` takes Hyperscan when it imports, else Aho-Corasick."""
    if backend in ("auto", "hyperscan"):
        try:
            return HyperscanPrefilter(keywords)
        except ImportError:
            if backend == "hyperscan":
                raise
    if backend not in ("auto", "hyperscan", "aho-corasick"):
        raise ValueError(f"unknown prefilter backend {backend!r}")
    return AhoCorasickPrefilter(keywords)
