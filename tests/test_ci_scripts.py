"""The CI recipes run for real: action.yml's scan step and the GitLab job in docs/ci.md.

Each script is taken from the file users copy (the Scan step's `run:`, which runs
scripts/action-scan.sh), run with the shell flags the CI service uses, against a
repository whose history holds a secret that a later commit removed: a local one, and
a bare `origin` with depth-1 checkouts made the way actions/checkout makes them.
"""

from __future__ import annotations

import json
import os
import random
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import git_env

ROOT = Path(__file__).resolve().parents[1]
ZERO = "0" * 40
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def linear_key(seed: int) -> str:
    rnd = random.Random(seed)
    return "lin_" + "api_" + "".join(rnd.choice(_ALNUM) for _ in range(40))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """clean -> leak -> remove -> clean, with origin/main at the first commit."""
    base = tmp_path_factory.mktemp("ci")
    repo = base / "repo"
    env = git_env()

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo), *args], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()

    repo.mkdir()
    git("init", "-q", "-b", "main")
    shas = []
    for name, content in (
        ("a.py", "print('a')\n"),
        ("cfg.py", f"KEY = '{linear_key(11)}'\n"),
        ("cfg.py", "KEY = None\n"),
        ("b.py", "print('b')\n"),
    ):
        (repo / name).write_text(content)
        git("add", "-A")
        git("commit", "-q", "-m", f"edit {name}")
        shas.append(git("rev-parse", "HEAD"))
    git("update-ref", "refs/remotes/origin/main", shas[0])
    shim = base / "bin"
    shim.mkdir()
    keysweep = shim / "keysweep"
    keysweep.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m scanner "$@"\n')
    keysweep.chmod(keysweep.stat().st_mode | stat.S_IXUSR)
    run_env = env | {
        "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
    }
    return {"repo": repo, "shas": shas, "env": run_env, "base": base}


def _action_scan_step() -> tuple[str, dict[str, str]]:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "scan"]
    return step["run"], step["env"]


def _action_script() -> str:
    """The file the Scan step runs (its `run:` names it by the action's own path)."""
    run, _ = _action_scan_step()
    assert run == 'bash "$GITHUB_ACTION_PATH/scripts/action-scan.sh"'
    return (ROOT / "scripts" / "action-scan.sh").read_text()


