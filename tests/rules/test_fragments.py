"""Verbose patterns and fragments: how a rule is written never changes what it matches."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import regex

from scanner.errors import RuleError
from scanner.patterns import compact, expand_fragments, is_verbose
from scanner.rules import load_rule_file, load_rule_pack, rule_pack_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def test_compact_drops_layout_and_comments_but_not_classes_or_escapes() -> None:
    verbose = "(?x)\n  a [ #] \\  b   # a comment (with a paren\n  c{2} \\# d"
    assert compact(verbose) == "a[ #]\\ bc{2}\\#d"
    assert compact("a b # not verbose") == "a b # not verbose"
    assert compact("(?mx) ^a # c\n b") == "(?m)^ab" and compact("(?xi)a b") == "(?i)ab"


def test_compact_matches_what_the_regex_module_reads_in_verbose_mode() -> None:
    verbose = r"""(?x)
      (?P<q>[\"' ])?          # an optional quote, or a space
      (?P<secret> [A-Za-z\ ]{4,} )   # letters and escaped spaces
      (?(q)(?P=q))"""
    text = b"x = 'ab cd' and \"efgh\" and  ijkl "
    found = [m.span("secret") for m in regex.finditer(verbose.encode(), text)]
    assert found and found == [m.span("secret") for m in regex.finditer(compact(verbose).encode(), text)]


def test_fragments_nest_and_unknown_or_circular_ones_are_errors() -> None:
    assert expand_fragments("<{{a}}>{2}", {"a": "x{{b}}", "b": "y"}) == "<xy>{2}"
    with pytest.raises(KeyError):
        expand_fragments("{{nope}}", {})
    with pytest.raises(ValueError, match="a -> b -> a"):
        expand_fragments("{{a}}", {"a": "{{b}}", "b": "{{a}}"})


def _provider_file(tmp_path: Path, fragments: str, pattern: str) -> Path:
    path = tmp_path / "acme.toml"
    path.write_text(
        'provider = "acme"\n'
        f"{fragments}\n"
        '[[rules]]\nid = "acme.key"\ndescription = "Acme key"\n'
        f"pattern = '''{pattern}'''\n"
        'keywords = ["acme_"]\n'
    )
    return path


def test_a_rule_file_uses_its_own_fragments(tmp_path: Path) -> None:
    fragments = "[fragments]\nbody = '''\n  [a-z0-9]{24}   # the documented length\n'''\n"
    path = _provider_file(tmp_path, fragments, "(?x) \\b (?P<secret> acme_ {{body}} ) \\b")
    [rule] = load_rule_file(path, compile_regexes=True)[1]
    assert rule.pattern == "\\b(?P<secret>acme_[a-z0-9]{24})\\b"


@pytest.mark.parametrize(
    ("fragments", "message"),
    [
        ("", "unknown fragment {{body}}"),
        ("[fragments]\nbody = '''{{body}}'''\n", "in a circle: body -> body"),
        ("[fragments]\nBody = '''x'''\n", "fragments.Body"),
    ],
)
def test_bad_fragments_name_the_file_and_field(tmp_path: Path, fragments: str, message: str) -> None:
    path = _provider_file(tmp_path, fragments, "(?P<secret>acme_{{body}})")
    with pytest.raises(RuleError, match="acme.toml") as raised:
        load_rule_file(path, compile_regexes=True)
    assert message in str(raised.value)


def test_the_generic_rules_write_each_shared_piece_once() -> None:
    """The file names its fragments; no expanded fragment is spelled out again by hand."""
    patterns = [table["pattern"] for table in tomllib.loads((rule_pack_dir() / "generic.toml").read_text())["rules"]]
    for piece in ("passphrase|passcode", "String::from", "(?P<noqs>)", "plaintext|raw|b64"):
        assert not any(piece in pattern for pattern in patterns), piece
    assert sum("{{any_name}}" in pattern for pattern in patterns) >= 7


def test_every_verbose_pattern_of_the_pack_reads_as_written(tmp_path: Path) -> None:
    """Each `(?x)` rule as loaded (compact) finds exactly what the regex module finds with
    the pattern as written, on its examples and negative examples."""
    loaded = {rule.id: rule.pattern for rule in load_rule_pack(compile_regexes=True)}
    checked = 0
    for path in sorted(rule_pack_dir().glob("*.toml")):
        data = tomllib.loads(path.read_text())
        if data.get("fragments"):
            continue  # written with fragments: checked through the examples by `rules check`
        for table in data["rules"]:
            pattern = table.get("pattern", "")
            if not is_verbose(pattern):
                continue
            written, compacted = regex.compile(pattern.encode()), regex.compile(loaded[table["id"]].encode())
            for text in (*table.get("examples", ()), *table.get("negative_examples", ())):
                data_ = text.encode()
                assert [m.span() for m in written.finditer(data_)] == [m.span() for m in compacted.finditer(data_)]
            checked += 1
    assert checked >= 5
