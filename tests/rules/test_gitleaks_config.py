"""gitleaks configs, loaded: rules with `path`, path-only rules, rule and global allowlists
(condition, regexTarget, targetRules), `[extend]` chains and `useDefault`, `.gitleaksignore`
entries, RE2 patterns, and a warning for each rule and key keysweep cannot honour.
Scans with them: tests/test_gitleaks_e2e.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.errors import ConfigError
from scanner.gitleaks import ignore_entries, translate_regex
from scanner.rules import build_ruleset, load_config, load_rule_pack
from tests.gitleaks_configs import PROVIDERS, default_shaped, rule, write

# --- loading ------------------------------------------------------------------------------


def test_a_default_shaped_config_loads_every_kind_ofrule(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, default_shaped()))
    rules = {rule.id: rule for rule in config.rules}
    assert set(rules) >= {"zqx-token", "terraform-zqt", "pkcs12-file", "zqa-token", "zqw-token"}
    assert rules["pkcs12-file"].pattern == "" and rules["pkcs12-file"].path
    assert rules["terraform-zqt"].path == r"\.(tf|hcl)$" and rules["zqx-token"].tags == ("key",)
    assert rules["zqx-token"].min_entropy == pytest.approx(3.0) and rules["zqx-token"].keywords == ("zqx_",)
    (and_list,) = rules["zqa-token"].allowlists
    assert and_list.condition == "AND" and and_list.paths == ("^fixtures/",)
    assert rules["zqw-token"].allowlists[0].stopwords == ("fixture",)
    # targetRules: that allowlist is the rule's, not a global one.
    assert [a.regex_target for a in rules["zqx-token"].allowlists] == ["line"]
    assert [a.paths for a in config.allowlists] == [("(^|/)vendor/", "^/Users/(?i:[a-z0-9]+/)")]
    assert {f"{name}-api-key" for name in PROVIDERS} <= set(rules)
    assert not config.use_pack and config.warnings == ()
    assert {r.id for r in build_ruleset(load_rule_pack(), config).rules} == set(rules)


def test_what_cannot_be_honoured_is_one_warning_per_rule_and_key(tmp_path: Path) -> None:
    more = (
        rule("ungreedy", regex=r"(?U)zqu_[a-z]+", keywords=("zqu_",))
        + rule("composite", regex=r"zqc_[a-z]{20}", keywords=("zqc_",), extra='[[rules.required]]\nid = "zqx-token"\n')
        + rule("typo", regex=r"zqy_[a-z]{20}", keywords=("zqy_",)).replace("tags =", "verify = true\ntags =")
        + rule("bad-group", regex=r"zqb_([a-z]{20})", group=3, keywords=("zqb_",))
        + rule("broken", regex=r"zqk_(", keywords=("zqk_",))
    )
    config = load_config(write(tmp_path, "minVersion = 'v8.25.0'\n" + default_shaped(more=more)))
    ids = {rule.id for rule in config.rules}
    assert "ungreedy" not in ids and "bad-group" not in ids and "broken" not in ids
    assert "composite" in ids and "typo" in ids
    text = "\n".join(config.warnings)
    for rule_id, key in [
        ("ungreedy", "regex"),
        ("composite", "required"),
        ("typo", "key 'verify'"),
        ("bad-group", "secretGroup"),
        ("broken", "regex"),
    ]:
        assert sum(f"rule {rule_id}: {key}" in w for w in config.warnings) == 1, text
    assert any("'minVersion'" in w for w in config.warnings)


@pytest.mark.parametrize(
    ("re2", "matches", "misses"),
    [
        (r"zqi_(?i)[a-f]{4}", ["zqi_ABCD", "zqi_abcd"], ["ZQI_abcd"]),
        (r"ab(?i)c|d", ["abC", "D"], ["ABc"]),
        (r"\.(?i)(?:bin|css)$", ["x.BIN"], []),
        (r"\Qa.b\E", ["a.b"], ["axb"]),
        (r"x{,3}", ["x{,3}"], ["xxx"]),
        (r"\x{41}b", ["Ab"], []),
        (r"end\z", ["the end"], ["end\n"]),
    ],
)
def test_re2_patterns_read_as_gitleaks_reads_them(re2: str, matches: list[str], misses: list[str]) -> None:
    import regex

    pattern = regex.compile(translate_regex(re2))
    assert all(pattern.search(text) for text in matches)
    assert not any(pattern.fullmatch(text) or pattern.search(text) for text in misses)


def test_an_extend_path_chain_merges_and_disables(tmp_path: Path) -> None:
    write(
        tmp_path / "base",
        rule("zqd-disabled", regex=r"zqd_[a-z0-9]{24}", keywords=("zqd_",))
        + rule("zqe-base", regex=r"zqe_[a-z0-9]{24}", keywords=("zqe_",))
        + "[allowlist]\npaths = ['''^generated/''']\n",
        "common.toml",
    )
    write(
        tmp_path / "base",
        '[extend]\npath = "common.toml"\n'
        + rule("zqx-token", regex=r"zqx_[a-z0-9]{24}", keywords=("zqx_",), tags=("team",)),
        "team.toml",
    )
    main = write(
        tmp_path,
        default_shaped('[extend]\npath = "base/team.toml"\ndisabledRules = ["zqd-disabled"]\n')
        + "[[rules]]\nid = \"zqe-base\"\n[[rules.allowlists]]\nstopwords = ['''example''']\n",
    )
    config = load_config(main)
    rules = {rule.id: rule for rule in config.rules}
    assert "zqd-disabled" not in rules
    # The extending config's rule wins where it sets something, and adds tags and allowlists.
    assert rules["zqx-token"].tags == ("team", "key") and rules["zqx-token"].min_entropy == pytest.approx(3.0)
    assert rules["zqe-base"].pattern and rules["zqe-base"].allowlists[0].stopwords == ("example",)
    assert ("^generated/",) in [a.paths for a in config.allowlists]
    assert config.warnings == ()


def test_an_extend_cycle_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, '[extend]\npath = "b.toml"\n' + rule("one", regex="zq1_[a-z]{20}"), "a.gitleaks.toml")
    write(tmp_path, '[extend]\npath = "a.gitleaks.toml"\n' + rule("two", regex="zq2_[a-z]{20}"), "b.toml")
    with pytest.raises(ConfigError, match="cycle"):
        load_config(tmp_path / "a.gitleaks.toml")


def test_use_default_means_keysweeps_pack(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        default_shaped('[extend]\nuseDefault = true\ndisabledRules = ["generic-api-key", "github.classic-pat"]\n'),
    )
    config = load_config(path)
    assert config.use_pack and config.disabled_rules == ("github.classic-pat",)
    (warning,) = config.warnings
    assert "generic-api-key" in warning and "keysweep's pack" in warning
    ids = {rule.id for rule in build_ruleset(load_rule_pack(), config).rules}
    assert "github.fine-grained-pat" in ids and "github.classic-pat" not in ids and "zqx-token" in ids


def test_gitleaksignore_entries() -> None:
    text = "# comment\n\nabc123:src\\app.py:zqx-token:3\nsrc\\b.py:zqx-token:7\n"
    assert ignore_entries(text) == {"abc123:src/app.py:zqx-token:3", "src/b.py:zqx-token:7"}


def test_under_use_default_a_rule_with_a_pack_id_extends_the_pack_rule(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[extend]\nuseDefault = true\n"
        '[[rules]]\nid = "github.classic-pat"\ntags = ["ours"]\n'
        "[[rules.allowlists]]\npaths = ['''^fixtures/''']\n"
        '[[allowlists]]\ntargetRules = ["github.fine-grained-pat"]\nstopwords = ["sample"]\n',
    )
    config = load_config(path)
    rules = {r.id: r for r in build_ruleset(load_rule_pack(), config).rules}
    pack = {r.id: r for r in load_rule_pack()}
    classic = rules["github.classic-pat"]
    assert classic.pattern == pack["github.classic-pat"].pattern and classic.builtin
    assert classic.tags == ("ours",) and classic.allowlists[0].paths == ("^fixtures/",)
    assert rules["github.fine-grained-pat"].allowlists[0].stopwords == ("sample",)
    assert config.warnings == ()