def run_action(history: dict[str, object], tmp_path: Path, **event: str) -> tuple[int, str, dict]:
    """Run the Scan step's `run:` as GitHub does, with the env GitHub would set."""
    script, step_env = _action_scan_step()
    (tmp_path / "step.sh").write_text(script)
    output = tmp_path / "github_output"
    output.unlink(missing_ok=True)
    sarif = tmp_path / "out.sarif"
    sarif.unlink(missing_ok=True)
    env = dict(history["env"])  # type: ignore[arg-type]
    env |= {
        "GITHUB_ACTION_PATH": str(ROOT),
        "EVENT": "push",
        "SCAN_PATH": str(history["repo"]),
        "SCAN_MODE": "auto",
        "EXTRA_ARGS": "",
        "SARIF_FILE": str(sarif),
        "GITHUB_OUTPUT": str(output),
        "PR_BASE": "",
        "PR_HEAD": "",
        "PUSH_BEFORE": "",
        "PUSH_AFTER": "",
        "PUSH_REF": "refs/heads/feature",
        "DEFAULT_BRANCH": "main",
        "FETCH_DEPTH": step_env["FETCH_DEPTH"],
    } | event
    # The shell GitHub uses for `shell: bash`.
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(tmp_path / "step.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
    report = json.loads(sarif.read_text()) if sarif.exists() else {}
    assert proc.returncode == (2 if outputs.get("exit-code") == "2" else 0), proc.stdout + proc.stderr
    return int(outputs.get("exit-code", "-1")), proc.stdout + proc.stderr, report


def _results(report: dict) -> list[dict]:
    return [r for run in report.get("runs", []) for r in run.get("results", [])]


def test_action_declares_the_step_inputs_it_reads() -> None:
    run, env = _action_scan_step()
    script = _action_script()
    names = ("EVENT", "PR_BASE", "PR_HEAD", "PUSH_BEFORE", "PUSH_AFTER", "PUSH_REF", "DEFAULT_BRANCH")
    for name in (*names, "SCAN_PATH", "SCAN_MODE", "SARIF_FILE", "EXTRA_ARGS", "FETCH_DEPTH"):
        assert name in env
        assert "$" + name in script or "${" + name in script
    assert "${{" not in run + script  # inputs reach the script as env, never spliced into it


def test_action_push_range_finds_a_secret_added_then_removed(history: dict, tmp_path: Path) -> None:
    shas = history["shas"]
    code, out, report = run_action(history, tmp_path, EVENT="push", PUSH_BEFORE=shas[0], PUSH_AFTER=shas[3])
    assert code == 1, out
    (result,) = _results(report)
    assert result["ruleId"] == "linear.api-key"
    assert "found leaked secrets" in out


def test_action_push_range_after_the_leak_is_clean(history: dict, tmp_path: Path) -> None:
    shas = history["shas"]
    code, out, report = run_action(history, tmp_path, EVENT="push", PUSH_BEFORE=shas[2], PUSH_AFTER=shas[3])
    assert code == 0, out
    assert _results(report) == []


def test_action_pull_request_and_new_branch(history: dict, tmp_path: Path) -> None:
    shas = history["shas"]
    code, _, _ = run_action(history, tmp_path, EVENT="pull_request", PR_BASE=shas[2], PR_HEAD=shas[3])
    assert code == 0
    code, _, _ = run_action(history, tmp_path, EVENT="pull_request", PR_BASE=shas[0], PR_HEAD=shas[3])
    assert code == 1
    # New branch: `before` is all zeros; compared with origin/main (at the first commit).
    code, _, _ = run_action(history, tmp_path, EVENT="push", PUSH_BEFORE=ZERO, PUSH_AFTER=shas[3])
    assert code == 1
    code, _, _ = run_action(history, tmp_path, EVENT="push", PUSH_BEFORE=ZERO, PUSH_AFTER=shas[0])
    assert code == 0  # the branch tip is origin/main itself: scanned whole, and it is clean


def test_action_push_deleting_a_branch_scans_nothing(history: dict, tmp_path: Path) -> None:
    code, out, report = run_action(history, tmp_path, EVENT="push", PUSH_BEFORE=history["shas"][3], PUSH_AFTER=ZERO)
    assert code == -1 and report == {}  # no exit-code output: the upload and fail steps skip
    assert "nothing to scan" in out


def test_action_reports_an_error_as_exit_2(history: dict, tmp_path: Path) -> None:
    code, out, _ = run_action(history, tmp_path, EVENT="push", SCAN_PATH=str(tmp_path), PUSH_AFTER=ZERO[:-1] + "1")
    assert code == 2 and "not a git repository" in out


def _gitlab_job() -> dict:
    text = (ROOT / "docs" / "ci.md").read_text()
    block = text.split("# keysweep-gitlab-job\n", 1)[1].split("```", 1)[0]
    return yaml.safe_load(block)["keysweep"]


def run_gitlab(history: dict, tmp_path: Path, **variables: str) -> tuple[int, dict]:
    """Run the job's `script:` in the repository, with its `variables:` and the CI ones."""
    job = _gitlab_job()
    assert job["artifacts"]["reports"]["secret_detection"] == "gl-secret-detection-report.json"
    assert job["variables"]["GIT_DEPTH"] == "0"
    script = "\n".join(job["script"])
    (tmp_path / "job.sh").write_text(script)
    env = dict(history["env"]) | job["variables"] | {"CI_DEFAULT_BRANCH": "main"} | variables
    report = Path(history["repo"]) / "gl-secret-detection-report.json"
    report.unlink(missing_ok=True)
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", str(tmp_path / "job.sh")],
        cwd=history["repo"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    data = json.loads(report.read_text())
    report.unlink()
    return proc.returncode, data


def test_gitlab_job_installs_keysweep_from_its_repository(history: dict, tmp_path: Path) -> None:
    """keysweep is not on PyPI: the job pip-installs a tag from the repository its
    variables name. pip is a shim here that records what it was asked."""
    job = _gitlab_job()
    variables = job["variables"]
    assert re.fullmatch(r"https://\S+\.git", variables["KEYSWEEP_REPO"])
    assert re.fullmatch(r"v\d+\.\d+\.\d+", variables["KEYSWEEP_VERSION"])
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "pip").write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$PIP_ARGS"\n')
    (shim / "pip").chmod(0o755)
    env = dict(history["env"]) | variables
    env |= {
        "PATH": f"{shim}{os.pathsep}{env['PATH']}",
        "PIP_ARGS": str(tmp_path / "pip-args"),
        "CI_PROJECT_DIR": str(history["repo"]),
        "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"),  # the job writes safe.directory there
    }
    (tmp_path / "before.sh").write_text("\n".join(job["before_script"]))
    subprocess.run(["bash", "-eo", "pipefail", str(tmp_path / "before.sh")], env=env, check=True, timeout=60)
    args = (tmp_path / "pip-args").read_text().splitlines()
    assert args[0] == "install"
    assert args[-1] == f"git+{variables['KEYSWEEP_REPO']}@{variables['KEYSWEEP_VERSION']}"
    assert "keysweep" not in args[:-1]  # not a PyPI name
    assert str(history["repo"]) in (tmp_path / "gitconfig").read_text()


