"""scanner.rules config: .keysweep.toml and gitleaks configs, merged with the pack."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.errors import ConfigError
from scanner.rules import build_ruleset, load_config, load_rule_pack


@pytest.fixture(scope="module")
def pack():
    return load_rule_pack()


def _write(tmp_path: Path, text: str, name: str = ".keysweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_root_config_is_found_and_an_absent_one_is_empty(tmp_path: Path) -> None:
    assert load_config(None, root=tmp_path).rules == ()
    _write(tmp_path, "[[rules]]\nid = \"team.token\"\npattern = '''team_(?P<secret>[a-z0-9]{20})'''\n")
    (rule,) = load_config(None, root=tmp_path).rules
    assert rule.id == "team.token" and not rule.builtin


def test_disabled_rules_turn_pack_rules_off_and_a_typo_is_an_error(tmp_path: Path, pack) -> None:
    config = load_config(_write(tmp_path, 'disabled_rules = ["github.classic-pat"]\n'))
    ids = {rule.id for rule in build_ruleset(pack, config).rules}
    assert "github.classic-pat" not in ids and "github.fine-grained-pat" in ids
    typo = load_config(_write(tmp_path, 'disabled_rules = ["github.clasic-pat"]\n'))
    with pytest.raises(ConfigError, match="github.clasic-pat"):
        build_ruleset(pack, typo)


def test_a_user_rule_with_a_pack_id_replaces_it(tmp_path: Path, pack) -> None:
    path = _write(
        tmp_path,
        '[[rules]]\nid = "github.classic-pat"\ndescription = "ours"\n'
        "pattern = '''(?P<secret>ghp_[A-Za-z0-9]{36})'''\n",
    )
    rules = build_ruleset(pack, load_config(path)).by_id()
    assert rules["github.classic-pat"].description == "ours"
    assert len([r for r in build_ruleset(pack, load_config(path)).rules if r.id == "github.classic-pat"]) == 1


def test_unknown_settings_and_missing_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(_write(tmp_path, "colour = true\n"))
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_a_gitleaks_config_becomes_user_rules_and_an_allowlist(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "title = 'team'\n"
        "[[rules]]\nid = 'internal-token'\ndescription = 'Internal token'\n"
        "regex = '''itk_([a-z0-9]{24})'''\nsecretGroup = 1\nkeywords = ['itk_']\n"
        "[allowlist]\npaths = ['''^fixtures/''']\nstopwords = ['Example']\n",
        name=".gitleaks.toml",
    )
    config = load_config(path)
    (rule,) = config.rules
    assert rule.id == "internal-token" and "(?P<secret>" in rule.pattern and rule.keywords == ("itk_",)
    (allowlist,) = config.allowlists  # gitleaks' global allowlist, with its own semantics
    assert allowlist.paths == ("^fixtures/",) and allowlist.stopwords == ("example",)
    assert not config.use_pack  # no [extend] useDefault: the config's rules are the whole set
