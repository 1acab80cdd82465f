"""gitleaks configs end to end, on real repositories built in tmp_path: a rule's `path`
in history, dir, staged and stdin; path-only rules; allowlists of each kind; commit
allowlists; `.gitleaks.toml` discovery; `.gitleaksignore`; warnings on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gitleaks_configs import LOWER, commit_files, default_shaped, init_repo, reported, rule, token, write
from tests.helpers import git, github_token, random_chars

# --- scanning -------------------------------------------------------------------------------


@pytest.fixture
def leaky(tmp_path: Path) -> dict:
    """A repository with the default-shaped config at its root and a file for each case."""
    repo = init_repo(tmp_path / "repo")
    tf = token("zqt_", "tf")
    values = {name: token(f"{name}_", name) for name in ("zqa", "zql", "zqs", "zqm", "zqw", "zqx")}
    files: dict[str, str | bytes] = {
        ".gitleaks.toml": default_shaped(),
        "main.tf": f'token = "{tf}"\n',
        "app.py": f'token = "{tf}"\n',  # the same blob as main.tf
        "certs/client.p12": b"\x30\x82\x00\x00binary",
        "fixtures/a.cfg": f"value = {values['zqa']}\n",
        "src/a.cfg": f"value = {values['zqa']}\n",
        "fixtures/test.cfg": "value = zqa_test" + random_chars("t", 20, LOWER) + "\n",
        "src/test.cfg": "value = zqa_test" + random_chars("t", 20, LOWER) + "\n",  # the same blob
        "line.cfg": f"key = {values['zql']}  # sandbox account\n",
        "secret.cfg": f"key = {values['zqs']}  # sandbox account\n",
        "match.cfg": f"demo_key = {values['zqm']}\nprod_key = {token('zqm_', 'prod')}\n",
        "stop.cfg": f"key = {values['zqw'][:4]}fixture{values['zqw'][11:]}\n",
        "vendor/lib.cfg": f"key = {values['zqx']}\n",
        "targeted.cfg": f"key = {token('zqx_', 'other')}  # NOT-A-LEAK\n",
        "mixed.cfg": f"hex = zqi_{random_chars('hex', 20, 'ABCDEF0123456789')}\n",
        # Joined here so that the line this test builds is not itself an assignment of a key.
        "settings.ini": "zprov07_api_" + "key = '" + random_chars("prov", 32, LOWER) + "'\n",
    }
    commit = commit_files(repo, files, "add everything")
    return {"repo": repo, "commit": commit, "tf": tf}


EXPECTED = sorted(
    [
        ("pkcs12-file", "certs/client.p12"),
        ("terraform-zqt", "main.tf"),
        ("zqa-token", "fixtures/a.cfg"),
        ("zqa-token", "src/a.cfg"),
        ("zqa-token", "src/test.cfg"),
        ("zqi-token", "mixed.cfg"),
        ("zqm-token", "match.cfg"),
        ("zqs-token", "secret.cfg"),
        ("zprov07-api-key", "settings.ini"),
    ]
)


def test_history_honours_paths_allowlists_and_path_only_rules(cli, leaky: dict) -> None:
    result = cli(["git", str(leaky["repo"]), "--format", "json", "--no-progress"])
    assert result.code == 1, result.err
    # Not: app.py (path rule), fixtures/test.cfg (AND: path and regex; each alone is not
    # enough: fixtures/a.cfg, src/test.cfg are found), line.cfg (regexTarget line), the demo_key match, stop.cfg (stopword), vendor/ (global),
    # targeted.cfg (targetRules); found: the same secret on a line with "sandbox" when the
    # allowlist reads the secret only, and the p12 file by its path.
    assert reported(result) == EXPECTED
    findings = {f["rule_id"]: f for f in json.loads(result.out)}
    assert findings["pkcs12-file"]["commit"] == leaky["commit"]
    assert "warning" not in result.err


def test_dir_finds_the_same(cli, leaky: dict) -> None:
    result = cli(["dir", str(leaky["repo"]), "--format", "json", "--no-progress"])
    assert reported(result) == EXPECTED, result.err


def test_staged_honours_path_rules(cli, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    commit_files(repo, {".gitleaks.toml": default_shaped()})
    tf = token("zqt_", "staged")
    for name in ("infra/main.hcl", "app.py", "keys/dev.pfx"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(f"t = {tf}\n")
        git(repo, "add", name)
    result = cli(["staged", str(repo), "--format", "json", "--no-progress"])
    assert reported(result) == [("pkcs12-file", "keys/dev.pfx"), ("terraform-zqt", "infra/main.hcl")], result.err


def test_stdin_has_no_path_so_path_rules_never_fire(cli, tmp_path: Path) -> None:
    config = write(tmp_path, default_shaped())
    tf = token("zqt_", "stdin")
    result = cli(
        ["stdin", "--label", "main.tf", "--config", str(config), "--format", "json"], stdin=f"t = {tf}\n".encode()
    )
    assert result.code == 0 and json.loads(result.out) == []


def test_gitleaksignore_fingerprints_suppress_and_are_counted(cli, leaky: dict) -> None:
    repo, commit = leaky["repo"], leaky["commit"]
    (repo / ".gitleaksignore").write_text(
        f"{commit}:main.tf:terraform-zqt:1\nsrc/a.cfg:zqa-token:1\n{commit}:certs/client.p12:pkcs12-file:0\n"
    )
    # A later version of main.tf still holds the secret: gitleaks reported it where it was
    # added, and that is what the fingerprint ignores.
    commit_files(repo, {"main.tf": f'# infra\ntoken = "{leaky["tf"]}"\n'}, "touch")
    result = cli(["git", str(repo), "--format", "json", "--no-progress"])
    found = reported(result)
    assert ("terraform-zqt", "main.tf") not in found and ("zqa-token", "src/a.cfg") not in found
    assert ("pkcs12-file", "certs/client.p12") not in found and ("zqm-token", "match.cfg") in found
    assert "suppressed" in result.err


def test_a_commit_allowlist_drops_what_that_commit_added(cli, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    first = commit_files(repo, {"a.cfg": f"key = {token('zqx_', 'c1')}\n"})
    commit_files(repo, {"b.cfg": f"key = {token('zqx_', 'c2')}\n"})
    write(repo, default_shaped() + f'[[allowlists]]\ncommits = ["{first.upper()}"]\n')
    result = cli(["git", str(repo), "--format", "json", "--no-progress"])
    assert reported(result) == [("zqx-token", "b.cfg")], result.err


def test_the_root_gitleaks_toml_isXafter_keysweeps_own(cli, tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root, default_shaped())
    (root / "main.tf").write_text(f"t = {token('zqt_', 'root')}\n")
    (root / "gh.txt").write_text(f"t = {github_token('gitleaks-root')}\n")
    found = reported(cli(["dir", str(root), "--format", "json", "--no-progress"]))
    # The gitleaks config has no [extend] useDefault: its rules are the whole set.
    assert found == [("terraform-zqt", "main.tf")]
    (root / ".keysweep.toml").write_text("disabled_rules = []\n")
    found = reported(cli(["dir", str(root), "--format", "json", "--no-progress"]))
    assert ("github.classic-pat", "gh.txt") in found and ("terraform-zqt", "main.tf") not in found


def test_warnings_reach_stderr(cli, tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root, default_shaped(more=rule("ungreedy", regex=r"(?U)zqu_[a-z]+")))
    (root / "readme.txt").write_text("nothing here\n")
    result = cli(["dir", str(root), "--no-progress"])
    assert result.code == 0
    assert "keysweep: warning:" in result.err and "rule ungreedy: regex" in result.err


def test_a_native_rule_with_a_path(cli, tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / ".keysweep.toml").write_text(
        "[[rules]]\nid = 'team.tf-token'\npattern = '''(?P<secret>zqt_[a-z0-9]{24})'''\n"
        "keywords = ['zqt_']\npath = '''\\.tf$'''\n"
        "[[rules]]\nid = 'team.env-file'\ndescription = 'dotenv file'\npath = '''(^|/)\\.env$'''\n"
    )
    tf = token("zqt_", "native")
    (root / "main.tf").write_text(f"t = {tf}\n")
    (root / "app.py").write_text(f"t = {tf}\n")
    (root / ".env").write_text("HELLO=world\n")
    result = cli(["dir", str(root), "--format", "json", "--no-progress"])
    found = json.loads(result.out)
    assert sorted((f["rule_id"], f["file"]) for f in found) == [("team.env-file", ".env"), ("team.tf-token", "main.tf")]
    env = next(f for f in found if f["rule_id"] == "team.env-file")
    again = json.loads(cli(["dir", str(root), "--format", "json", "--no-progress"]).out)
    assert env["fingerprint"] in {f["fingerprint"] for f in again}


def test_rule_tags_reach_sarif(cli, tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    write(root, default_shaped())
    (root / "main.tf").write_text(f"t = {token('zqt_', 'sarif')}\n")
    log = json.loads(cli(["dir", str(root), "--format", "sarif", "--no-progress"]).out)
    (rule,) = [r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "terraform-zqt"]
    assert rule["properties"]["tags"][-1] == "key"


def test_a_rescan_with_a_datastore_still_reports_path_only_files(cli, tmp_path: Path) -> None:
    # The second scan reads none of the blobs again (matched clean before): the files are
    # still there, and a path-only rule still reports them.
    root = tmp_path / "proj"
    write(root, default_shaped())
    (root / "certs").mkdir()
    (root / "certs" / "dev.p12").write_text("not really a key store\n")
    store = tmp_path / "audit.sqlite"
    args = ["dir", str(root), "--format", "json", "--no-progress", "--datastore", str(store)]
    first, second = reported(cli(args)), reported(cli(args))
    assert first == second == [("pkcs12-file", "certs/dev.p12")]