def test_gitlab_job_merge_request_and_push(history: dict, tmp_path: Path) -> None:
    shas = history["shas"]
    code, data = run_gitlab(history, tmp_path, CI_MERGE_REQUEST_DIFF_BASE_SHA=shas[0], CI_COMMIT_SHA=shas[3])
    assert code == 1
    (vuln,) = data["vulnerabilities"]
    assert vuln["location"]["commit"]["sha"] == shas[1]
    code, data = run_gitlab(history, tmp_path, CI_COMMIT_BEFORE_SHA=shas[2], CI_COMMIT_SHA=shas[3])
    assert code == 0 and data["vulnerabilities"] == []
    code, data = run_gitlab(history, tmp_path, CI_COMMIT_BEFORE_SHA=ZERO, CI_COMMIT_SHA=shas[3])
    assert code == 1 and len(data["vulnerabilities"]) == 1


# --- The Action on the default shallow checkout: a bare origin and depth-1 clones ---


class Forge:
    """A bare `origin`, a developer clone that pushes to it, and checkouts made the way
    actions/checkout makes them: `git fetch --depth=1 origin +REF` into an empty repo."""

    def __init__(self, base: Path, env: dict[str, str]) -> None:
        self.base, self.env = base, env
        self.origin = base / "origin.git"
        self.dev = base / "dev"
        self.git(base, "init", "-q", "--bare", "-b", "main", str(self.origin))
        self.git(base, "clone", "-q", self.url, str(self.dev))

    @property
    def url(self) -> str:
        return self.origin.as_uri()  # file://: a local path would ignore --depth

    def git(self, repo: Path, *args: str) -> str:
        proc = subprocess.run(["git", "-C", str(repo), *args], env=self.env, check=True, capture_output=True, text=True)
        return proc.stdout.strip()

    def commit(self, name: str, content: str) -> str:
        (self.dev / name).write_text(content)
        self.git(self.dev, "add", "-A")
        self.git(self.dev, "commit", "-q", "-m", f"edit {name}")
        return self.git(self.dev, "rev-parse", "HEAD")

    def fillers(self, count: int, prefix: str) -> str:
        sha = ""
        for i in range(count):
            sha = self.commit(f"{prefix}{i}.txt", f"{prefix} {i}\n")
        return sha

    def push(self, *refspecs: str) -> None:
        self.git(self.dev, "push", "-q", "--force", "origin", *refspecs)

    def checkout(self, name: str, source: str, dest: str) -> Path:
        repo = self.base / name
        repo.mkdir()
        self.git(repo, "init", "-q")
        self.git(repo, "remote", "add", "origin", self.url)
        self.git(repo, "fetch", "-q", "--no-tags", "--prune", "--depth=1", "origin", f"+{source}:{dest}")
        self.git(repo, "checkout", "-q", "--force", dest)
        assert self.git(repo, "rev-parse", "--is-shallow-repository") == "true"
        return repo


