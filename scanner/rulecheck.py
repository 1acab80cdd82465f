"""`keysweep rules check`: every rule against its own examples (the rule pack's tests)."""

from __future__ import annotations

from collections.abc import Sequence

import regex

from scanner.engine.matcher import Matcher
from scanner.model import Match, Rule, confidence_at_least
from scanner.patterns import compile_pattern, is_verbose

__all__ = [
    "ONE_LINE_LIMIT",
    "check_paths",
    "check_rules",
    "check_rule",
    "example_confidence",
    "layout_problems",
    "missing_examples",
]

# A pack pattern longer than this is written verbose: `(?x)`, over lines, with comments
# (docs/rule-format.md, "Long patterns: verbose, and fragments").
ONE_LINE_LIMIT = 100


def missing_examples(rule: Rule) -> list[str]:
    """What a rule lacks to be tested: a problem for the pack, a warning for a user rule."""
    where = f"{rule.source}: {rule.id}"
    # A path-only rule reads no content: the paths are its examples.
    fields = ["examples", "negative_examples"] if rule.pattern else []
    if rule.path:
        fields += ["example_paths", "negative_example_paths"]
    return [f"{where}: no {field}" for field in fields if not getattr(rule, field)]


def check_paths(rule: Rule) -> list[str]:
    """`example_paths` each matched by the rule's `path`, `negative_example_paths` none."""
    if not rule.path:
        return []
    where = f"{rule.source}: {rule.id}"
    try:
        path = regex.compile(rule.path)
    except regex.error as exc:
        return [f"{where}: path: invalid regex: {exc}"]
    problems = [
        f"{where}: example path is not matched by `path`: {p!r}" for p in rule.example_paths if not path.search(p)
    ]
    problems += [
        f"{where}: negative example path is matched by `path`: {p!r}"
        for p in rule.negative_example_paths
        if path.search(p)
    ]
    return problems


def layout_problems(rule: Rule) -> list[str]:
    """A pack pattern written on one line and longer than ONE_LINE_LIMIT. User rules (and
    imported gitleaks configs) are written as their authors like."""
    written = rule.written_pattern
    if not rule.builtin or is_verbose(written) or len(written) <= ONE_LINE_LIMIT:
        return []
    return [
        f"{rule.source}: {rule.id}: pattern: {len(written)} characters on one line (at most "
        f"{ONE_LINE_LIMIT}): write it verbose, (?x) over lines with comments (docs/rule-format.md)"
    ]


def _found(rule: Rule, matches: list[Match]) -> list[Match]:
    """What counts as found: a match at medium or above (a rule that says `confidence =
    "low"`, or a path rule: any). A negative example may still give a low finding (a token whose checksum
    fails is reported at low), and an example must be more than that."""
    # A path rule reads a credential by its place in a file people leak (.pgpass, .netrc):
    # a weak password there is low confidence and still the rule's to find.
    threshold = "low" if rule.confidence == "low" or rule.path else "medium"
    return [m for m in matches if confidence_at_least(m.confidence, threshold)]


def check_rule(rule: Rule, *, backend: str = "auto") -> list[str]:
    """Problems with one rule: (for the pack) missing examples or a long one-line pattern, an
    example that gives no finding, a negative that does."""
    where = f"{rule.source}: {rule.id}"
    problems = [*missing_examples(rule), *layout_problems(rule)] if rule.builtin else []
    problems += check_paths(rule)
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
        if not _found(rule, matcher.scan(data)):
            candidates = matcher.candidates(data)
            verdicts = [c.dropped or f"{c.confidence} confidence" for c in candidates]
            why = f"dropped by {', '.join(verdicts)}" if verdicts else "pattern does not match near a keyword"
            problems.append(f"{where}: example gives no finding ({why}): {example[:80]!r}")
    for example in rule.negative_examples:
        found = _found(rule, matcher.scan(example.encode("utf-8")))
        if found:
            problems.append(f"{where}: negative example gives a finding {found[0].secret[:12]!r}…: {example[:80]!r}")
    return problems


def example_confidence(rule: Rule) -> str:
    """The highest confidence the rule's own examples are reported at: what a typical
    finding of the rule gets (a weak value or a failed checksum gets less). A rule with no
    pattern, or whose examples find nothing, gives its own `confidence` or medium."""
    best = ""
    if rule.pattern:
        matcher = Matcher([rule])
        for example in rule.examples:
            for match in matcher.scan(example.encode("utf-8")):
                if match.rule_id == rule.id and (not best or confidence_at_least(match.confidence, best)):
                    best = match.confidence
    return best or rule.confidence or "medium"


def check_rules(rules: Sequence[Rule], *, backend: str = "auto") -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            problems.append(f"{rule.source}: {rule.id}: duplicate id")
        seen.add(rule.id)
        problems.extend(check_rule(rule, backend=backend))
    return problems
