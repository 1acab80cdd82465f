"""The rough edges a new user meets first: version, bare invocation, sizes, one
"no leaks found", skip reasons in the summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner import __version__
from scanner.cli import parse_size
from tests.helpers import git, run_subprocess


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(cli, flag: str) -> None:
    result = cli([flag])
    assert result.code == 0 and __version__ in result.out


def test_bare_keysweep_prints_help_and_succeeds() -> None:
    result = run_subprocess([])
    assert result.code == 0 and "Commands:" in result.out and "git" in result.out and result.err == ""


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("10M", 10 << 20),
        ("10MiB", 10 << 20),
        ("10 MiB", 10 << 20),
        ("10mb", 10 << 20),
        ("512k", 512 << 10),
        ("512KiB", 512 << 10),
        ("1Gi", 1 << 30),
        ("2048", 2048),
        ("1.5k", 1536),
    ],
)
def test_sizes_in_every_spelling(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["10X", "MiB", "ten", "0.1", "inf", "2000G"])
def test_a_bad_size_is_one_line_and_exit_2(cli, tmp_path: Path, text: str) -> None:
    result = cli(["dir", str(tmp_path), "--max-file-size", text])
    assert result.code == 2 and result.err.count("\n") == 1 and "--max-file-size" in result.err


def test_no_leaks_found_is_said_once(cli, tmp_path: Path) -> None:
    (tmp_path / "plain.txt").write_text("nothing to see\n")
    result = cli(["dir", str(tmp_path)])
    assert result.code == 0 and result.out == ""
    assert (result.out + result.err).count("no leaks found") == 1


def test_the_summary_says_why_files_were_skipped(cli, tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("x" * 4096 + "\n")
    (tmp_path / "image.bin").write_bytes(b"\x00\x01" * 100)
    (tmp_path / "small.txt").write_text("hello\n")
    result = cli(["dir", str(tmp_path), "--max-file-size", "2KiB"])
    assert result.code == 0 and "skipped: 1 binary, 1 too-large" in result.err


PYPROJECT_CONFIG = """[project]
name = "app"

[tool.keysweep]
disabled_rules = ["generic.password"]

