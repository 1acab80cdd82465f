"""The CLI contract of SPEC.md for `dir` and `stdin`: exit codes, JSON fields, redaction,
fingerprints, suppression, baseline, config, errors."""

from __future__ import annotations

import json
import os
import string
from pathlib import Path

import pytest

from tests.helpers import git, github_token, random_chars, run_subprocess

SPEC_FIELDS = {
    "rule_id",
    "description",
    "file",
    "line",
    "end_line",
    "column",
    "secret",
    "fingerprint",
    "entropy",
    "confidence",
    "commit",
    "author",
    "email",
    "date",
}


def _json(out: str) -> list[dict]:
    data = json.loads(out)
    assert isinstance(data, list)
    return data


def test_stdin_finds_a_token_and_redacts_it(cli) -> None:
    token = github_token(1)
    result = cli(["stdin", "--format", "json"], stdin=f"export GITHUB_TOKEN={token}\n".encode())
    assert result.code == 1
    [finding] = _json(result.out)
    assert set(finding) >= SPEC_FIELDS
    assert finding["rule_id"].startswith("github.")
    assert finding["confidence"] == "high"  # a prefix, and a checksum that holds
    assert finding["file"] == "stdin"
    assert (finding["line"], finding["end_line"], finding["column"]) == (1, 1, 21)
    assert token not in result.out and token not in result.err
    head, _, tail = finding["secret"].partition("*****")
    assert (head, tail) == (token[:4], token[-4:])
    assert finding["commit"] is None and finding["author"] is None
    assert finding["entropy"] > 3


def test_no_redact_shows_the_secret(cli) -> None:
    token = github_token(2)
    result = cli(["stdin", "--format", "json", "--no-redact"], stdin=f"t = '{token}'\n".encode())
    assert _json(result.out)[0]["secret"] == token


def test_clean_input_exits_zero(cli) -> None:
    result = cli(["stdin", "--format", "json"], stdin=b"print('hello world')\n")
    assert result.code == 0
    assert _json(result.out) == []


def test_exit_code_option(cli) -> None:
    result = cli(["stdin", "--exit-code", "7"], stdin=github_token(3).encode())
    assert result.code == 7


def test_text_report_is_redacted_and_summarised(cli) -> None:
    token = github_token(4)
    result = cli(["stdin"], stdin=f"token: {token}\n".encode())
    assert result.code == 1
    assert token not in result.out + result.err
    assert "github." in result.out
    assert "1" in result.err.splitlines()[-1]


def test_fingerprint_stable_across_a_line_shift(cli, tmp_path: Path) -> None:
    token = github_token(5)
    target = tmp_path / "config.py"
    target.write_text(f"TOKEN = '{token}'\n")
    first = _json(cli(["dir", str(tmp_path), "--format", "json"]).out)
    target.write_text("import os\n\n\n" + f"TOKEN = '{token}'\n")
    second = _json(cli(["dir", str(tmp_path), "--format", "json"]).out)
    assert first[0]["fingerprint"] == second[0]["fingerprint"]
    assert (first[0]["line"], second[0]["line"]) == (1, 4)


@pytest.mark.parametrize("marker", ["# keysweep:allow", "# gitleaks:allow", "# pragma: allowlist secret"])
def test_inline_allow_markers(cli, marker: str) -> None:
    text = f"a = '{github_token(6)}'  {marker}\nb = '{github_token(7)}'\n"
    found = _json(cli(["stdin", "--format", "json"], stdin=text.encode()).out)
    assert [f["line"] for f in found] == [2]


def test_baseline_suppresses_known_findings_only(cli, tmp_path: Path) -> None:
    old, new = github_token(8), github_token(9)
    report = tmp_path / "baseline.json"
    first = cli(["stdin", "--format", "json", "--output", str(report)], stdin=f"x={old}\n".encode())
    assert first.code == 1 and report.is_file()
    again = cli(["stdin", "--format", "json", "--baseline", str(report)], stdin=f"x={old}\n".encode())
    assert again.code == 0 and _json(again.out) == []
    more = cli(["stdin", "--format", "json", "--baseline", str(report)], stdin=f"x={old}\ny={new}\n".encode())
    assert more.code == 1 and [f["line"] for f in _json(more.out)] == [2]


