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
from scanner.model import Rule
from scanner.patterns import CONTEXT_KINDS, compile_pattern, context_pattern, structural_chars

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
}
# Compiling a user pattern is bounded too: the `regex` module's timeout covers matching,
# and a pattern this long is not a token rule but a mistake or an attack.
_MAX_PATTERN_LEN = 4096


@dataclass(frozen=True)
class Allowlist:
    """Config-level suppression: path regexes, secret regexes, stopwords in the secret."""

    paths: tuple[str, ...] = ()
    regexes: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """Everything a config file contributes; `webhooks` stay raw for scanner.actions to parse."""

    source: str = ""
    rules: tuple[Rule, ...] = ()
    allowlist: Allowlist = Allowlist()
    webhooks: tuple[Mapping[str, Any], ...] = ()
    disabled_rules: tuple[str, ...] = ()


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
    table: Mapping[str, Any], *, source: str, provider: str | None, user: bool = False, compile_regexes: bool = True
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
    pattern, keywords = _pattern_and_keywords(table, source, rule_id, user, compile_regexes)
    allow_regexes, stopwords = _allow(table, source, rule_id, compile_regexes)
    lists = {
        name: _str_list(table.get(name), source, rule_id, name)
        for name in ("references", "examples", "negative_examples")
    }
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
        **lists,
    )


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
    table: Mapping[str, Any], source: str, rule_id: str, user: bool, compile_regexes: bool
) -> tuple[str, tuple[str, ...]]:
    """The rule's pattern (its own, or built from `[rules.context]`) and its keywords,
    which for a context rule default to the context's names."""
    pattern = table.get("pattern")
    context = table.get("context")
    context_names: tuple[str, ...] = ()
    if context is not None:
        if pattern is not None:
            raise RuleError(source, rule_id, "context", "a rule has a pattern or a context, not both")
        pattern, context_names = _context(context, source, rule_id)
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


def _context(table: Any, source: str, rule_id: str) -> tuple[str, tuple[str, ...]]:
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
    return str(name), tuple(
        parse_rule(t, source=source, provider=provider, compile_regexes=compile_regexes) for t in tables
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
    from scanner.engine.cache import file_digest, load_json

    try:
        inputs: list[Any] = [file_digest(__file__)]
        inputs += [(path.name, file_digest(path)) for path in paths]
    except OSError:
        return _parse_pack(directory, paths)
    rows = load_json("rules", inputs, lambda: [asdict(rule) for rule in _parse_pack(directory, paths)])
    try:
        return tuple(_rule_from_row(row) for row in rows)
    except (TypeError, ValueError):
        return _parse_pack(directory, paths)


def _rule_from_row(row: dict[str, Any]) -> Rule:
    values: dict[str, Any] = {key: tuple(value) if isinstance(value, list) else value for key, value in row.items()}
    return Rule(**values)


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


def _looks_like_gitleaks(data: Mapping[str, Any]) -> bool:
    if "extend" in data or "title" in data or "allowlists" in data:
        return True
    tables = data.get("rules")
    return isinstance(tables, list) and any(isinstance(t, Mapping) and "regex" in t for t in tables)


def _gitleaks_rule(table: Mapping[str, Any], source: str) -> Rule | None:
    """Translate a gitleaks rule: RE2 `regex` + `secretGroup` -> a named `secret` group."""
    rule_id = table.get("id")
    if not isinstance(rule_id, str):
        raise RuleError(source, None, "id", "missing or not a string")
    pattern = table.get("regex")
    if pattern is None:
        return None  # path-only gitleaks rules flag file names, not secrets
    if not isinstance(pattern, str):
        raise RuleError(source, rule_id, "regex", "must be a string")
    _check_regex(pattern, source, rule_id, "regex")
    group = table.get("secretGroup", 0)
    compiled = compile_pattern(pattern)
    if "secret" not in compiled.groupindex:
        if not group and compiled.groups:
            group = 1
        pattern = _name_group(pattern, int(group)) if group else f"(?P<secret>{pattern})"
    allow: dict[str, list[str]] = {"regexes": [], "stopwords": []}
    allowlists = table.get("allowlists") or []
    if isinstance(table.get("allowlist"), Mapping):
        allowlists = [table["allowlist"], *allowlists]
    for entry in allowlists:
        if isinstance(entry, Mapping):
            allow["regexes"] += list(entry.get("regexes", []))
            allow["stopwords"] += list(entry.get("stopwords", []))
    return parse_rule(
        {
            "id": rule_id,
            "description": table.get("description", rule_id),
            "pattern": pattern,
            "keywords": table.get("keywords", []),
            "min_entropy": table.get("entropy", 0.0),
            "allow": allow,
        },
        source=source,
        provider=None,
        user=True,
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
    when that has a `[tool.keysweep]` table, else an empty config."""
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
    if _looks_like_gitleaks(data):
        rules = tuple(rule for table in data.get("rules", []) if (rule := _gitleaks_rule(table, source)) is not None)
        allow_tables = list(data.get("allowlists", []))
        if isinstance(data.get("allowlist"), Mapping):
            allow_tables.insert(0, data["allowlist"])
        return Config(source=source, rules=rules, allowlist=_allowlist(allow_tables, source))
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