[[tool.keysweep.rules]]
id = "acme.token"
description = "Acme internal token"
keywords = ["acme_"]
pattern = '''(?P<secret>acme_[a-z0-9]{24})'''
"""


def test_config_from_pyproject_tool_keysweep(cli, tmp_path: Path) -> None:
    from tests.helpers import random_chars

    (tmp_path / "pyproject.toml").write_text(PYPROJECT_CONFIG)
    token = "acme_" + random_chars("pyproject", 24, "abcdefghijklmnopqrstuvwxyz0123456789")
    word = random_chars("pyproject-password", 10, "abcdefghkmnpqrstuvwxyz") + "#7741"
    (tmp_path / "app.env").write_text(f"ACME={token}\npassword = '{word}'\n")
    result = cli(["dir", str(tmp_path), "--format", "json", "--no-redact"])
    assert result.code == 1, result.err
    assert '"acme.token"' in result.out and token in result.out and "generic.password" not in result.out


def test_keysweep_toml_wins_over_pyproject_and_a_pyproject_without_the_table_is_ignored(cli, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT_CONFIG.replace('"generic.password"', '"no.such-rule"'))
    (tmp_path / ".keysweep.toml").write_text("")
    assert cli(["dir", str(tmp_path)]).code == 0
    (tmp_path / ".keysweep.toml").unlink()
    assert "no.such-rule" in cli(["dir", str(tmp_path)]).err  # now it is read, and its typo named
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n[tool.black]\nline-length = 100\n')
    assert cli(["dir", str(tmp_path)]).code == 0


def test_explicit_pyproject_needs_the_table(cli, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n')
    result = cli(["dir", str(tmp_path), "--config", str(tmp_path / "pyproject.toml")])
    assert result.code == 2 and "no [tool.keysweep] table" in result.err


def test_sarif_describes_only_the_rules_that_produced_results(cli, tmp_path: Path) -> None:
    import json

    from tests.helpers import github_token

    (tmp_path / "plain.txt").write_text("nothing\n")
    clean = json.loads(cli(["dir", str(tmp_path), "--format", "sarif"]).out)
    assert clean["runs"][0]["tool"]["driver"]["rules"] == [] and clean["runs"][0]["results"] == []
    token = github_token("sarif-small")
    (tmp_path / "app.env").write_text(f"GITHUB_TOKEN={token}\n")
    log = json.loads(cli(["dir", str(tmp_path), "--format", "sarif"]).out)
    assert [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]] == ["github.classic-pat"]
    assert log["runs"][0]["results"][0]["ruleIndex"] == 0


def test_redaction_tells_tokens_apart_and_can_hide_more(cli) -> None:
    import json

    from tests.helpers import github_token

    tokens = [github_token("apart-1"), github_token("apart-2")]
    text = "".join(f"TOKEN_{n}={token}\n" for n, token in enumerate(tokens)).encode()
    shown = [f["secret"] for f in json.loads(cli(["stdin", "--format", "json"], stdin=text).out)]
    assert shown == [f"ghp_*****{token[-4:]}" for token in tokens] and shown[0] != shown[1]
    half = [f["secret"] for f in json.loads(cli(["stdin", "--format", "json", "--redact=50"], stdin=text).out)]
    assert half == [token[: len(token) // 2] + "*****" for token in tokens]
    hidden = json.loads(cli(["stdin", "--format", "json", "--redact=100"], stdin=text).out)
    assert [f["secret"] for f in hidden] == ["*****", "*****"]
    assert cli(["stdin", "--redact=101"], stdin=text).code == 2
    word = "Kq7#" + "".join(reversed("2pWv"))  # a short password, built here
    short = cli(["stdin", "--format", "json"], stdin=f"password = '{word}'\n".encode()).out
    assert json.loads(short)
    assert all(f["secret"].endswith("*****") for f in json.loads(short))  # short: no tail shown


def test_rules_check_config_warns_of_user_rules_without_examples(cli, tmp_path: Path) -> None:
    config = tmp_path / "rules.toml"
    config.write_text(
        '[[rules]]\nid = "acme.token"\ndescription = "Acme"\nkeywords = ["acme_"]\n'
        "pattern = '''(?P<secret>acme_[a-z0-9]{24})'''\n"
    )
    result = cli(["rules", "check", "--config", str(config)])
    assert result.code == 0 and "warning:" in result.err and "acme.token: no examples" in result.err
    from tests.helpers import random_chars

    example = "acme_" + random_chars("rules-check", 24, "abcdefghijklmnopqrstuvwxyz0123456789")
    config.write_text(
        config.read_text() + f"examples = ['TOKEN={example}']\nnegative_examples = ['TOKEN=acme_short']\n"
    )
    assert cli(["rules", "check", "--config", str(config)]).code == 0
    config.write_text(config.read_text().replace(f"TOKEN={example}", "TOKEN=nothing"))
    failed = cli(["rules", "check", "--config", str(config)])
    assert failed.code == 1 and "acme.token: example gives no finding" in failed.err


def test_every_toml_example_in_the_readme_loads(tmp_path: Path) -> None:
    """The README's configs are run, not just read: a rule id that does not exist (0.1
    named generic.password-assignment) fails here."""
    import re

    from scanner.rules import build_ruleset, load_config, load_rule_pack

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", readme, flags=re.S)
    assert blocks
    for n, block in enumerate(blocks):
        path = tmp_path / f"example{n}.toml"
        path.write_text(block)
        build_ruleset(load_rule_pack(), load_config(path))


def test_verbose_and_log_level_log_to_stderr_only(cli, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    quiet = cli(["dir", str(tmp_path), "--no-progress"])
    assert "INFO" not in quiet.err
    info = cli(["dir", str(tmp_path), "--no-progress", "-v", "--format", "json"])
    assert "keysweep: INFO: config: " in info.err and info.out == "[]\n"
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    debug = cli(["--log-level", "debug", "git", str(repo), "--no-progress"])
    assert "keysweep: DEBUG: git " in debug.err
    assert "DEBUG" not in cli(["git", str(repo), "--no-progress"]).err  # each run starts quiet
    bad = cli(["git", str(repo), "--log-level", "loud"])
    assert bad.code == 2 and "Traceback" not in bad.err


def test_shell_completion_scripts_are_generated(tmp_path: Path) -> None:
    """README: `eval "$(_KEYSWEEP_COMPLETE=bash_source keysweep)"`; the script names the commands."""
    import subprocess
    import sys

    for shell in ("bash", "zsh", "fish"):
        proc = subprocess.run(
            [sys.executable, "-c", "from scanner.cli import entry; entry()"],
            env={**__import__("os").environ, "_KEYSWEEP_COMPLETE": f"{shell}_source"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0 and "_KEYSWEEP_COMPLETE" in proc.stdout, proc.stderr
