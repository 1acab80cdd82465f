"""`keysweep rules check`: every rule against its own examples (the rule pack's tests)."""

from __future__ import annotations

from collections.abc import Sequence

import regex

from scanner.engine.matcher import Matcher
from scanner.model import Rule
from scanner.patterns import compile_pattern

__all__ = ["check_rules", "check_rule", "missing_examples"]


def missing_examples(rule: Rule) -> list[str]:
    """What a rule lacks to be tested: a problem for the pack, a warning for a user rule."""
    where = f"{rule.source}: {rule.id}"
    return [f"{where}: no {field}" for field in ("examples", "negative_examples") if not getattr(rule, field)]


def check_rule(rule: Rule, *, backend: str = "auto") -> list[str]:
    """Problems with one rule: (for the pack) missing examples, an example that gives no
    finding, a negative that does."""
    where = f"{rule.source}: {rule.id}"
    problems = missing_examples(rule) if rule.builtin else []
    if not rule.pattern:
        return problems  # a path-only rule reads no content: nothing to match its examples against
    for field, pattern in [("pattern", rule.pattern), *(("allow.regexes", a) for a in rule.allow_regexes)]:
        try:
            compile_pattern(pattern)
        except regex.error as exc:
            problems.append(f"{where}: {field}: invalid regex: {exc}")
            return problems
    matcher = Matcher([rule], backend=backend)
    for example in rule.examples:
        data = example.encode("utf-8")
        if not matcher.scan(data):
            verdicts = [c.dropped for c in matcher.candidates(data)]
            why = (
                f"dropped by {', '.join(v for v in verdicts if v)}"
                if verdicts
                else "pattern does not match near a keyword"
            )
            problems.append(f"{where}: example gives no finding ({why}): {example[:80]!r}")
    for example in rule.negative_examples:
        found = matcher.scan(example.encode("utf-8"))
        if found:
            problems.append(f"{where}: negative example gives a finding {found[0].secret[:12]!r}…: {example[:80]!r}")
    return problems


def check_rules(rules: Sequence[Rule], *, backend: str = "auto") -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            problems.append(f"{rule.source}: {rule.id}: duplicate id")
        seen.add(rule.id)
        problems.extend(check_rule(rule, backend=backend))
    return problems
