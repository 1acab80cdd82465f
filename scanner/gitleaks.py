"""gitleaks configs in keysweep's terms: RE2 patterns, allowlists, `[extend]` chains and
`.gitleaksignore` fingerprints.

This module reads gitleaks' structure and nothing else; scanner.rules turns the merged rule
tables into keysweep rules. Whatever cannot be honoured becomes a warning naming the file,
the rule and the key, never a silent drop and never a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.errors import ConfigError
from scanner.model import Allowlist

__all__ = [
    "GITLEAKS_CONFIG",
    "Chain",
    "ignore_entries",
    "parse_allowlist",
    "read_chain",
    "translate_regex",
]

GITLEAKS_CONFIG = ".gitleaks.toml"
_TOP_KEYS = {"title", "description", "extend", "rules", "allowlist", "allowlists"}
_EXTEND_KEYS = {"path", "useDefault", "disabledRules", "url"}
_RULE_KEYS = {
    "id",
    "description",
    "regex",
    "secretGroup",
    "entropy",
    "path",
    "keywords",
    "tags",
    "allowlist",
    "allowlists",
    "required",
    "skipReport",
}
_ALLOW_KEYS = {"description", "condition", "commits", "paths", "regexTarget", "regexes", "stopwords"}
# A chain this deep is a mistake (gitleaks itself stops at two).
_MAX_DEPTH = 16
_RE2_FLAGS = set("imsU")


# --- RE2 -> regex -----------------------------------------------------------------------


def translate_regex(pattern: str) -> str:
    """A Go RE2 pattern as the `regex` module reads it the same way; ValueError says why a
    pattern cannot be.

    Differences handled: a flag group such as `(?i)` after the start applies to the rest of
    its group in RE2 but to the whole pattern in `regex` (it becomes a scoped `(?i:...)`
    over each remaining alternative); `\\Q...\\E` quoting; `\\z`; `\\x{...}`; `x{,n}`, which
    RE2 reads as literal text. `(?U)` (ungreedy) and `\\C` have no equivalent.
    """
    out: list[str] = []
    # Per open group: the flags set inside it so far, each wrapping the rest of the group.
    scopes: list[list[str]] = [[]]
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            text, i = _escape(pattern, i)
            out.append(text)
        elif char == "[":
            end = _class_end(pattern, i)
            out.append(_class(pattern[i:end]))
            i = end
        elif char == "(":
            flags, i = _flag_group(pattern, i, out, scopes)
            if flags is None:
                scopes.append([])
        elif char == ")":
            out.append(")" * len(scopes[-1]) + ")")
            if len(scopes) > 1:
                scopes.pop()
            i += 1
        elif char == "|":
            out.append(")" * len(scopes[-1]) + "|" + "".join(f"(?{f}:" for f in scopes[-1]))
            i += 1
        elif char == "{" and pattern.startswith("{,", i):
            out.append("\\{")  # RE2: `{,n}` is text, `regex`: up to n repeats
            i += 1
        else:
            out.append(char)
            i += 1
    out.append(")" * len(scopes[-1]))
    return "".join(out)


def _flag_group(pattern: str, i: int, out: list[str], scopes: list[list[str]]) -> tuple[str | None, int]:
    """`(?flags)` (returns the flags; opens a scope that ends with the enclosing group) or
    the start of any other group (returns None)."""
    if not pattern.startswith("(?", i):
        out.append("(")
        return None, i + 1
    j = i + 2
    while j < len(pattern) and (pattern[j] in _RE2_FLAGS or pattern[j] == "-"):
        j += 1
    flags = pattern[i + 2 : j]
    if "U" in flags:
        raise ValueError("the flag U (ungreedy) has no equivalent")
    if j < len(pattern) and pattern[j] == ")" and flags:
        if i == 0:
            out.append(pattern[: j + 1])  # at the very start both engines read it alike
        else:
            out.append(f"(?{flags}:")
            scopes[-1].append(flags)
        return flags, j + 1
    out.append("(")
    return None, i + 1


def _escape(pattern: str, i: int) -> tuple[str, int]:
    nxt = pattern[i + 1 : i + 2]
    if nxt == "Q":
        end = pattern.find("\\E", i + 2)
        stop = len(pattern) if end < 0 else end
        literal = "".join(c if c.isalnum() or c == "_" else "\\" + c for c in pattern[i + 2 : stop])
        return literal, stop if end < 0 else end + 2
    if nxt == "z":
        return "\\Z", i + 2
    if nxt == "C":
        raise ValueError("\\C (any byte) has no equivalent")
    if nxt == "x" and pattern.startswith("{", i + 2):
        close = pattern.find("}", i + 3)
        if close < 0:
            raise ValueError("unterminated \\x{...}")
        return _code_point(pattern[i + 3 : close]), close + 1
    return pattern[i : i + 2], i + 2


def _code_point(digits: str) -> str:
    try:
        char = chr(int(digits, 16))
    except ValueError:
        raise ValueError(f"bad \\x{{{digits}}}") from None
    # Rules match bytes: a character past ASCII is its UTF-8 bytes.
    return "".join(f"\\x{byte:02x}" for byte in char.encode("utf-8"))


def _class_end(pattern: str, i: int) -> int:
    """Just past the class opening at i, read as RE2 reads it (`[` inside is text unless `[:`)."""
    j = i + 1
    if pattern.startswith("^", j):
        j += 1
    if pattern.startswith("]", j):
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        if pattern[j] == "\\":
            j += 2
        elif pattern.startswith("[:", j) and pattern.find(":]", j + 2) >= 0:
            j = pattern.find(":]", j + 2) + 2
        else:
            j += 1
    if j >= len(pattern):
        raise ValueError("unterminated character class")
    return j + 1


def _class(text: str) -> str:
    r"""A class as `regex` reads it the same: `\x{..}` spelled out, a `[` that is text escaped
    (`regex` would read `[[` as a nested set in some modes)."""
    out, j = [text[0]], 1
    while j < len(text):
        char = text[j]
        if char == "\\":
            if text.startswith("\\x{", j):
                close = text.index("}", j)
                value = int(text[j + 3 : close], 16)
                if value > 0x7F:
                    raise ValueError("a non-ASCII \\x{...} in a character class")
                out.append(f"\\x{value:02x}")
                j = close + 1
                continue
            out.append(text[j : j + 2])
            j += 2
        elif char == "[" and not text.startswith("[:", j):
            out.append("\\[")
            j += 1
        elif text.startswith("[:", j):
            close = text.index(":]", j + 2) + 2
            out.append(text[j:close])
            j = close
        else:
            out.append(char)
            j += 1
    return "".join(out)


# --- allowlists ---------------------------------------------------------------------------


def parse_allowlist(table: Any, where: str, warnings: list[str], *, rule: bool) -> Allowlist | None:
    """One `[[rules.allowlists]]` or `[[allowlists]]` table; None (with a warning) when it
    cannot be honoured as a whole."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: must be a table")
    known = _ALLOW_KEYS if rule else _ALLOW_KEYS | {"targetRules"}
    for key in sorted(set(table) - known):
        warnings.append(f"{where}: key {key!r} is not a gitleaks allowlist key; ignored")
    condition = str(table.get("condition", "OR") or "OR").upper().replace("&&", "AND").replace("||", "OR")
    if condition not in ("OR", "AND"):
        raise ConfigError(f"{where}: condition {table.get('condition')!r} (expected 'AND' or 'OR')")
    target = str(table.get("regexTarget", "secret") or "secret")
    if target not in ("secret", "match", "line"):
        raise ConfigError(f"{where}: regexTarget {target!r} (expected 'secret', 'match' or 'line')")
    lists = {key: _strings(table.get(key), f"{where}: {key}") for key in ("commits", "paths", "regexes", "stopwords")}
    patterns = {}
    for key in ("paths", "regexes"):
        try:
            patterns[key] = tuple(translate_regex(value) for value in lists[key])
        except ValueError as exc:
            warnings.append(f"{where}: {key}: a regex cannot be translated ({exc}); allowlist not honoured")
            return None
    if not any(lists.values()):
        raise ConfigError(f"{where}: must contain at least one of commits, paths, regexes, stopwords")
    return Allowlist(
        paths=patterns["paths"],
        regexes=patterns["regexes"],
        stopwords=tuple(dict.fromkeys(word.lower() for word in lists["stopwords"])),
        commits=tuple(dict.fromkeys(commit.strip().lower() for commit in lists["commits"])),
        condition=condition,
        regex_target=target,
        description=str(table.get("description", "")),
    )


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: must be a list of strings")
    return tuple(value)


