"""The portable first stage: an Aho-Corasick automaton of every keyword (pyahocorasick).

It answers what the Hyperscan first stage answers (scanner.engine.hyperscan_gate), only
without the regex gate: windows come from keyword hits alone, so findings are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scanner.engine.keywords import keyword_table
from scanner.model import Rule

__all__ = ["AhoCorasickPrefilter"]


class AhoCorasickPrefilter:
    name = "aho-corasick"

    def __init__(self, rules: Sequence[Rule]) -> None:
        import ahocorasick

        keywords, owners = keyword_table(rules)
        self._always = [i for i, rule in enumerate(rules) if not rule.keywords]
        self._automaton: Any = None
        if keywords:
            automaton = ahocorasick.Automaton()
            for keyword, rule_indices in zip(keywords, owners, strict=True):
                # pyahocorasick's str build: bytes map 1:1 onto latin-1 characters.
                automaton.add_word(keyword.decode("latin-1"), (keyword, rule_indices))
            automaton.make_automaton()
            self._automaton = automaton

    def prepare(self, *, compile: bool = True) -> None:
        return None

    def narrow(self, data: bytes, windows: dict[int, list[tuple[int, int]]]) -> dict[int, list[tuple[int, int]]]:
        return windows

    def fired(self, data: bytes) -> list[int]:
        return self.fired_keywords(data)[0]

    def fired_keywords(self, data: bytes) -> tuple[list[int], frozenset[bytes]]:
        found = set(self._always)
        present: set[bytes] = set()
        if self._automaton is not None and data:
            for _end, (keyword, rule_indices) in self._automaton.iter(data.lower().decode("latin-1")):
                present.add(keyword)
                found.update(rule_indices)
        return sorted(found), frozenset(present)
