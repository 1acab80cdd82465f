"""Named predicates that void a candidate: placeholders, templates, references, doc keys.

Each takes the secret (and the line it sits on) and returns True when the candidate
is not a real credential. They run for every rule with `filters = true`.
"""

from __future__ import annotations

from collections.abc import Callable

import regex

__all__ = ["FILTERS", "rejection"]

_PLACEHOLDER_WORDS = regex.compile(
    r"(?i)(?:your[_\-. ]?|my[_\-]?(?:api|secret|token|key|pass)|insert|replace|enter[_\-]|"
    r"placeholder|changeme|change[_\-]me|redacted|dummy|sample|example|fake|mock|"
    r"<[^>]*>|\bnull\b|\bnone\b|\btodo\b|xxx|\*{3}|\.{3}|…)"
)
_TEMPLATE = regex.compile(
    r"\$\{|\$\(|\{\{|\}\}|\{%|<%|%\(\w+\)s|#\{|\$[A-Z_][A-Z0-9_]*\b|^\$\w+$|%[A-Z_]+%|@@\w+@@|__[A-Z_]+__"
)
_REFERENCE = regex.compile(
    r"(?i)(?:os\.environ|os\.getenv|getenv\(|process\.env|env\[|ENV\[|System\.getenv|"
    r"secrets\.|vault:|ref\+|Deno\.env|import\.meta\.env|\bsettings\.|config\.|\bparams\.)"
)
_DOC_KEY = regex.compile(r"(?:EXAMPLE|example)(?:KEY)?$|^AKIAIOSFODNN7|wJalrXUtnFEMI/K7MDENG")


def is_placeholder(secret: str, line: str) -> bool:
    if _PLACEHOLDER_WORDS.search(secret):
        return True
    core = secret.split("_")[-1] if "_" in secret else secret
    return len(set(core.lower())) <= 3 and len(core) >= 6


def is_templated(secret: str, line: str) -> bool:
    return bool(_TEMPLATE.search(secret))


def is_reference(secret: str, line: str) -> bool:
    return bool(_REFERENCE.search(secret))


def is_documentation_key(secret: str, line: str) -> bool:
    return bool(_DOC_KEY.search(secret))


def is_sequential(secret: str, line: str) -> bool:
    """`abcdef…`, `123456…`, `0123456789abcdef` runs used in docs and tests."""
    lowered = secret.lower()
    for run in ("0123456789", "abcdefghij", "1234567890", "qwertyuiop"):
        if run in lowered:
            return True
    return False


FILTERS: tuple[tuple[str, Callable[[str, str], bool]], ...] = (
    ("placeholder", is_placeholder),
    ("template", is_templated),
    ("reference", is_reference),
    ("documentation-key", is_documentation_key),
    ("sequential", is_sequential),
)


def rejection(secret: str, line: str) -> str | None:
    """The name of the first filter that voids this candidate, or None."""
    for name, predicate in FILTERS:
        if predicate(secret, line):
            return name
    return None