def rule_allowlist_tables(table: Mapping[str, Any]) -> list[Any]:
    """The older `[rules.allowlist]` and the newer `[[rules.allowlists]]`, in that order."""
    tables = list(table.get("allowlists") or [])
    if isinstance(table.get("allowlist"), Mapping):
        tables.insert(0, table["allowlist"])
    return tables


__all__.append("rule_allowlist_tables")


# --- [extend] chains ----------------------------------------------------------------------


@dataclass(frozen=True)
class Chain:
    """A gitleaks config with everything it extends merged in, as gitleaks merges it: rule
    tables (each with the file it came from) in id order, global allowlist tables, whether
    the default rules are extended, the rules disabled in them, and the warnings so far."""

    rules: tuple[tuple[str, Mapping[str, Any]], ...]
    allowlists: tuple[tuple[str, Mapping[str, Any]], ...]
    use_default: bool = False
    default_disabled: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)


def read_chain(
    path: Path, data: Mapping[str, Any], read: Callable[[Path], dict[str, Any]], *, source: str | None = None
) -> Chain:
    """The config at `path` (already read as `data`) and, through `[extend] path`, the ones
    it extends; a cycle is an error."""
    return _read(path, data, read, source or str(path), (path.resolve(),))


def _read(
    path: Path, data: Mapping[str, Any], read: Callable[[Path], dict[str, Any]], source: str, seen: tuple[Path, ...]
) -> Chain:
    warnings: list[str] = [
        f"{source}: key {key!r} is not a gitleaks setting; ignored" for key in sorted(set(data) - _TOP_KEYS)
    ]
    extend = data.get("extend", {})
    if not isinstance(extend, Mapping):
        raise ConfigError(f"{source}: [extend] must be a table")
    for key in sorted(set(extend) - _EXTEND_KEYS):
        warnings.append(f"{source}: [extend] key {key!r} is not a gitleaks setting; ignored")
    if "url" in extend:
        warnings.append(f"{source}: [extend] url is not read (gitleaks does not read it either)")
    own = _own_rules(data, source)
    allowlists = [(source, table) for table in _global_tables(data, source)]
    disabled = _strings(extend.get("disabledRules"), f"{source}: [extend] disabledRules")
    use_default = extend.get("useDefault", False) is True
    base_path = extend.get("path")
    if use_default and base_path:
        raise ConfigError(f"{source}: [extend] has both path and useDefault; gitleaks takes one")
    if not base_path:
        return Chain(tuple(own), tuple(allowlists), use_default, disabled, tuple(warnings))
    base = _extended(path, base_path, source, read, seen)
    return _merge(own, allowlists, base, disabled, warnings, source)


