"""The CI recipes run for real: action.yml's scan step and the GitLab job in docs/ci.md.

Each script is taken from the file users copy, run with the shell flags the CI service
uses, against a repository whose history holds a secret that a later commit removed.
"""

from __future__ import annotations

import json
import os
import random
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


def run_action(history: dict[str, object], tmp_path: Path, **event: str) -> tuple[int, str, dict]:
    script, _ = _action_scan_step()
    (tmp_path / "scan.sh").write_text(script)
    output = tmp_path / "github_output"
    sarif = tmp_path / "out.sarif"
    env = dict(history["env"])  # type: ignore[arg-type]
    env |= {
        "SCAN_PATH": str(history["repo"]),
        "SCAN_MODE": "auto",
        "EXTRA_ARGS": "",
        "SARIF_FILE": str(sarif),
        "GITHUB_OUTPUT": str(output),
        "PR_BASE": "",
        "PR_HEAD": "",
        "PUSH_BEFORE": "",
        "PUSH_AFTER": "",
        "DEFAULT_BRANCH": "main",
    } | event
    # The shell GitHub uses for `shell: bash`.
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(tmp_path / "scan.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
    report = json.loads(sarif.read_text()) if sarif.exists() else {}
    assert proc.returncode == (2 if outputs.get("exit-code") == "2" else 0), proc.stderr
    return int(outputs["exit-code"]), proc.stdout + proc.stderr, report


def _results(report: dict) -> list[dict]:
    return [r for run in report.get("runs", []) for r in run.get("results", [])]


def test_action_declares_the_step_inputs_it_reads() -> None:
    script, env = _action_scan_step()
    for name in ("EVENT", "PR_BASE", "PR_HEAD", "PUSH_BEFORE", "PUSH_AFTER", "SCAN_PATH", "SARIF_FILE", "EXTRA_ARGS"):
        assert name in env
        assert "$" + name in script
    assert "${{" not in script  # inputs reach the script as env, never spliced into it


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


def test_action_reports_an_error_as_exit_2(history: dict, tmp_path: Path) -> None:
    code, out, _ = run_action(history, tmp_path, EVENT="push", SCAN_PATH=str(tmp_path))
    assert code == 2 and "not a git repository" in out


def _gitlab_job() -> dict:
    text = (ROOT / "docs" / "ci.md").read_text()
    block = text.split("# keysweep-gitlab-job\n", 1)[1].split("```", 1)[0]
    return yaml.safe_load(block)["keysweep"]


def run_gitlab(history: dict, tmp_path: Path, **variables: str) -> tuple[int, dict]:
    job = _gitlab_job()
    assert job["artifacts"]["reports"]["secret_detection"] == "gl-secret-detection-report.json"
    assert job["variables"]["GIT_DEPTH"] == "0"
    script = "\n".join(job["script"])
    (tmp_path / "job.sh").write_text(script)
    env = dict(history["env"]) | {"CI_DEFAULT_BRANCH": "main"} | variables
    report = Path(history["repo"]) / "gl-secret-detection-report.json"
    report.unlink(missing_ok=True)
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", str(tmp_path / "job.sh")],
        cwd=history["repo"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    data = json.loads(report.read_text())
    report.unlink()
    return proc.returncode, data


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