def test_jsonl_is_one_object_a_line(cli) -> None:
    text = f"a={github_token(10)}\nb={github_token(11)}\n"
    lines = cli(["stdin", "--format", "jsonl"], stdin=text.encode()).out.splitlines()
    assert [json.loads(line)["line"] for line in lines] == [1, 2]


def test_dir_honours_gitignore_unless_told_not_to(cli, tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("ignored.env\n")
    (tmp_path / "ignored.env").write_text(f"TOKEN={github_token(12)}\n")
    (tmp_path / "kept.env").write_text(f"TOKEN={github_token(13)}\n")
    honoured = _json(cli(["dir", str(tmp_path), "--format", "json"]).out)
    assert [f["file"] for f in honoured] == ["kept.env"]
    everything = _json(cli(["dir", str(tmp_path), "--no-gitignore", "--format", "json"]).out)
    assert sorted(f["file"] for f in everything) == ["ignored.env", "kept.env"]


def test_dir_named_that_git_ignores_as_a_whole_is_scanned(cli, tmp_path: Path) -> None:
    """Build output and vendored trees are ignored by a tree scan, but naming one (or a
    directory inside one) says to look there: every file of it is scanned."""
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("build/\n")
    (tmp_path / "build" / "assets").mkdir(parents=True)
    (tmp_path / "build" / "assets" / "app.js").write_text(f"const t = '{github_token(15)}';\n")
    (tmp_path / "build" / "config.env").write_text(f"TOKEN={github_token(16)}\n")
    assert _json(cli(["dir", str(tmp_path), "--format", "json"]).out) == []
    named = _json(cli(["dir", str(tmp_path / "build"), "--format", "json"]).out)
    # Paths stay relative to the work tree's top, however the target is named.
    assert sorted(f["file"] for f in named) == ["build/assets/app.js", "build/config.env"]
    inner = _json(cli(["dir", str(tmp_path / "build" / "assets"), "--format", "json"]).out)
    assert [f["file"] for f in inner] == ["build/assets/app.js"]


def test_dir_paths_are_relative_and_slash_separated(cli, tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c.yaml").write_text(f"token: {github_token(14)}\n")
    found = _json(cli(["dir", str(tmp_path), "--format", "json"]).out)
    assert found[0]["file"] == "a/b/c.yaml"


def test_binary_and_large_files_are_skipped(cli, tmp_path: Path) -> None:
    token = github_token(15)
    (tmp_path / "blob.bin").write_bytes(b"\0\x01\x02" + token.encode())
    (tmp_path / "big.txt").write_text("x" * 5000 + token)
    result = cli(["dir", str(tmp_path), "--format", "json", "--max-file-size", "1k"])
    assert result.code == 0 and _json(result.out) == []


def test_utf16_and_latin1_files_are_read(cli, tmp_path: Path) -> None:
    (tmp_path / "win.ps1").write_bytes(f"$token = '{github_token(16)}'\r\n".encode("utf-16"))
    (tmp_path / "old.txt").write_bytes("caf\xe9 = 1\n".encode("latin-1") + f"k={github_token(17)}\n".encode())
    (tmp_path / "broken.txt").write_bytes(b"\xff\xfe\xfa invalid \xc3\x28\n")
    found = _json(cli(["dir", str(tmp_path), "--format", "json"]).out)
    assert sorted((f["file"], f["line"]) for f in found) == [("old.txt", 2), ("win.ps1", 1)]
    assert next(f for f in found if f["file"] == "old.txt")["column"] == 3


def test_symlink_out_of_root_is_not_followed(cli, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    root = tmp_path / "root"
    outside.mkdir()
    root.mkdir()
    (outside / "secret.env").write_text(f"TOKEN={github_token(18)}\n")
    os.symlink(outside / "secret.env", root / "link.env")
    os.symlink(outside, root / "linkdir")
    result = cli(["dir", str(root), "--format", "json"])
    assert result.code == 0 and _json(result.out) == []


def test_same_content_at_two_paths_is_reported_at_both(cli, tmp_path: Path) -> None:
    content = f"TOKEN={github_token(19)}\n"
    (tmp_path / "one.env").write_text(content)
    (tmp_path / "two.env").write_text(content)
    found = _json(cli(["dir", str(tmp_path), "--format", "json"]).out)
    assert len(found) == 1 and [loc["file"] for loc in found[0]["locations"]] == ["one.env", "two.env"]
    apart = _json(cli(["dir", str(tmp_path), "--format", "json", "--no-group"]).out)
    assert sorted(f["file"] for f in apart) == ["one.env", "two.env"] and "locations" not in apart[0]


def test_config_rules_and_allowlist(cli, tmp_path: Path) -> None:
    secret = "zq" + "9" * 3 + "Xk7Lm2Pw8Rt5Vb"
    (tmp_path / ".keysweep.toml").write_text(
        "[[rules]]\n"
        "id = 'acme.key'\n"
        "description = 'ACME internal key'\n"
        "pattern = '''acme_key=(?P<secret>[A-Za-z0-9]{19})'''\n"
        "keywords = ['acme_key']\n"
        "[allowlist]\n"
        "paths = ['''^vendor/''']\n"
        "stopwords = ['notreal']\n"
    )
    (tmp_path / "vendor").mkdir()
    (tmp_path / "app.cfg").write_text(f"acme_key={secret}\n")
    (tmp_path / "vendor" / "lib.cfg").write_text(f"acme_key={secret}\n")
    (tmp_path / "docs.cfg").write_text("acme_key=notrealXk7Lm2Pw8Rt5V\n")
    found = _json(cli(["dir", str(tmp_path), "--format", "json"]).out)
    assert [(f["rule_id"], f["file"]) for f in found] == [("acme.key", "app.cfg")]


def test_gitleaks_config_is_read(cli, tmp_path: Path) -> None:
    config = tmp_path / ".gitleaks.toml"
    config.write_text(
        "title = 'custom'\n[[rules]]\nid = 'acme-token'\ndescription = 'ACME'\n"
        "regex = '''acme-([a-z0-9]{20})'''\nsecretGroup = 1\nkeywords = ['acme-']\n"
        "[allowlist]\nregexes = ['''^0+$''']\n"
    )
    value = "k3x9q2m7w4z8r1t6y5u0"
    found = _json(
        cli(
            ["stdin", "--format", "json", "--no-redact", "--config", str(config)], stdin=f"key: acme-{value}\n".encode()
        ).out
    )
    assert [(f["rule_id"], f["secret"]) for f in found] == [("acme-token", value)]


def test_gitleaks_secret_group_after_posix_classes(cli, tmp_path: Path) -> None:
    # `[:space:]` closes with `:]` inside the outer class and the `(` after it is a literal:
    # group 1 is the one after the whole class.
    config = tmp_path / ".gitleaks.toml"
    config.write_text(
        "[[rules]]\nid = 'acme-posix'\ndescription = 'ACME'\n"
        "regex = '''acme_[[:alnum:]]{2}[[:space:](=]+([a-z0-9]{20})'''\nsecretGroup = 1\n"
        "keywords = ['acme_']\n"
    )
    value = random_chars("posix-group", 20, string.ascii_lowercase + string.digits)
    found = _json(
        cli(
            ["stdin", "--format", "json", "--no-redact", "--config", str(config)],
            stdin=f"acme_id = ({value})\n".encode(),
        ).out
    )
    assert [(f["rule_id"], f["secret"]) for f in found] == [("acme-posix", value)]


def test_exponential_user_regex_is_refused_before_the_scan(cli, tmp_path: Path) -> None:
    config = tmp_path / "evil.toml"
    config.write_text(
        "[[rules]]\nid = 'evil.backtrack'\ndescription = 'catastrophic'\n"
        "pattern = '''(?P<secret>(a|aa)+)+$'''\nkeywords = []\n"
    )
    result = cli(["stdin", "--format", "json", "--config", str(config)], stdin=b"a" * 40 + b"!\n")
    assert result.code == 2 and "evil.backtrack" in result.err and "exponential time" in result.err


SLOW_RULE = (
    "[[rules]]\nid = 'slow.poly'\ndescription = 'polynomial'\n"
    "pattern = '''(?P<secret>[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[=.])'''\nkeywords = []\n"
)


def test_slow_user_regex_times_out_loudly_instead_of_hanging(cli, tmp_path: Path) -> None:
    config = tmp_path / "slow.toml"
    config.write_text(SLOW_RULE)
    result = cli(["stdin", "--format", "json", "--config", str(config)], stdin=b"a" * 3000 + b"\n")
    assert result.code == 0
    assert "slow.poly" in result.err and "timed out" in result.err
    assert "skipped: 1 rule-budget" in result.err


@pytest.mark.parametrize("fmt", ["sarif"])
def test_strict_exits_2_when_a_check_was_skipped(cli, tmp_path: Path, fmt: str) -> None:
    config = tmp_path / "slow.toml"
    config.write_text(SLOW_RULE)
    report = tmp_path / "out.sarif"
    args = ["stdin", "--config", str(config), "--format", fmt, "-o", str(report)]
    result = cli([*args, "--strict"], stdin=b"a" * 3000 + b"\n")
    assert result.code == 2 and "--strict: 1 rule-budget left unchecked" in result.err
    run = json.loads(report.read_text())["runs"][0]
    assert run["properties"]["skipped"] == {"rule-budget": 1}
    assert run["invocations"][0]["executionSuccessful"] is False
    quiet = cli([*args, "--strict"], stdin=b"nothing to see\n")
    assert quiet.code == 0 and json.loads(report.read_text())["runs"][0]["invocations"][0]["executionSuccessful"]


@pytest.mark.parametrize(
    ("config_text", "expected"),
    [
        ("[[rules]\nid = 'x'", "invalid TOML"),
        (
            "[[rules]]\nid = 'acme.x'\ndescription = 'x'\npattern = '''(?P<secret>[a-z'''\n",
            "rule 'acme.x': field 'pattern'",
        ),
        ("[[rules]]\nid = 'acme.x'\ndescription = 'x'\npattern = '''[a-z]+'''\n", "needs exactly one named group"),
        ("[[rules]]\nid = 'acme.x'\npattern = '''(?P<secret>a)'''\nvalidator = 'nope'\n", "field 'validator'"),
        ("[allowlist]\npaths = ['(']\n", "allowlist.paths"),
        ("colour = 'red'\n", "unknown setting"),
    ],
)
def test_broken_config_is_one_line_and_exit_2(cli, tmp_path: Path, config_text: str, expected: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(config_text)
    result = cli(["stdin", "--config", str(config)], stdin=b"hello\n")
    assert result.code == 2
    assert expected in result.err
    assert str(config) in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["dir", "/no/such/path"], "no such file or directory"),
        (["stdin", "--max-file-size", "lots"], "is not a size"),
        (["stdin", "--format", "yaml"], "yaml"),
        (["stdin", "--baseline", "/no/such/baseline.json"], "cannot read baseline"),
        (["stdin", "--config", "/no/such/config.toml"], "config file not found"),
        (["nonsense"], "No such command"),
    ],
)
def test_errors_exit_2_with_one_line(cli, args: list[str], expected: str) -> None:
    result = cli(args, stdin=b"x\n")
    assert result.code == 2
    assert expected in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_not_a_baseline_is_a_clear_error(cli, tmp_path: Path) -> None:
    bad = tmp_path / "b.json"
    bad.write_text('{"hello": 1}')
    result = cli(["stdin", "--baseline", str(bad)], stdin=b"x\n")
    assert result.code == 2 and "not a keysweep JSON report" in result.err


def test_real_process_exit_codes_and_module_entry(tmp_path: Path) -> None:
    leaking = run_subprocess(["stdin", "--format", "json"], stdin=f"k={github_token(20)}\n".encode())
    assert leaking.code == 1 and len(json.loads(leaking.out)) == 1
    clean = run_subprocess(["stdin"], stdin=b"nothing here\n")
    assert clean.code == 0
    broken = run_subprocess(["dir", str(tmp_path / "missing")])
    assert broken.code == 2 and "Traceback" not in broken.err


def test_the_project_scans_itself_clean(cli) -> None:
    root = Path(__file__).resolve().parent.parent
    result = cli(["dir", str(root), "--format", "json"])
    assert _json(result.out) == [], result.out
    assert result.code == 0


def test_the_project_history_scans_clean_with_its_baseline(cli) -> None:
    """Every commit of this repository, not only the working tree: the two historical findings
    (a sample password from AWS CLI documentation quoted in an old README, and a test's
    password written literally for two commits) are baselined."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    result = cli(["git", str(root), "--format", "json", "--baseline", str(root / ".keysweep-baseline.json")])
    assert _json(result.out) == [], result.out
    assert result.code == 0