def _extended(
    path: Path, base_path: Any, source: str, read: Callable[[Path], dict[str, Any]], seen: tuple[Path, ...]
) -> Chain:
    if not isinstance(base_path, str):
        raise ConfigError(f"{source}: [extend] path must be a string")
    # Relative to the config file; gitleaks reads it relative to where it runs, so that too.
    candidates = [path.parent / base_path, Path.cwd() / base_path]
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        raise ConfigError(f"{source}: [extend] path {base_path!r} not found (next to the config, or here)")
    if found.resolve() in seen:
        chain = " -> ".join(str(p) for p in (*seen, found.resolve()))
        raise ConfigError(f"{source}: [extend] path makes a cycle: {chain}")
    if len(seen) > _MAX_DEPTH:
        raise ConfigError(f"{source}: [extend] chain deeper than {_MAX_DEPTH} files")
    return _read(found, read(found), read, str(found), (*seen, found.resolve()))


def _merge(
    own: list[tuple[str, dict[str, Any]]],
    allowlists: list[tuple[str, Mapping[str, Any]]],
    base: Chain,
    disabled: Sequence[str],
    warnings: list[str],
    source: str,
) -> Chain:
    """gitleaks' extend: a rule of this config with the id of a base rule overrides what it
    sets (description, regex, secretGroup, entropy, path) and adds its keywords, tags and
    allowlists; base rules named in disabledRules are left out; allowlists are appended."""
    base_ids = {table["id"] for _, table in base.rules}
    for rule_id in disabled:
        if rule_id not in base_ids and not base.use_default:
            warnings.append(f"{source}: [extend] disabledRules: no rule {rule_id!r} in the extended config")
    rules: dict[str, tuple[str, Mapping[str, Any]]] = {table["id"]: (src, table) for src, table in own}
    for src, table in base.rules:
        rule_id = table["id"]
        if rule_id in disabled:
            continue
        if rule_id not in rules:
            rules[rule_id] = (src, table)
        else:
            rules[rule_id] = (rules[rule_id][0], _merge_rule(table, rules[rule_id][1]))
    default_disabled = (*base.default_disabled, *(d for d in disabled if d not in base_ids))
    return Chain(
        tuple(rules[key] for key in sorted(rules)),
        (*allowlists, *base.allowlists),
        base.use_default,
        tuple(dict.fromkeys(default_disabled)) if base.use_default else (),
        (*base.warnings, *warnings),
    )


