"""A rule's keywords as the first stage matches them, and the table of who names which."""

from __future__ import annotations

from collections.abc import Sequence

from scanner.model import Rule

__all__ = ["keyword_table", "rule_keywords"]


def rule_keywords(rule: Rule) -> tuple[bytes, ...]:
    """The rule's keywords as the first stage matches them: lowercased bytes, each once."""
    return tuple(dict.fromkeys(k.lower().encode("utf-8") for k in rule.keywords))


def keyword_table(rules: Sequence[Rule]) -> tuple[list[bytes], list[tuple[int, ...]]]:
    """Distinct lowercased keywords (sorted) and, for each, the rules that name it."""
    owners: dict[bytes, list[int]] = {}
    for index, rule in enumerate(rules):
        for keyword in rule_keywords(rule):
            owners.setdefault(keyword, []).append(index)
    keywords = sorted(owners)
    return keywords, [tuple(owners[k]) for k in keywords]
