"""The same history scanned on a quiet machine and beside CPU hogs gives byte-identical
JSON: the pack's rules run with no clock, so load changes how long a scan takes, never
what it reports. Nor does the number of worker processes."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import git, github_token, random_chars, run_subprocess, stripe_key


def _history(repo: Path) -> None:
    """Forty commits over a handful of files: provider tokens added and removed, password
    assignments, base64 values, and a file dense with `password=` lines (the kind of input
    whose confirmation once ran out of time)."""
    git(repo, "init", "-q", "-b", "main")
    dense = "".join(f"password={random_chars(n, 10, 'abcdefghkmnpqrstuvwxyz')}\n" for n in range(6000))
    (repo / "dense.env").write_text(dense + "password=password=password=\n" * 2000)
    config: list[str] = [f"setting_{n} = {n}" for n in range(150)]
    for step in range(40):
        token, stripe = github_token(f"load-{step}"), stripe_key(f"load-{step}")
        if step % 7 == 1:
            config.insert(step, f"GITHUB_TOKEN = '{token}'")
        elif step % 7 == 3:
            config.append(f"STRIPE = '{stripe}'")
        elif step % 7 == 5:
            value = base64.b64encode(f"db_password: Meadow#{step}Lark{step * 37}".encode()).decode()
            config.append(f"encoded_{step}: {value}")
        elif step % 5 == 0 and len(config) > 160:
            del config[step]
        else:
            config.append(f"db_password = 'Harbor#{step}Reed{step * 91}'")
        (repo / "app").mkdir(exist_ok=True)
        (repo / "app" / "settings.py").write_text("\n".join(config) + "\n")
        (repo / f"notes_{step % 4}.md").write_text(f"note {step}\n" * (step + 1))
        git(repo, "add", "-A")
        stamp = f"@{1_700_000_000 + step * 60} +0000"
        git(repo, "commit", "-q", "-m", f"step {step}", env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
    git(repo, "gc", "-q")


@contextmanager
def _cpu_hogs(count: int) -> Iterator[None]:
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


def _report(repo: Path, jobs: int) -> str:
    result = run_subprocess(
        ["git", str(repo), "--format", "json", "--no-redact", "--no-progress", "--jobs", str(jobs)], cwd=repo
    )
    assert result.code == 1, result.err
    return result.out


def test_a_busy_machine_reports_what_a_quiet_one_does(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _history(repo)
    quiet = _report(repo, jobs=2)
    assert quiet.count('"rule_id"') > 40 and "generic.password" in quiet
    with _cpu_hogs(2 * (os.cpu_count() or 2)):
        busy = [_report(repo, jobs=2), _report(repo, jobs=1)]
    assert busy == [quiet, quiet]