def _findings(report: dict) -> list[tuple[str, str]]:
    """(file, commit) of each result."""
    return [
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["properties"].get("commit", ""))
        for r in _results(report)
    ]


@pytest.fixture(scope="module")
def forge(tmp_path_factory: pytest.TempPathFactory, history: dict) -> dict[str, object]:
    """main: a leak added and removed, then more work; `pr` (from main) adds a leak in
    its first commit and removes it in its last, while main moves on; `clean` (from
    main) adds nothing secret; refs/pull/1/* and refs/pull/2/* as GitHub keeps them."""
    f = Forge(tmp_path_factory.mktemp("forge"), dict(history["env"]))  # type: ignore[arg-type]
    f.commit("README", "hello\n")
    main_leak = f.commit("base_cfg.py", f"KEY = '{linear_key(21)}'\n")
    f.commit("base_cfg.py", "KEY = None\n")
    fork = f.fillers(6, "main")
    f.push("main")
    f.git(f.dev, "checkout", "-q", "-b", "pr")
    pr_leak = f.commit("pr_cfg.py", f"KEY = '{linear_key(22)}'\n")
    f.fillers(4, "pr")
    pr_head = f.commit("pr_cfg.py", "KEY = None\n")
    f.git(f.dev, "checkout", "-q", "-b", "clean", fork)
    clean_head = f.fillers(3, "clean")
    f.git(f.dev, "checkout", "-q", "main")
    base = f.fillers(3, "later")
    f.push("main", "pr", "clean")
    for number, head in ((1, pr_head), (2, clean_head)):
        f.git(f.dev, "checkout", "-q", "--detach", base)
        f.git(f.dev, "merge", "-q", "--no-ff", "-m", f"Merge {number}", head)
        f.push(f"{head}:refs/pull/{number}/head", f"HEAD:refs/pull/{number}/merge")
    f.git(f.dev, "checkout", "-q", "--orphan", "orphan")
    orphan_leak = f.commit("orphan_cfg.py", f"KEY = '{linear_key(24)}'\n")
    orphan_head = f.commit("orphan_cfg.py", "KEY = None\n")
    f.push(f"{orphan_head}:refs/pull/3/head")
    f.git(f.dev, "checkout", "-q", "-f", "main")
    return {
        "forge": f,
        "env": history["env"],
        "main_leak": main_leak,
        "fork": fork,
        "base": base,
        "pr_leak": pr_leak,
        "pr_head": pr_head,
        "clean_head": clean_head,
        "orphan_leak": orphan_leak,
        "orphan_head": orphan_head,
    }


def _on(forge: dict, repo: Path) -> dict[str, object]:
    return {"env": forge["env"], "repo": repo}


def _shallow(forge: dict, repo: Path) -> bool:
    return forge["forge"].git(repo, "rev-parse", "--is-shallow-repository") == "true"


def test_action_pull_request_on_a_depth_1_checkout(forge: dict, tmp_path: Path) -> None:
    f: Forge = forge["forge"]
    repo = f.checkout("pr1", "refs/pull/1/merge", "refs/remotes/pull/1/merge")
    pr = {"EVENT": "pull_request", "PR_BASE": forge["base"], "PR_HEAD": forge["pr_head"], "FETCH_DEPTH": "1"}
    code, out, report = run_action(_on(forge, repo), tmp_path, **pr)
    # Added in the first commit, removed in the last: found, at the commit that added it.
    # main's old leak is not the pull request's, and is not reported.
    assert code == 1, out
    assert _findings(report) == [("pr_cfg.py", forge["pr_leak"])]
    assert f"merge base {forge['fork']}" in out
    assert f"--range {forge['base']}..{forge['pr_head']}" in out
    assert _shallow(forge, repo)  # fetched what the range needs, not the whole history


