"""A rule's keywords as the first stage matches them, and the table of who names which."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from scanner.model import Rule

__all__ = ["keyword_table", "rule_keywords"]


def rule_keywords(rule: Rule) -> tuple[bytes, ...]:
    """The rule's keywords as the first stage matches them: lowercased bytes, each once."""
    return _lowered(rule.keywords)


@functools.lru_cache(maxsize=4096)
def _lowered(keywords: tuple[str, ...]) -> tuple[bytes, ...]:
    # A pure function of the keywords: the matcher and each prefilter ask for every rule's.
    return tuple(dict.fromkeys(k.lower().encode("utf-8") for k in keywords))


def keyword_table(rules: Sequence[Rule]) -> tuple[list[bytes], list[tuple[int, ...]]]:
    """Distinct lowercased keywords (sorted) and, for each, the rules that name it."""
    owners: dict[bytes, list[int]] = {}
    for index, rule in enumerate(rules):
        for keyword in rule_keywords(rule):
            owners.setdefault(keyword, []).append(index)
    keywords = sorted(owners)
    return keywords, [tuple(owners[k]) for k in keywords]
