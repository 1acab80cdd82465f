"""Rule patterns as text: compiling them, walking their structure, and the shared fragments
that context rules are built from.

Rules (scanner.rules) and the engine (scanner.engine) both read patterns; this module is
below both, so neither has to import the other for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import regex

__all__ = [
    "CONTEXT_KINDS",
    "class_end",
    "compact",
    "compile_pattern",
    "context_pattern",
    "expand_fragments",
    "is_verbose",
    "structural_chars",
]


def compile_pattern(pattern: str) -> regex.Pattern[bytes]:
    """Rules are matched against bytes; a str pattern is compiled as its UTF-8 bytes."""
    return regex.compile(pattern.encode("utf-8"))


_FRAGMENT = regex.compile(r"\{\{([a-z][a-z0-9_]*)\}\}")
# Leading inline flags that ask for verbose: (?x), (?mx), (?xi)...
_VERBOSE_FLAGS = regex.compile(r"\(\?([a-wyzA-Z]*)x([a-wyzA-Z]*)\)")


def is_verbose(pattern: str) -> bool:
    """The pattern starts with inline flags that include `x`."""
    return _VERBOSE_FLAGS.match(pattern) is not None


def compact(pattern: str) -> str:
    """A verbose pattern (leading `(?x)`, `(?mx)`...) as the same pattern written on one
    line: whitespace and `#` comments outside character classes and escapes removed, the
    `x` dropped from the flags (others kept).

    Rules are written verbose to be read; the engine (the gate's superset patterns, the
    cache, the pack hash) sees one form whichever way a rule was written. Any other
    pattern is returned unchanged.
    """
    flags = _VERBOSE_FLAGS.match(pattern)
    if flags is None:
        return pattern
    kept = flags.group(1) + flags.group(2)
    out: list[str] = [f"(?{kept})"] if kept else []
    i, n = flags.end(), len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
        elif char == "[":
            end = class_end(pattern, i)
            out.append(pattern[i:end])
            i = end
        elif char == "#":
            newline = pattern.find("\n", i)
            i = n if newline < 0 else newline + 1
        else:
            if not char.isspace():
                out.append(char)
            i += 1
    return "".join(out)


def expand_fragments(pattern: str, fragments: Mapping[str, str]) -> str:
    """`{{name}}` replaced by the named fragment (fragments may name others). KeyError
    names an unknown fragment; ValueError a fragment that names itself."""

    def one(name: str, seen: tuple[str, ...]) -> str:
        if name in seen:
            raise ValueError(" -> ".join((*seen, name)))
        return _FRAGMENT.sub(lambda m: one(m.group(1), (*seen, name)), fragments[name])

    return _FRAGMENT.sub(lambda m: one(m.group(1), ()), pattern)


def structural_chars(pattern: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """(index, character) of every character of `pattern` outside escapes and character
    classes: those that give it its structure (groups, alternation, quantifiers)."""
    i, n = start, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = class_end(pattern, i)
            continue
        yield i, char
        i += 1


def class_end(pattern: str, i: int) -> int:
    """Index just past the character class opening at i."""
    j, n = i + 1, len(pattern)
    if j < n and pattern[j] == "^":
        j += 1
    if j < n and pattern[j] == "]":
        j += 1
    while j < n and pattern[j] != "]":
        if pattern[j] == "\\":
            j += 2
        elif pattern.startswith("[:", j):
            close = pattern.find(":]", j + 2)
            j = close + 2 if close >= 0 else j + 1
        else:
            j += 1
    return j + 1


# What the name of a provider's credential ends with: `OPENWEATHER_API_KEY`,
# `owm.token`, `"weatherapiSecret"`. A context rule may name its own kinds instead.
CONTEXT_KINDS = (
    "api[_.-]?key",
    "apikey",
    "access[_.-]?key",
    "access[_.-]?token",
    "auth[_.-]?token",
    "key",
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "credentials?",
    "auth",
)

# The start of a name: not inside a longer word (`here` is no part of `where`), or at a
# camelCase hump (`myHereKey`).
_NAME_START = r"(?:(?<![A-Za-z0-9])|(?<=[a-z0-9])(?=[A-Z]))"
# Between the provider's name and the kind: `_API_`, `.client.`, `Weather` (bounded).
_NAME_MIDDLE = r"[\w.-]{0,24}?"
# The provider's name as a section of its own, the kind on the next line: a YAML or JSON
# key (`openweather:` / `"openweather": {`) or a TOML or INI header (`[openweather]`).
_SECTION = r"""[\w.-]{0,24}["'\]]?[ \t]{0,3}[:=]?[ \t]{0,3}\{?[ \t]{0,3}\r?\n[ \t]{0,16}["']?"""
# After the kind: a plural, a number or a stage, then the end of the name.
_NAME_END = r"(?:s|[_.-]?\d{1,2}|[_.-](?:prod|production|live|test|dev|staging|sandbox|value))?(?![\w.-])"
# An assignment in any common syntax: `=`, `:`, `:=`, `=>`, quoted keys, a YAML or JSON
# key, `name, value` in a call or CSV; then an optional opening quote.
_ASSIGN = r"""(?:\\?["'`]\]?)?[ \t]{0,3}(?::=|=>|=|:|,)[ \t]{0,3}(?:\\?["'`])?"""


def context_pattern(names: Sequence[str], value: str, kinds: Sequence[str] = CONTEXT_KINDS) -> str:
    """The pattern of a context rule: one of the provider's `names` (regexes, matched
    without case) starts a name that ends in one of `kinds` (on the same line, or on the
    next one under a section named after the provider), assigned a value of the provider's
    documented shape (`value`, a regex that becomes the `secret` group) that does not run
    on into more token characters."""
    kind = f"(?:{'|'.join(kinds)}){_NAME_END}"
    return (
        f"{_NAME_START}(?i:(?:{'|'.join(names)})(?:{_NAME_MIDDLE}{kind}|{_SECTION}{kind}))"
        f"{_ASSIGN}(?P<secret>{value})(?![A-Za-z0-9_+/=-])"
    )
