"""Load and validate the rule pack (rules/*.toml) and user config (.keysweep.toml, gitleaks TOML)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import regex

from scanner.backtrack import risks
from scanner.engine.filters import resolve_filters
from scanner.engine.validators import VALIDATORS
from scanner.errors import ConfigError, RuleError
from scanner.model import CONFIDENCES, Allowlist, Rule
from scanner.patterns import (
    CONTEXT_KINDS,
    compact,
    compile_pattern,
    context_pattern,
    expand_fragments,
    structural_chars,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "Allowlist",
    "Config",
    "RuleSet",
    "load_rule_pack",
    "load_rule_file",
    "load_config",
    "parse_rule",
    "rule_pack_dir",
    "CONFIG_NAMES",
]

CONFIG_NAMES = (".keysweep.toml",)
GITLEAKS_NAME = ".gitleaks.toml"
# Fingerprints of findings to ignore, at the scanned root (read by scanner.gitleaks).
GITLEAKS_IGNORE = ".gitleaksignore"
# A project's pyproject.toml may hold the same settings under [tool.keysweep].
PYPROJECT = "pyproject.toml"

_PACK_ID = regex.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.[a-z0-9]+(?:[.-][a-z0-9]+)*$")
_USER_ID = regex.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_RULE_FIELDS = {
    "id",
    "description",
    "pattern",
    "keywords",
    "min_entropy",
    "validator",
    "allow",
    "references",
    "examples",
    "negative_examples",
    "priority",
    "filters",
    "multiline",
    "context",
    "path",
    "confidence",
    "example_paths",
    "negative_example_paths",
}
# Compiling a user pattern is bounded too: the `regex` module's timeout covers matching,
# and a pattern this long is not a token rule but a mistake or an attack.
_MAX_PATTERN_LEN = 4096


@dataclass(frozen=True)
class Config:
    """Everything a config file contributes; `webhooks` stay raw for scanner.actions to parse.

    `allowlist` is keysweep's own `[allowlist]`; `allowlists` are a gitleaks config's global
    ones (with commits, condition, regexTarget). `use_pack` is false for a gitleaks config
    that does not extend the default rules: gitleaks then runs its own rules only.
    `warnings` name what the config asks for that keysweep cannot honour."""

    source: str = ""
    rules: tuple[Rule, ...] = ()
    allowlist: Allowlist = Allowlist()
    webhooks: tuple[Mapping[str, Any], ...] = ()
    disabled_rules: tuple[str, ...] = ()
    allowlists: tuple[Allowlist, ...] = ()
    use_pack: bool = True
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """The rules of one scan, in a fixed order, with an id index."""

    rules: tuple[Rule, ...]

    def by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}


def rule_pack_dir() -> Path:
    """The shipped rule pack: `scanner/rulepack/` when installed, `rules/` in a source checkout."""
    installed = Path(__file__).resolve().parent / "rulepack"
    if installed.is_dir() and any(installed.glob("*.toml")):
        return installed
    return Path(__file__).resolve().parent.parent / "rules"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{path}: invalid TOML: UTF-16 text; save it as UTF-8")
    try:
        # Windows editors often start UTF-8 with a BOM; TOML parsers reject it as a bad statement.
        return tomllib.loads(raw.decode("utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8") from None


def _str_list(value: Any, source: str, rule_id: str | None, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RuleError(source, rule_id, field, "must be a list of strings")
    return tuple(value)


def _check_regex(pattern: str, source: str, rule_id: str | None, field: str) -> None:
    if len(pattern) > _MAX_PATTERN_LEN:
        raise RuleError(source, rule_id, field, f"pattern longer than {_MAX_PATTERN_LEN} characters")
    try:
        compile_pattern(pattern)
    except regex.error as exc:
        raise RuleError(source, rule_id, field, f"invalid regex: {exc}") from None
    # Refused rather than budgeted: such a pattern times out on ordinary input, and a
    # check that times out is a check that did not run.
    exponential = [risk for risk in risks(pattern) or () if risk.kind == "exponential"]
    if exponential:
        raise RuleError(
            source,
            rule_id,
            field,
            f"can take exponential time on some inputs ({exponential[0].what}); "
            "rewrite it so each character can be read by only one repeat",
        )


def parse_rule(
    table: Mapping[str, Any],
    *,
    source: str,
    provider: str | None,
    user: bool = False,
    compile_regexes: bool = True,
    fragments: Mapping[str, str] | None = None,
) -> Rule:
    """Validate one `[[rules]]` table; every problem names the file, rule id and field.

    `compile_regexes=False` (the shipped pack, on every start of a pre-commit hook) checks
    the patterns' shape only; `rules check` and the test suite compile every one of them.
    """
    if not isinstance(table, Mapping):
        raise RuleError(source, None, "rules", "each [[rules]] entry must be a table")
    rule_id = _rule_id(table, source, provider, user)
    description = table.get("description", rule_id if user else None)
    if not isinstance(description, str) or not description.strip():
        raise RuleError(source, rule_id, "description", "missing or not a string")
    path = _path(table, source, rule_id)
    path_only = bool(path) and table.get("pattern") is None and table.get("context") is None
    pattern, keywords = (
        ("", ()) if path_only else _pattern_and_keywords(table, source, rule_id, user, compile_regexes, fragments)
    )
    allow_regexes, stopwords = _allow(table, source, rule_id, compile_regexes)
    lists = {
        name: _str_list(table.get(name), source, rule_id, name)
        for name in ("references", "examples", "negative_examples", "example_paths", "negative_example_paths")
    }
    if (lists["example_paths"] or lists["negative_example_paths"]) and not path:
        raise RuleError(source, rule_id, "example_paths", "only a rule with a `path` has example paths")
    return Rule(
        id=rule_id,
        description=description.strip(),
        provider=provider or rule_id.split(".", 1)[0],
        pattern=pattern,
        keywords=keywords,
        min_entropy=_min_entropy(table, source, rule_id),
        validator=_validator(table, source, rule_id),
        allow_regexes=allow_regexes,
        allow_stopwords=stopwords,
        priority=_priority(table, source, rule_id, provider),
        source=source,
        filters=_filters(table, source, rule_id),
        multiline=_flag(table, source, rule_id, "multiline"),
        builtin=not user,
        path=path,
        references=lists["references"],
        examples=lists["examples"],
        negative_examples=lists["negative_examples"],
        written_pattern=table["pattern"] if table.get("context") is None and pattern else "",
        context=table.get("context") is not None,
        confidence=_confidence(table, source, rule_id),
        example_paths=lists["example_paths"],
        negative_example_paths=lists["negative_example_paths"],
    )


def _confidence(table: Mapping[str, Any], source: str, rule_id: str) -> str:
    """`confidence`: what every finding of the rule is reported at, in place of what its
    kind gives (a failed checksum still gives low); "" when not set."""
    value = table.get("confidence", "")
    if value != "" and value not in CONFIDENCES:
        raise RuleError(source, rule_id, "confidence", f"must be one of {', '.join(CONFIDENCES)}")
    return str(value)


def _path(table: Mapping[str, Any], source: str, rule_id: str) -> str:
    """`path`: a regex on the file path (search, like gitleaks'); a user rule with a path and
    no pattern reports the matching files themselves."""
    path = table.get("path")
    if path is None:
        return ""
    if not isinstance(path, str) or not path:
        raise RuleError(source, rule_id, "path", "must be a regex on the file path (a non-empty string)")
    _check_regex(path, source, rule_id, "path")
    return path


def _rule_id(table: Mapping[str, Any], source: str, provider: str | None, user: bool) -> str:
    rule_id = table.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise RuleError(source, None, "id", "missing or not a string")
    id_shape = _USER_ID if user else _PACK_ID
    if not id_shape.match(rule_id):
        raise RuleError(source, rule_id, "id", "must look like provider.kind (lowercase, digits, '-')")
    if not user and provider is not None and rule_id.split(".", 1)[0] != provider:
        raise RuleError(source, rule_id, "id", f"must start with the file's provider {provider!r}")
    unknown = set(table) - _RULE_FIELDS
    if unknown:
        raise RuleError(source, rule_id, sorted(unknown)[0], "unknown field")
    return rule_id


def _pattern_and_keywords(
    table: Mapping[str, Any],
    source: str,
    rule_id: str,
    user: bool,
    compile_regexes: bool,
    fragments: Mapping[str, str] | None,
) -> tuple[str, tuple[str, ...]]:
    """The rule's pattern (its own, or built from `[rules.context]`; fragments expanded,
    verbose written compact) and its keywords, which for a context rule default to the
    context's names."""
    pattern = table.get("pattern")
    context = table.get("context")
    context_names: tuple[str, ...] = ()
    if context is not None:
        if pattern is not None:
            raise RuleError(source, rule_id, "context", "a rule has a pattern or a context, not both")
        pattern, context_names = _context(context, source, rule_id, fragments)
    elif isinstance(pattern, str):
        pattern = _written_out(pattern, fragments, source, rule_id, "pattern")
    if not isinstance(pattern, str) or not pattern:
        raise RuleError(source, rule_id, "pattern", "missing or not a string")
    _check_secret_group(pattern, source, rule_id, compile_regexes)
    keywords = _str_list(table.get("keywords"), source, rule_id, "keywords") or context_names
    if not user and not keywords:
        raise RuleError(source, rule_id, "keywords", "at least one keyword is required")
    if any(not keyword.strip() for keyword in keywords):
        raise RuleError(source, rule_id, "keywords", "empty keyword")
    return pattern, keywords


