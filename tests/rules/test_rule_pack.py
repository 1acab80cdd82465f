"""Every rule of the shipped pack against its own examples: one test per rule."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.engine.prefilter import available_backends
from scanner.patterns import is_verbose
from scanner.rulecheck import ONE_LINE_LIMIT, check_rule
from scanner.rules import load_rule_pack, rule_pack_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PACK = load_rule_pack()


@pytest.mark.parametrize("rule", PACK, ids=[rule.id for rule in PACK])
def test_rule_examples(rule) -> None:
    assert check_rule(rule) == []


def test_pack_ids_unique_and_files_named_by_provider() -> None:
    ids = [rule.id for rule in PACK]
    assert len(ids) == len(set(ids))
    for rule in PACK:
        assert rule.source == f"{rule.provider}.toml"
        assert (rule_pack_dir() / rule.source).is_file()


def test_every_rule_has_references_and_examples() -> None:
    for rule in PACK:
        if rule.pattern:
            assert rule.examples and rule.negative_examples, rule.id
        else:  # a path-only rule reads no content: its paths are its examples
            assert rule.example_paths and rule.negative_example_paths, rule.id
        assert rule.references, rule.id


@pytest.mark.skipif("hyperscan" not in available_backends(), reason="Hyperscan not installed")
def test_examples_pass_with_the_fallback_prefilter_too() -> None:
    problems = [p for rule in PACK for p in check_rule(rule, backend="aho-corasick")]
    assert problems == []


def test_every_pattern_of_the_pack_compiles() -> None:
    """Start-up skips compiling the pack; this is where a broken pattern is caught."""
    assert len(load_rule_pack(compile_regexes=True)) == len(PACK)


def test_rules_check_reports_a_broken_pattern(tmp_path) -> None:
    broken = replace(PACK[0], pattern="(?P<secret>[a-z")
    [problem] = check_rule(broken)
    assert "invalid regex" in problem and PACK[0].id in problem


def test_long_pack_patterns_are_written_verbose() -> None:
    """A pattern over 100 characters is written `(?x)`, over lines with comments, as the
    files have it (context rules build theirs: not written, not counted). A literal space or
    `#` is written `[ ]` or `\\#` there."""
    one_line = []
    for path in sorted(rule_pack_dir().glob("*.toml")):
        for table in tomllib.loads(path.read_text(encoding="utf-8")).get("rules", []):
            pattern = table.get("pattern")
            if isinstance(pattern, str) and not is_verbose(pattern) and len(pattern) > ONE_LINE_LIMIT:
                one_line.append(table["id"])
    assert one_line == []


def _verbose_long_rule():
    return next(r for r in PACK if r.written_pattern.startswith("(?x)") and len(r.pattern) > ONE_LINE_LIMIT)


def test_rules_check_reports_a_long_one_line_pack_pattern() -> None:
    rule = _verbose_long_rule()
    assert check_rule(rule) == []
    one_line = replace(rule, written_pattern=rule.pattern)  # as it was written before going verbose
    [problem] = check_rule(one_line)
    assert f"{rule.id}: pattern: {len(rule.pattern)} characters on one line" in problem
    assert check_rule(replace(one_line, builtin=False)) == []  # user rules are written as their authors like


def test_rules_check_command_fails_on_a_long_one_line_pattern(cli, monkeypatch) -> None:
    """Rule files merged from other branches are held to it by `keysweep rules check`."""
    import scanner.run

    rule = _verbose_long_rule()
    monkeypatch.setattr(scanner.run, "load_rule_pack", lambda: (replace(rule, written_pattern=rule.pattern),))
    failed = cli(["rules", "check"])
    assert failed.code == 1 and f"FAIL {rule.source}: {rule.id}: pattern: " in failed.err
    monkeypatch.setattr(scanner.run, "load_rule_pack", lambda: (rule,))
    assert cli(["rules", "check"]).code == 0


def test_docs_rules_md_is_up_to_date() -> None:
    from pathlib import Path

    from scanner.rules import rules_markdown

    doc = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    assert doc.read_text(encoding="utf-8") == rules_markdown(PACK), (
        "docs/rules.md is stale: run `keysweep rules list --format markdown > docs/rules.md`"
    )


def _two_file_pack(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """(cache directory, pack directory): a cache of this test's own and a pack of two of
    the real rule files."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("KEYSWEEP_CACHE_DIR", str(cache))
    pack = tmp_path / "pack"
    pack.mkdir()
    for name in ("github.toml", "stripe.toml"):
        (pack / name).write_bytes((rule_pack_dir() / name).read_bytes())
    return cache, pack


def test_parsed_pack_is_cached_and_follows_the_files(tmp_path, monkeypatch) -> None:
    """Start-up reads the parsed pack from the cache; an edited rule file or a corrupt cache
    entry means parsing again, never stale or broken rules."""
    cache, pack = _two_file_pack(tmp_path, monkeypatch)
    first = load_rule_pack(pack)
    assert [p.name for p in cache.glob("rules-*.json")] and load_rule_pack(pack) == first
    text = (pack / "stripe.toml").read_text(encoding="utf-8")
    old = next(rule.description for rule in first if rule.provider == "stripe")
    (pack / "stripe.toml").write_text(text.replace(old, "Edited description", 1), encoding="utf-8")
    edited = load_rule_pack(pack)
    assert "Edited description" in [rule.description for rule in edited]
    for entry in cache.glob("rules-*.json"):
        entry.write_bytes(b'[{"id": 5}]')
    assert load_rule_pack(pack) == edited
    for entry in cache.glob("rules-*.json"):
        entry.write_bytes(b"\x00not json")
    assert load_rule_pack(pack) == edited


def test_settled_rule_files_are_keyed_by_stat_and_still_follow_edits(tmp_path, monkeypatch) -> None:
    """Files older than two seconds are keyed by size and mtime (no file is read to hash it):
    an edit changes the mtime, and a cached row with other fields than Rule is parsed again."""
    import json

    cache, pack = _two_file_pack(tmp_path, monkeypatch)
    for path in pack.iterdir():
        os.utime(path, ns=(10**18, 10**18))  # long settled
    first = load_rule_pack(pack)
    assert first == load_rule_pack(pack)
    assert all(rule == type(rule)(**vars(rule)) for rule in first), "as the generated __init__ builds them"
    text = (pack / "stripe.toml").read_text(encoding="utf-8")
    old = next(rule.description for rule in first if rule.provider == "stripe")
    (pack / "stripe.toml").write_text(text.replace(old, "Edited description", 1), encoding="utf-8")
    os.utime(pack / "stripe.toml", ns=(10**18 + 1, 10**18 + 1))
    edited = load_rule_pack(pack)
    assert "Edited description" in [rule.description for rule in edited]
    for entry in cache.glob("rules-*.json"):
        rows = json.loads(entry.read_bytes())
        for row in rows:
            row.pop("tags")
        entry.write_text(json.dumps(rows))
    assert load_rule_pack(pack) == edited


def test_a_rule_file_written_just_now_is_keyed_by_its_bytes(tmp_path) -> None:
    from scanner.engine.cache import file_digest, file_stamp

    path = tmp_path / "x.toml"
    path.write_bytes(b"a = 1\n")
    now = os.stat(path).st_mtime_ns
    assert file_stamp(path, now) == file_digest(path), "a write within the same clock tick could keep size and mtime"
    assert file_stamp(path, now + 3 * 10**9) == (6, now)