def _merge_rule(base: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key in ("description", "regex", "path", "secretGroup", "entropy"):
        if current.get(key):
            merged[key] = current[key]
    for key in ("keywords", "tags"):
        merged[key] = [*(base.get(key) or []), *(current.get(key) or [])]
    merged["allowlists"] = [*rule_allowlist_tables(base), *rule_allowlist_tables(current)]
    merged.pop("allowlist", None)
    return merged


def _own_rules(data: Mapping[str, Any], source: str) -> list[tuple[str, dict[str, Any]]]:
    tables = data.get("rules", [])
    if not isinstance(tables, list) or not all(isinstance(t, Mapping) for t in tables):
        raise ConfigError(f"{source}: rules must be an array of tables ([[rules]])")
    rules = []
    for table in tables:
        rule_id = table.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            raise ConfigError(f"{source}: a [[rules]] entry has no id")
        rules.append((source, dict(table)))
    return rules


def _global_tables(data: Mapping[str, Any], source: str) -> list[Any]:
    tables = data.get("allowlists", [])
    if not isinstance(tables, list):
        raise ConfigError(f"{source}: allowlists must be an array of tables ([[allowlists]])")
    tables = list(tables)
    if isinstance(data.get("allowlist"), Mapping):
        tables.insert(0, data["allowlist"])
    return tables


def unknown_rule_keys(table: Mapping[str, Any]) -> list[str]:
    return sorted(set(table) - _RULE_KEYS)


__all__.append("unknown_rule_keys")


# --- .gitleaksignore -----------------------------------------------------------------------


def ignore_entries(text: str) -> frozenset[str]:
    """The fingerprints of a `.gitleaksignore`: `commit:file:rule-id:line`, or
    `file:rule-id:line` for findings with no commit; `\\` in paths read as `/`, as gitleaks
    does. Blank lines and `#` comments are skipped."""
    entries = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) == 3:
            parts[0] = parts[0].replace("\\", "/")
        elif len(parts) == 4:
            parts[1] = parts[1].replace("\\", "/")
        entries.add(":".join(parts))
    return frozenset(entries)