def test_action_pull_request_does_not_report_the_base_branch(forge: dict, tmp_path: Path) -> None:
    f: Forge = forge["forge"]
    repo = f.checkout("pr2", "refs/pull/2/merge", "refs/remotes/pull/2/merge")
    pr = {"EVENT": "pull_request", "PR_BASE": forge["base"], "PR_HEAD": forge["clean_head"], "FETCH_DEPTH": "1"}
    code, out, report = run_action(_on(forge, repo), tmp_path, **pr)
    assert code == 0, out
    assert _results(report) == []


def test_action_pull_request_from_an_unrelated_history(forge: dict, tmp_path: Path) -> None:
    """No merge base however deep: the deepening stops, both histories are fetched
    whole, and the scan is still the pull request's commits only."""
    f: Forge = forge["forge"]
    repo = f.checkout("pr4", "refs/pull/3/head", "refs/remotes/pull/3/head")
    pr = {"EVENT": "pull_request", "PR_BASE": forge["base"], "PR_HEAD": forge["orphan_head"], "FETCH_DEPTH": "1"}
    code, out, report = run_action(_on(forge, repo), tmp_path, **pr)
    assert code == 1, out
    assert _findings(report) == [("orphan_cfg.py", forge["orphan_leak"])]
    assert "merge base (none: unrelated histories)" in out


def test_action_pull_request_with_an_unfetchable_base_fails(forge: dict, tmp_path: Path) -> None:
    f: Forge = forge["forge"]
    repo = f.checkout("pr3", "refs/pull/1/merge", "refs/remotes/pull/1/merge")
    missing = "1234567" * 5 + "89abc"
    pr = {"EVENT": "pull_request", "PR_BASE": missing, "PR_HEAD": forge["pr_head"]}
    code, out, report = run_action(_on(forge, repo), tmp_path, **pr)
    assert code == 2
    (line,) = [line for line in out.splitlines() if "keysweep:" in line]
    assert line.startswith(f"::error::keysweep: cannot fetch the pull request's base {missing}: ")
    assert report == {} and "scanning" not in out  # no scan at all, let alone of everything


def test_action_push_on_a_depth_1_checkout(forge: dict, tmp_path: Path) -> None:
    f: Forge = forge["forge"]
    repo = f.checkout("push1", "refs/heads/pr", "refs/remotes/origin/pr")
    push = {"PUSH_BEFORE": forge["fork"], "PUSH_AFTER": forge["pr_head"], "PUSH_REF": "refs/heads/pr"}
    code, out, report = run_action(_on(forge, repo), tmp_path, **push, FETCH_DEPTH="2")
    assert code == 1, out
    assert _findings(report) == [("pr_cfg.py", forge["pr_leak"])]
    assert _shallow(forge, repo)


def test_action_first_push_of_a_new_branch(forge: dict, tmp_path: Path) -> None:
    f: Forge = forge["forge"]
    repo = f.checkout("branch1", "refs/heads/pr", "refs/remotes/origin/pr")
    push = {"PUSH_BEFORE": ZERO, "PUSH_AFTER": forge["pr_head"], "PUSH_REF": "refs/heads/pr", "FETCH_DEPTH": "1"}
    code, out, report = run_action(_on(forge, repo), tmp_path, **push)
    assert code == 1, out
    assert _findings(report) == [("pr_cfg.py", forge["pr_leak"])]  # not main's
    assert f"origin/main..{forge['pr_head']}" in out
    repo = f.checkout("branch2", "refs/heads/clean", "refs/remotes/origin/clean")
    push |= {"PUSH_AFTER": forge["clean_head"], "PUSH_REF": "refs/heads/clean"}
    code, out, report = run_action(_on(forge, repo), tmp_path, **push)
    assert code == 0 and _results(report) == [], out