def _check_secret_group(pattern: str, source: str, rule_id: str, compile_regexes: bool) -> None:
    if compile_regexes:
        _check_regex(pattern, source, rule_id, "pattern")
        has_secret = "secret" in compile_pattern(pattern).groupindex
    else:
        has_secret = "(?P<secret>" in pattern or "(?<secret>" in pattern
    if not has_secret:
        raise RuleError(source, rule_id, "pattern", "needs exactly one named group 'secret'")
    if pattern.count("(?P<secret>") + pattern.count("(?<secret>") > 1:
        raise RuleError(source, rule_id, "pattern", "has more than one group named 'secret'")


def _allow(
    table: Mapping[str, Any], source: str, rule_id: str, compile_regexes: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`[rules.allow]`: regexes a secret may match to be dropped, and lower-cased stopwords."""
    allow = table.get("allow", {})
    if not isinstance(allow, Mapping):
        raise RuleError(source, rule_id, "allow", "must be a table with regexes and stopwords")
    bad = set(allow) - {"regexes", "stopwords"}
    if bad:
        raise RuleError(source, rule_id, f"allow.{sorted(bad)[0]}", "unknown field")
    regexes = _str_list(allow.get("regexes"), source, rule_id, "allow.regexes")
    for item in regexes if compile_regexes else ():
        _check_regex(item, source, rule_id, "allow.regexes")
    stopwords = _str_list(allow.get("stopwords"), source, rule_id, "allow.stopwords")
    return regexes, tuple(word.lower() for word in stopwords)


def _min_entropy(table: Mapping[str, Any], source: str, rule_id: str) -> float:
    value = table.get("min_entropy", 0.0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 8:
        raise RuleError(source, rule_id, "min_entropy", "must be a number from 0 to 8")
    return float(value)


def _validator(table: Mapping[str, Any], source: str, rule_id: str) -> str | None:
    validator = table.get("validator")
    if validator is not None and (not isinstance(validator, str) or validator not in VALIDATORS):
        known = ", ".join(sorted(VALIDATORS))
        raise RuleError(source, rule_id, "validator", f"unknown validator {validator!r} (known: {known})")
    return validator


def _priority(table: Mapping[str, Any], source: str, rule_id: str, provider: str | None) -> int:
    priority = table.get("priority", -10 if provider == "generic" else 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise RuleError(source, rule_id, "priority", "must be an integer")
    return priority


def _flag(table: Mapping[str, Any], source: str, rule_id: str, name: str) -> bool:
    value = table.get(name, False)
    if not isinstance(value, bool):
        raise RuleError(source, rule_id, name, "must be true or false")
    return value


def _filters(table: Mapping[str, Any], source: str, rule_id: str) -> bool | tuple[str, ...]:
    filters = table.get("filters", True)
    if isinstance(filters, bool):
        return filters
    names = _str_list(filters, source, rule_id, "filters")
    try:
        resolve_filters(names)
    except KeyError as exc:
        raise RuleError(source, rule_id, "filters", f"unknown filter {exc.args[0]!r}") from None
    return names


def _written_out(
    pattern: str, fragments: Mapping[str, str] | None, source: str, rule_id: str | None, field: str
) -> str:
    """A pattern as the engine reads it: `{{fragment}}`s expanded (in rule files; None for
    config rules, whose `{{` may be a literal), then a `(?x)` pattern written compact."""
    try:
        return compact(expand_fragments(pattern, fragments) if fragments is not None else pattern)
    except KeyError as exc:
        raise RuleError(source, rule_id, field, f"unknown fragment {{{{{exc.args[0]}}}}}") from None
    except ValueError as exc:
        raise RuleError(source, rule_id, field, f"fragments name each other in a circle: {exc}") from None


def _fragments(data: Mapping[str, Any], source: str) -> dict[str, str]:
    """A rule file's `[fragments]`: named pieces of pattern its rules share, each read as
    verbose (whitespace and comments outside classes dropped)."""
    table = data.get("fragments", {})
    if not isinstance(table, Mapping):
        raise RuleError(source, None, "fragments", "must be a table of name = pattern")
    fragments: dict[str, str] = {}
    for name, text in table.items():
        if not regex.fullmatch(r"[a-z][a-z0-9_]*", name) or not isinstance(text, str) or not text.strip():
            raise RuleError(source, None, f"fragments.{name}", "a lowercase name and a non-empty pattern")
        fragments[name] = compact("(?x)" + text)
    return fragments


def _context(
    table: Any, source: str, rule_id: str, fragments: Mapping[str, str] | None = None
) -> tuple[str, tuple[str, ...]]:
    """A `[rules.context]` table: the pattern built from it (scanner.patterns.context_pattern)
    and the names, which are the rule's keywords unless it lists its own."""
    if not isinstance(table, Mapping):
        raise RuleError(source, rule_id, "context", "must be a table with names and value")
    bad = set(table) - {"names", "value", "kinds"}
    if bad:
        raise RuleError(source, rule_id, f"context.{sorted(bad)[0]}", "unknown field")
    names = _str_list(table.get("names"), source, rule_id, "context.names")
    if not names:
        raise RuleError(source, rule_id, "context.names", "at least one name is required")
    value = table.get("value")
    if not isinstance(value, str) or not value:
        raise RuleError(source, rule_id, "context.value", "missing or not a string")
    value = _written_out(value, fragments, source, rule_id, "context.value")
    if "(?P<" in value or "(?<" in value.replace("(?<=", "").replace("(?<!", ""):
        raise RuleError(source, rule_id, "context.value", "the value is the secret: it names no group")
    kinds = _str_list(table.get("kinds"), source, rule_id, "context.kinds") or CONTEXT_KINDS
    return context_pattern(names, value, kinds), names


def load_rule_file(path: Path, *, compile_regexes: bool = False) -> tuple[str, tuple[Rule, ...]]:
    """One provider file: returns (provider display name, rules)."""
    data = _read_toml(path)
    source = path.name
    provider = data.get("provider")
    if not isinstance(provider, str) or not regex.match(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", provider):
        raise RuleError(source, None, "provider", "missing or not a lowercase name")
    if path.stem != provider:
        raise RuleError(source, None, "provider", f"file must be named {provider}.toml")
    name = data.get("name", provider)
    tables = data.get("rules")
    if not isinstance(tables, list) or not tables:
        raise RuleError(source, None, "rules", "no [[rules]] in file")
    fragments = _fragments(data, source)
    return str(name), tuple(
        parse_rule(t, source=source, provider=provider, compile_regexes=compile_regexes, fragments=fragments)
        for t in tables
    )


def load_rule_pack(directory: Path | None = None, *, compile_regexes: bool = False) -> tuple[Rule, ...]:
    """Every shipped rule, in file then file-order; duplicate ids are an error.

    The regexes are compiled lazily by the matcher; `compile_regexes=True` checks them all now.
    """
    directory = directory or rule_pack_dir()
    paths = sorted(directory.glob("*.toml"))
    if not compile_regexes:
        return _cached_pack(directory, paths)
    return _parse_pack(directory, paths, compile_regexes=compile_regexes)


def _cached_pack(directory: Path, paths: Sequence[Path]) -> tuple[Rule, ...]:
    """The parsed pack from the cache (TOML parsing is most of a pre-commit hook's start-up),
    keyed by every file's bytes and by the parser's own source."""
    import time

    from scanner import model
    from scanner import patterns as patterns_module
    from scanner.engine.cache import file_stamp, load_json

    now = time.time_ns()
    try:
        inputs: list[Any] = [file_stamp(module, now) for module in (__file__, model.__file__, patterns_module.__file__)]
        inputs += [(path.name, file_stamp(path, now)) for path in paths]
    except OSError:
        return _parse_pack(directory, paths)
    rows = load_json("rules", inputs, lambda: [asdict(rule) for rule in _parse_pack(directory, paths)])
    try:
        return tuple(_rule_from_row(row) for row in rows)
    except (TypeError, ValueError, AttributeError):
        return _parse_pack(directory, paths)


_RULE_ATTRIBUTES = frozenset(Rule.__dataclass_fields__)


def _rule_from_row(row: dict[str, Any]) -> Rule:
    """A Rule from a cached row of `asdict`: the row came from a validated Rule, so its
    fields are set as they are, without the generated `__init__` (a third of a pre-commit
    hook's rule loading, for 480 rules of 25 fields)."""
    if row.keys() != _RULE_ATTRIBUTES:
        raise TypeError("cached rule has other fields than Rule")
    rule = object.__new__(Rule)
    rule.__dict__.update({key: tuple(value) if isinstance(value, list) else value for key, value in row.items()})
    return rule


def _parse_pack(directory: Path, paths: Sequence[Path], *, compile_regexes: bool = False) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in paths:
        for rule in load_rule_file(path, compile_regexes=compile_regexes)[1]:
            if rule.id in seen:
                raise RuleError(path.name, rule.id, "id", f"duplicate id (also in {seen[rule.id]})")
            seen[rule.id] = path.name
            rules.append(rule)
    if not rules:
        raise ConfigError(f"no rules found in {directory}")
    return tuple(rules)


def _looks_like_gitleaks(data: Mapping[str, Any], path: Path) -> bool:
    if "gitleaks" in path.name.lower():
        return True
    if "extend" in data or "title" in data or "allowlists" in data:
        return True
    tables = data.get("rules")
    gitleaks_keys = {"regex", "secretGroup", "entropy", "tags", "allowlists"}
    return isinstance(tables, list) and any(isinstance(t, Mapping) and gitleaks_keys & set(t) for t in tables)


def _gitleaks_config(path: Path, data: Mapping[str, Any], source: str) -> Config:
    """A gitleaks config with what it extends, as keysweep rules; `[extend] useDefault`
    stands for keysweep's own pack (gitleaks' default rules are not shipped)."""
    from scanner.gitleaks import read_chain

    chain = read_chain(path, data, _read_toml, source=source)
    warnings = list(chain.warnings)
    pack = {rule.id: rule for rule in load_rule_pack()} if chain.use_default else {}
    rules = [
        rule
        for src, table in chain.rules
        if (rule := _gitleaks_rule(table, src, warnings, pack.get(table["id"]))) is not None
    ]
    allowlists, targeted = _gitleaks_allowlists(chain, warnings)
    rules = _with_targeted(rules, targeted, pack, source, warnings)
    disabled = []
    for rule_id in chain.default_disabled:
        if rule_id in pack:
            disabled.append(rule_id)
        else:
            warnings.append(
                f"{source}: [extend] disabledRules: {rule_id!r} is not a rule of keysweep's pack, which "
                "stands in for gitleaks' default rules (see `keysweep rules list`); ignored"
            )
    return Config(
        source=source,
        rules=tuple(rules),
        allowlists=tuple(allowlists),
        disabled_rules=tuple(disabled),
        use_pack=chain.use_default,
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _gitleaks_allowlists(chain: Any, warnings: list[str]) -> tuple[list[Allowlist], dict[str, list[Allowlist]]]:
    """Global allowlists, and those with `targetRules` by the rule ids they name."""
    from scanner.gitleaks import parse_allowlist

    everywhere: list[Allowlist] = []
    targeted: dict[str, list[Allowlist]] = {}
    for src, table in chain.allowlists:
        allowlist = parse_allowlist(table, f"{src}: [[allowlists]]", warnings, rule=False)
        if allowlist is None:
            continue
        targets = table.get("targetRules") or []
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise ConfigError(f"{src}: [[allowlists]] targetRules must be a list of rule ids")
        for rule_id in targets:
            targeted.setdefault(rule_id, []).append(allowlist)
        if not targets:
            everywhere.append(allowlist)
    return everywhere, targeted


def _with_targeted(
    rules: list[Rule],
    targeted: Mapping[str, list[Allowlist]],
    pack: Mapping[str, Rule],
    source: str,
    warnings: list[str],
) -> list[Rule]:
    from dataclasses import replace

    by_id = {rule.id: rule for rule in rules}
    for rule_id, allowlists in targeted.items():
        rule = by_id.get(rule_id) or pack.get(rule_id)
        if rule is None:
            warnings.append(f"{source}: [[allowlists]] targetRules: no rule {rule_id!r}; allowlist not used there")
            continue
        by_id[rule_id] = replace(rule, allowlists=(*rule.allowlists, *allowlists))
    return list(by_id.values())


def _gitleaks_rule(table: Mapping[str, Any], source: str, warnings: list[str], base: Rule | None) -> Rule | None:
    """Translate a gitleaks rule (RE2 `regex` + `secretGroup` -> a named `secret` group;
    `path`, `entropy`, `keywords`, `tags`, allowlists); None, with a warning naming the rule
    and the key, when it cannot be honoured. `base`: the pack rule it extends (useDefault)."""
    from scanner.gitleaks import unknown_rule_keys

    rule_id = table["id"]
    where = f"{source}: rule {rule_id}"
    for key in unknown_rule_keys(table):
        warnings.append(f"{where}: key {key!r} is not a gitleaks rule key; ignored")
    if table.get("skipReport") is True:
        warnings.append(f"{where}: skipReport: the rule only serves [[rules.required]], not honoured; not loaded")
        return None
    if table.get("required"):
        warnings.append(f"{where}: required: composite rules are not honoured; the rule reports on its own")
    translated = _gitleaks_patterns(table, where, warnings)
    if translated is None:
        return None
    pattern, path = translated
    allowlists = _rule_allowlists(table, where, warnings)
    keywords = [str(k).lower() for k in table.get("keywords") or []]
    tags = tuple(str(t) for t in table.get("tags") or [])
    if base is not None:
        return _extend_pack_rule(base, table, pattern, path, keywords, tags, allowlists, warnings)
    if not pattern and not path:
        warnings.append(f"{where}: has neither regex nor path (and extends no rule); not loaded")
        return None
    fields: dict[str, Any] = {
        "id": rule_id,
        "description": table.get("description") or rule_id,
        "keywords": keywords,
        "min_entropy": _above(table.get("entropy", 0.0)),
        "multiline": _spans_lines(pattern),
    }
    fields.update({"pattern": pattern} if pattern else {})
    fields.update({"path": path} if path else {})
    try:
        rule = parse_rule(fields, source=source, provider=None, user=True)
    except RuleError as exc:
        warnings.append(f"{where}: {exc.field or 'rule'}: {exc.problem}; rule not loaded")
        return None
    from dataclasses import replace

    return replace(rule, allowlists=tuple(allowlists), tags=tags)


def _above(entropy: Any) -> Any:
    """gitleaks keeps a secret whose entropy is above `entropy`, keysweep one at least at
    `min_entropy`: the next float up says the same."""
    if isinstance(entropy, (int, float)) and not isinstance(entropy, bool) and 0 < entropy < 8:
        import math

        return math.nextafter(float(entropy), math.inf)
    return entropy


def _gitleaks_patterns(table: Mapping[str, Any], where: str, warnings: list[str]) -> tuple[str, str] | None:
    """The rule's regex (with its `secret` group) and path regex, in `regex` syntax."""
    from scanner.gitleaks import translate_regex

    found = {}
    for key in ("regex", "path"):
        value = table.get(key) or ""
        if not isinstance(value, str):
            warnings.append(f"{where}: {key}: must be a string; rule not loaded")
            return None
        try:
            found[key] = translate_regex(value) if value else ""
        except ValueError as exc:
            warnings.append(f"{where}: {key}: cannot be translated from Go RE2 ({exc}); rule not loaded")
            return None
        if len(found[key]) > _MAX_PATTERN_LEN:
            warnings.append(f"{where}: {key}: longer than {_MAX_PATTERN_LEN} characters; rule not loaded")
            return None
    pattern = found["regex"]
    if pattern:
        named = _secret_group(pattern, table.get("secretGroup", 0), where, warnings)
        if named is None:
            return None
        pattern = named
    return pattern, found["path"]


def _secret_group(pattern: str, group: Any, where: str, warnings: list[str]) -> str | None:
    try:
        compiled = compile_pattern(pattern)
    except regex.error as exc:
        warnings.append(f"{where}: regex: not a pattern keysweep can read ({exc}); rule not loaded")
        return None
    if "secret" in compiled.groupindex:
        return pattern
    if isinstance(group, bool) or not isinstance(group, int) or group < 0:
        warnings.append(f"{where}: secretGroup: must be a group number; rule not loaded")
        return None
    if not group and compiled.groups:
        if compiled.groups > 1:
            warnings.append(
                f"{where}: secretGroup: not set, and the regex has {compiled.groups} groups: keysweep "
                "reports group 1 where gitleaks reports the first group that matched"
            )
        group = 1
    if group > compiled.groups:
        warnings.append(f"{where}: secretGroup: {group}, but the regex has {compiled.groups} groups; rule not loaded")
        return None
    return _name_group(pattern, group) if group else f"(?P<secret>{pattern})"


def _spans_lines(pattern: str) -> bool:
    """gitleaks matches a whole file at once; a pattern written to read across lines (a PEM
    block: `[\\s\\S]`, `(?s)`) needs keysweep's multiline window."""
    return any(part in pattern for part in ("\\s\\S", "\\S\\s", "(?s"))


def _rule_allowlists(table: Mapping[str, Any], where: str, warnings: list[str]) -> list[Allowlist]:
    from scanner.gitleaks import parse_allowlist, rule_allowlist_tables

    parsed = [
        parse_allowlist(entry, f"{where}: [[rules.allowlists]]", warnings, rule=True)
        for entry in rule_allowlist_tables(table)
    ]
    return [allowlist for allowlist in parsed if allowlist is not None]


def _extend_pack_rule(
    base: Rule,
    table: Mapping[str, Any],
    pattern: str,
    path: str,
    keywords: list[str],
    tags: tuple[str, ...],
    allowlists: list[Allowlist],
    warnings: list[str],
) -> Rule:
    """A gitleaks rule with the id of a pack rule, under useDefault: it overrides what it
    sets and adds its keywords, tags and allowlists, as gitleaks extends a default rule."""
    from dataclasses import replace

    if table.get("secretGroup") and not table.get("regex"):
        warnings.append(f"{table['id']}: secretGroup without a regex does not apply to a keysweep pack rule; ignored")
    entropy = table.get("entropy")
    return replace(
        base,
        description=table.get("description") or base.description,
        pattern=pattern or base.pattern,
        path=path or base.path,
        min_entropy=float(_above(entropy)) if isinstance(entropy, (int, float)) and entropy else base.min_entropy,
        keywords=(*base.keywords, *keywords),
        tags=(*base.tags, *tags),
        allowlists=(*base.allowlists, *allowlists),
        # A replaced pattern is the user's: it runs with a user rule's time budget.
        builtin=base.builtin and not pattern,
    )


def _name_group(pattern: str, number: int) -> str:
    """Rename the N-th capturing group to `secret` (gitleaks' secretGroup)."""
    count = 0
    for i, char in structural_chars(pattern):
        if char == "(":
            rest = pattern[i + 1 :]
            named = rest.startswith(("?P<", "?<")) and not rest.startswith(("?<=", "?<!"))
            if not rest.startswith("?") or named:
                count += 1
                if count == number:
                    if named:
                        close = pattern.index(">", i)
                        return pattern[: i + 1] + "?P<secret>" + pattern[close + 1 :]
                    return pattern[: i + 1] + "?P<secret>" + pattern[i + 1 :]
    raise ConfigError(f"secretGroup {number} does not exist in pattern")


def _allowlist(tables: Iterable[Any], source: str) -> Allowlist:
    paths: list[str] = []
    regexes: list[str] = []
    stopwords: list[str] = []
    for table in tables:
        if not isinstance(table, Mapping):
            raise RuleError(source, None, "allowlist", "must be a table")
        for field, into in (("paths", paths), ("regexes", regexes), ("stopwords", stopwords)):
            values = _str_list(table.get(field), source, None, f"allowlist.{field}")
            if field != "stopwords":
                for value in values:
                    _check_regex(value, source, None, f"allowlist.{field}")
            into.extend(values)
    return Allowlist(tuple(paths), tuple(regexes), tuple(word.lower() for word in stopwords))


def load_config(path: Path | None, *, root: Path | None = None) -> Config:
    """`--config FILE`, else the scanned root's `.keysweep.toml`, else its `pyproject.toml`
    when that has a `[tool.keysweep]` table, else its `.gitleaks.toml`, else an empty config."""
    if path is None:
        path = _discover(root)
        if path is None:
            return Config()
    elif not path.exists():
        raise ConfigError(f"config file not found: {path}")
    elif not path.is_file():
        raise ConfigError(f"config file is not a regular file: {path}")
    data = _read_toml(path)
    source = str(path)
    if path.name == PYPROJECT:
        tool = data.get("tool", {})
        section = tool.get("keysweep") if isinstance(tool, Mapping) else None
        if not isinstance(section, Mapping):
            raise ConfigError(f"{path}: no [tool.keysweep] table")
        data, source = dict(section), f"{path} [tool.keysweep]"
    if _looks_like_gitleaks(data, path):
        return _gitleaks_config(path, data, source)
    return _keysweep_config(data, source)


def _discover(root: Path | None) -> Path | None:
    if root is None:
        return None
    own = root / CONFIG_NAMES[0]
    if own.is_file():
        return own
    pyproject = root / PYPROJECT
    if pyproject.is_file() and b"[tool.keysweep" in pyproject.read_bytes():
        return pyproject
    gitleaks = root / GITLEAKS_NAME
    if gitleaks.is_file():
        return gitleaks
    return None


def _keysweep_config(data: Mapping[str, Any], source: str) -> Config:
    known = {"rules", "allowlist", "webhooks", "disabled_rules"}
    unknown = set(data) - known
    if unknown:
        raise RuleError(source, None, sorted(unknown)[0], "unknown setting")
    tables = data.get("rules", [])
    if not isinstance(tables, list):
        raise RuleError(source, None, "rules", "must be an array of tables ([[rules]])")
    rules = tuple(parse_rule(t, source=source, provider=None, user=True) for t in tables)
    allow = data.get("allowlist", {})
    webhooks = data.get("webhooks", [])
    if not isinstance(webhooks, list) or not all(isinstance(w, Mapping) for w in webhooks):
        raise RuleError(source, None, "webhooks", "must be an array of tables ([[webhooks]])")
    disabled = _str_list(data.get("disabled_rules"), source, None, "disabled_rules")
    return Config(
        source=source,
        rules=rules,
        allowlist=_allowlist([allow], source),
        webhooks=tuple(webhooks),
        disabled_rules=disabled,
    )


def build_ruleset(pack: Sequence[Rule], config: Config) -> RuleSet:
    """Pack rules, then config rules (a config rule with a pack id replaces it)."""
    if not config.use_pack:
        pack = ()  # a gitleaks config that does not extend the defaults is the whole rule set
    overrides = {rule.id: rule for rule in config.rules}
    disabled = set(config.disabled_rules)
    unknown = sorted(disabled - {rule.id for rule in pack} - set(overrides))
    if unknown:
        # A typo would otherwise leave the rule on while the user believes it off.
        raise RuleError(config.source, None, "disabled_rules", f"no rule has the id {unknown[0]!r}")
    rules = [overrides.pop(rule.id, rule) for rule in pack if rule.id not in disabled]
    rules.extend(rule for rule in config.rules if rule.id in overrides)
    return RuleSet(tuple(rules))


__all__.append("build_ruleset")


def rules_markdown(rules: Sequence[Rule]) -> str:
    """docs/rules.md: one row per provider, its rules and where its format is documented."""
    by_provider: dict[str, list[Rule]] = {}
    for rule in rules:
        by_provider.setdefault(rule.provider, []).append(rule)
    lines = [
        "# Rules",
        "",
        "Generated by `keysweep rules list --format markdown`; do not edit by hand.",
        "",
        f"{len(rules)} rules over {len(by_provider)} providers.",
        "",
        "| provider | rules | detects | validated | reference |",
        "|---|---|---|---|---|",
    ]
    for provider in sorted(by_provider):
        group = by_provider[provider]
        ids = "<br>".join(f"`{r.id}`" for r in group)
        detects = "<br>".join(r.description.replace("|", "\\|") for r in group)
        validated = ", ".join(sorted({r.validator for r in group if r.validator})) or ""
        reference = next((r.references[0] for r in group if r.references), "")
        link = f"[docs]({reference})" if reference else ""
        lines.append(f"| {provider} | {ids} | {detects} | {validated} | {link} |")
    return "\n".join(lines) + "\n"


__all__.append("rules_markdown")