def test_action_forced_push_whose_old_tip_is_gone(forge: dict, tmp_path: Path) -> None:
    f: Forge = forge["forge"]
    repo = f.checkout("forced", "refs/heads/pr", "refs/remotes/origin/pr")
    gone = "fedcba9" * 5 + "87654"
    push = {"PUSH_BEFORE": gone, "PUSH_AFTER": forge["pr_head"], "PUSH_REF": "refs/heads/pr"}
    code, out, report = run_action(_on(forge, repo), tmp_path, **push)
    assert code == 1, out
    assert f"before {gone} cannot be fetched" in out and "no other branch of origin has" in out
    assert _findings(report) == [("pr_cfg.py", forge["pr_leak"])]


def test_action_first_push_of_a_new_repository(history: dict, tmp_path: Path) -> None:
    (tmp_path / "new").mkdir()
    f = Forge(tmp_path / "new", dict(history["env"]))
    f.commit("a.py", "print('a')\n")
    leak = f.commit("cfg.py", f"KEY = '{linear_key(23)}'\n")
    head = f.commit("cfg.py", "KEY = None\n")
    f.push("main")
    repo = f.checkout("co", "refs/heads/main", "refs/remotes/origin/main")
    push = {"PUSH_BEFORE": ZERO, "PUSH_AFTER": head, "PUSH_REF": "refs/heads/main"}
    code, out, report = run_action({"env": history["env"], "repo": repo}, tmp_path, **push)
    assert code == 1, out
    assert _findings(report) == [("cfg.py", leak)]
    assert "scanning the whole pushed history" in out
    # Another branch first, while the remote has no default branch yet: the same.
    repo = f.checkout("co2", "refs/heads/main", "refs/remotes/origin/main")
    push |= {"PUSH_REF": "refs/heads/dev", "DEFAULT_BRANCH": "trunk"}
    code, out, report = run_action({"env": history["env"], "repo": repo}, tmp_path, **push)
    assert code == 1 and _findings(report) == [("cfg.py", leak)], out
    assert "origin has no trunk yet" in out


def test_action_scan_full_on_a_shallow_checkout(forge: dict, tmp_path: Path) -> None:
    f: Forge = forge["forge"]
    repo = f.checkout("full", "refs/heads/main", "refs/remotes/origin/main")
    code, out, report = run_action(_on(forge, repo), tmp_path, SCAN_MODE="full", PUSH_AFTER=forge["base"])
    assert code == 1, out
    found = _findings(report)
    assert ("base_cfg.py", forge["main_leak"]) in found and ("pr_cfg.py", forge["pr_leak"]) in found
    assert not _shallow(forge, repo)


def test_every_action_used_is_pinned_by_commit() -> None:
    action = (ROOT / "action.yml").read_text()
    docs = (ROOT / "docs" / "ci.md").read_text()
    uses = re.findall(r"^\s*-?\s*uses:\s*(\S+)(.*)$", action + "\n" + docs, re.MULTILINE)
    assert len(uses) >= 4
    for ref, rest in uses:
        if ref.startswith(("./", "OWNER/keysweep@")):
            continue  # this action itself: users pin it (see docs/ci.md)
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", rest), f"{ref}: needs a `# vX.Y.Z` comment"


def test_gitlab_job_new_branch_fetches_the_default_branch(forge: dict, tmp_path: Path) -> None:
    """The runner fetches only the pipeline's branch (in full: GIT_DEPTH 0); a new
    branch's pipeline compares with the default branch, which the job fetches."""
    f: Forge = forge["forge"]
    repo = tmp_path / "gitlab"
    repo.mkdir()
    f.git(repo, "init", "-q")
    f.git(repo, "remote", "add", "origin", f.url)
    f.git(repo, "fetch", "-q", "--no-tags", "origin", "+refs/heads/pr:refs/remotes/origin/pr")
    f.git(repo, "checkout", "-q", "--detach", forge["pr_head"])
    ci = {"CI_COMMIT_BEFORE_SHA": ZERO, "CI_COMMIT_SHA": forge["pr_head"], "CI_COMMIT_BRANCH": "pr"}
    code, data = run_gitlab({"env": forge["env"], "repo": repo}, tmp_path, **ci)
    assert code == 1
    (vuln,) = data["vulnerabilities"]
    assert vuln["location"]["file"] == "pr_cfg.py"
    assert vuln["location"]["commit"]["sha"] == forge["pr_leak"]
